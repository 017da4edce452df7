// Command label-flip reverses each group's preference with probability rate
// (one draw per group from the deterministic random stream): the best
// candidate gets the worst one's score, and so on; for a pair the two scores
// swap. rate 0.5 makes labels independent of the judge, rate 1 swaps them all.
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/prefs"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Rate float64 `json:"rate" doc:"probability of reversing a group's ranking, in [0, 1]"`
}

func (p params) Validate() error { return prefs.LabelFlip{Rate: p.Rate}.Validate() }

func init() {
	sdk.Bias(sdk.Info{Name: "label-flip", Version: "1.0.0",
		Description: "Reverses each group's ranking with probability rate (a pair's scores swap)."},
		params{Rate: 0.5},
		func(p params, g sdk.Groups, scores, out []float64) error {
			b := prefs.Batch(g)
			prefs.LabelFlip{Rate: p.Rate}.Apply(out, scores, &b, sdk.Rand())
			return nil
		})
}

func main() {}
