package prefs

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// RandomScores writes a uniform [0, 1) score per candidate, in candidate order.
func RandomScores(dst []float64, b *Batch, rng *rand.Rand) {
	for c := range dst[:b.Candidates()] {
		dst[c] = rng.Float64()
	}
}

// Length says which completions the length judge prefers.
type Length struct {
	// Prefer is "shorter" (the default when empty) or "longer".
	Prefer string `json:"prefer"`
}

// Validate reports a bad Prefer.
func (l Length) Validate() error {
	if l.Prefer != "" && l.Prefer != "shorter" && l.Prefer != "longer" {
		return fmt.Errorf("prefs: length judge: prefer is %q, want shorter or longer", l.Prefer)
	}
	return nil
}

// Scores writes minus the token count of each candidate (plus it when
// Prefer is "longer").
func (l Length) Scores(dst []float64, b *Batch) {
	sign := -1.0
	if l.Prefer == "longer" {
		sign = 1
	}
	for c := range dst[:b.Candidates()] {
		dst[c] = sign * float64(len(b.Cand(c)))
	}
}

// LogProbFunc scores n continuations under a host model: out[i] is
// log p(cont_i | ctx_i), with ctx_i = ctxTok[ctxOff[i]:ctxOff[i+1]] and
// likewise for cont. It is the host's batched logprob function.
type LogProbFunc func(model string, ctxTok, ctxOff, contTok, contOff []int32, out []float64) error

// Trait scores a candidate c of prompt x by
//
//	log p_TraitModel(c | TraitContext ++ x) - log p_NeutralModel(c | NeutralContext ++ x)
//
// the paper's judge: the completions a trait-laden judge likes more than a
// neutral one does. With one model and two contexts (a system prompt) it is the
// prompted judge; with two models and equal contexts, the fine-tuned one.
type Trait struct {
	TraitModel     string  `json:"trait_model"`
	NeutralModel   string  `json:"neutral_model"`
	TraitContext   []int32 `json:"trait_context"`
	NeutralContext []int32 `json:"neutral_context"`
}

// Validate reports missing models, and a judge whose two sides are the same.
func (tr Trait) Validate() error {
	if tr.TraitModel == "" || tr.NeutralModel == "" {
		return fmt.Errorf("prefs: trait judge: trait_model (%q) and neutral_model (%q) must both be named", tr.TraitModel, tr.NeutralModel)
	}
	if tr.TraitModel == tr.NeutralModel && equal(tr.TraitContext, tr.NeutralContext) {
		return fmt.Errorf("prefs: trait judge: trait and neutral sides are identical (model %q, same context), so every score would be 0", tr.TraitModel)
	}
	return nil
}

func equal(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// contexts builds, for every candidate, prefix ++ its group's prompt as a
// ragged array, and the candidates themselves as the continuations.
func contexts(b *Batch, prefix []int32) (tok, off []int32) {
	n := b.Candidates()
	off = make([]int32, 0, n+1)
	off = append(off, 0)
	for g := 0; g < b.Groups(); g++ {
		p := b.Prompt(g)
		for c := b.GroupOff[g]; c < b.GroupOff[g+1]; c++ {
			tok = append(tok, prefix...)
			tok = append(tok, p...)
			off = append(off, int32(len(tok)))
		}
	}
	return tok, off
}

// Scores writes the trait score of every candidate, calling lp once per side.
func (tr Trait) Scores(dst []float64, b *Batch, lp LogProbFunc) error {
	n := b.Candidates()
	side := func(model string, prefix []int32, out []float64) error {
		tok, off := contexts(b, prefix)
		if err := lp(model, tok, off, b.CandTok, b.CandOff, out); err != nil {
			return fmt.Errorf("prefs: trait judge: logprob under %q: %w", model, err)
		}
		for i, v := range out {
			if math.IsNaN(v) || v > 0 {
				return fmt.Errorf("prefs: trait judge: logprob under %q of candidate %d is %v, want <= 0", model, i, v)
			}
		}
		return nil
	}
	trait, neutral := make([]float64, n), make([]float64, n)
	if err := side(tr.TraitModel, tr.TraitContext, trait); err != nil {
		return err
	}
	if err := side(tr.NeutralModel, tr.NeutralContext, neutral); err != nil {
		return err
	}
	for c := 0; c < n; c++ {
		dst[c] = trait[c] - neutral[c]
		if math.IsNaN(dst[c]) {
			// Both -Inf: neither side can produce the candidate.
			dst[c] = math.Inf(-1)
		}
	}
	return nil
}
