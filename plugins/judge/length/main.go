// Command length is the length judge, a plain semantic criterion: it prefers
// shorter (or longer) completions, scoring each by minus (or plus) its
// token count.
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/prefs"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Prefer string `json:"prefer" doc:"shorter or longer: which completions score higher"`
}

func (p params) Validate() error { return prefs.Length{Prefer: p.Prefer}.Validate() }

func init() {
	sdk.Judge(sdk.Info{Name: "length", Version: "1.0.0",
		Description: "Prefers shorter (or longer) completions: score = -(or +) token count."},
		params{Prefer: "shorter"},
		func(p params, g sdk.Groups, out []float64) error {
			b := prefs.Batch(g)
			prefs.Length{Prefer: p.Prefer}.Scores(out, &b)
			return nil
		})
}

func main() {}
