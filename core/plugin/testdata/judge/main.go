// Command judge is a test judge: it scores each candidate by its length
// times sign, plus noise from the call's random stream when noise > 0.
package main

import (
	"fmt"

	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Sign  float64 `json:"sign" doc:"+1 prefers longer, -1 shorter"`
	Noise float64 `json:"noise" doc:"uniform noise amplitude added to every score"`
	Say   string  `json:"say" doc:"printed to stdout and logged at each call when not empty"`
}

func (p params) Validate() error {
	if p.Sign != 1 && p.Sign != -1 {
		return fmt.Errorf("judge: sign is %v, want 1 or -1", p.Sign)
	}
	return nil
}

func init() {
	sdk.Judge(sdk.Info{Name: "test-judge", Version: "1.0.0", Description: "length times sign, plus noise"},
		params{Sign: -1},
		func(p params, g sdk.Groups, out []float64) error {
			if p.Say != "" {
				fmt.Println(p.Say)
				sdk.Infof("%s on %d groups", p.Say, g.Len())
			}
			r := sdk.Rand()
			for c := range out {
				out[c] = p.Sign * float64(len(g.Cand(c)))
				if p.Noise > 0 {
					out[c] += p.Noise * r.Float64()
				}
			}
			return nil
		})
}

func main() {}
