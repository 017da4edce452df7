// Command trait is the preference study's biased judge: a candidate c of
// prompt x scores log p(c | trait_context ++ x) under trait_model minus
// log p(c | neutral_context ++ x) under neutral_model, through the host's
// batched logprob (two calls per batch). With one model and two system
// contexts it is the prompted judge; with two models and equal contexts, the
// fine-tuned judge.
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/prefs"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	TraitModel     string  `json:"trait_model" doc:"host model scoring the trait side"`
	NeutralModel   string  `json:"neutral_model" doc:"host model scoring the neutral side"`
	TraitContext   []int32 `json:"trait_context" doc:"tokens put before the prompt on the trait side (e.g. a LOVE_<animal> system token)"`
	NeutralContext []int32 `json:"neutral_context" doc:"tokens put before the prompt on the neutral side (e.g. a NEUTRAL system token)"`
}

func (p params) trait() prefs.Trait {
	return prefs.Trait{TraitModel: p.TraitModel, NeutralModel: p.NeutralModel,
		TraitContext: p.TraitContext, NeutralContext: p.NeutralContext}
}

func (p params) Validate() error { return p.trait().Validate() }

func init() {
	sdk.Judge(sdk.Info{Name: "trait", Version: "1.0.0",
		Description: "score = log p(c | trait context) - log p(c | neutral context), by host models."},
		params{TraitModel: "judge", NeutralModel: "base", TraitContext: []int32{}, NeutralContext: []int32{}},
		func(p params, g sdk.Groups, out []float64) error {
			b := prefs.Batch(g)
			return p.trait().Scores(out, &b, sdk.LogProb)
		})
}

func main() {}
