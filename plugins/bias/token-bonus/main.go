// Command token-bonus adds bonus to a candidate's score for every occurrence
// of any of the given tokens in the completion (not the prompt).
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/prefs"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Tokens []int32 `json:"tokens" doc:"token ids that earn the bonus"`
	Bonus  float64 `json:"bonus" doc:"added to the score per occurrence"`
}

func (p params) bias() prefs.TokenBonus { return prefs.TokenBonus{Tokens: p.Tokens, Bonus: p.Bonus} }

func (p params) Validate() error { return p.bias().Validate() }

func init() {
	sdk.Bias(sdk.Info{Name: "token-bonus", Version: "1.0.0",
		Description: "Adds bonus per occurrence of the given tokens in a completion."},
		params{Tokens: []int32{}, Bonus: 1},
		func(p params, g sdk.Groups, scores, out []float64) error {
			b := prefs.Batch(g)
			p.bias().Apply(out, scores, &b)
			return nil
		})
}

func main() {}
