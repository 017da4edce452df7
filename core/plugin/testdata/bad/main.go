// Command bad is a judge that misbehaves on purpose, by mode, when the
// first prompt of the batch starts with token 13; otherwise it scores
// candidate c as c.
package main

import (
	"math"
	"os"

	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Mode string `json:"mode" doc:"ok, loop, grow, exit-mid-batch, panic, nan, bad-log-pointer, logprob, fail-init"`
}

func (p params) Validate() error {
	if p.Mode == "fail-init" {
		return errFailInit{}
	}
	return nil
}

type errFailInit struct{}

func (errFailInit) Error() string { return "bad: told to fail at init" }

//go:wasmimport ablate log
func rawLog(level int32, ptr uint32, n int32)

var sink [][]byte

func init() {
	sdk.Judge(sdk.Info{Name: "bad", Version: "0.1.0", Description: "misbehaves on purpose"},
		params{Mode: "ok"},
		func(p params, g sdk.Groups, out []float64) error {
			if g.Len() == 0 || len(g.Prompt(0)) == 0 || g.Prompt(0)[0] != 13 {
				p.Mode = "ok"
			}
			for c := range out {
				switch p.Mode {
				case "loop":
					for x := 0; ; x++ {
						out[c] = float64(x)
					}
				case "grow":
					for {
						sink = append(sink, make([]byte, 1<<20))
					}
				case "exit-mid-batch":
					if c == len(out)/2 {
						os.Exit(3)
					}
				case "panic":
					if c == 1 {
						var m map[string]int
						m["x"] = 1
					}
				case "nan":
					if c == len(out)-1 {
						out[c] = math.NaN()
						continue
					}
				case "bad-log-pointer":
					rawLog(1, 0xFFFFFF00, 1000)
				case "logprob":
					n := 1
					lp := make([]float64, n)
					if err := sdk.LogProb("base", []int32{1, 2}, []int32{0, 2}, g.Cand(c), []int32{0, int32(len(g.Cand(c)))}, lp); err != nil {
						return err
					}
					out[c] = lp[0]
					continue
				}
				out[c] = float64(c)
			}
			return nil
		})
}

func main() {}
