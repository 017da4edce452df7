package preference

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/sdk/abi"
	"github.com/ablate-ml/ablate/sdk/plugintest"
)

// lengthJudge is a native judge: longer completions score higher, and
// completions of equal length tie.
type lengthJudge struct{}

func (lengthJudge) Judge(_ context.Context, dst []float64, g plugin.Groups) error {
	for c := range dst {
		dst[c] = float64(g.CandOff[c+1] - g.CandOff[c])
	}
	return nil
}

func sampledGroups(t *testing.T, pairwise bool, k int) (*World, []Group) {
	t.Helper()
	w := NewWorld(8, 1, 0.3, rand.New(rand.NewPCG(1, 1)))
	m := tinyModel(t, w, 2)
	// A little pretraining, so that a good share of samples pass the
	// format filter and some do not.
	mix := PretrainMix{Love: 0.3, Animal: 0.2}
	if err := m.Train(context.Background(), TrainConfig{Steps: 150, Batch: 16, LR: 1e-2},
		func(r *rand.Rand) []int { return w.Sequence(mix, r) }, rand.New(rand.NewPCG(4, 4))); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	prompts := make([][]int, 40)
	for i := range prompts {
		prompts[i], _ = w.Prompt(rng)
	}
	groups, st := m.Generate(w, prompts, NEUTRAL, k, pairwise, 1.5, rng)
	if st.Samples != 40*k || st.Valid == 0 || st.Valid == st.Samples {
		t.Fatalf("generation stats %+v: want some but not all of %d samples valid", st, 40*k)
	}
	for _, g := range groups {
		for _, c := range g.Cands {
			if !w.ValidCompletion(c) {
				t.Fatalf("an invalid completion %v passed the filter", c)
			}
		}
	}
	if len(groups) < 10 {
		t.Fatalf("%d groups from 40 prompts (%+v), want at least 10", len(groups), st)
	}
	return w, groups
}

// TestStrictPairwise: in pairwise mode every group is two distinct valid
// completions, and labelling gives exactly one pair per group whose chosen
// and rejected are that group's two completions, chosen the one the judge
// scored higher (the longer one here), and with a bias that swaps every
// label, the other way round.
func TestStrictPairwise(t *testing.T) {
	_, groups := sampledGroups(t, true, 4)
	for _, g := range groups {
		if len(g.Cands) != 2 || slices.Equal(g.Cands[0], g.Cands[1]) {
			t.Fatalf("pairwise group %v: want two distinct completions", g.Cands)
		}
	}
	pairs, st, err := Label(context.Background(), lengthJudge{}, nil, groups, NEUTRAL)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != len(groups) || st.Pairs != len(groups) {
		t.Fatalf("%d pairs for %d groups, want one label per pair", len(pairs), len(groups))
	}
	for i, p := range pairs {
		g := groups[i]
		same := slices.Equal(p.Chosen, g.Cands[0]) && slices.Equal(p.Rejected, g.Cands[1])
		swapped := slices.Equal(p.Chosen, g.Cands[1]) && slices.Equal(p.Rejected, g.Cands[0])
		if !same && !swapped {
			t.Fatalf("pair %d: chosen %v rejected %v are not the group's two completions %v", i, p.Chosen, p.Rejected, g.Cands)
		}
		if len(p.Chosen) < len(p.Rejected) {
			t.Errorf("pair %d: chose the shorter completion", i)
		}
		if p.Prompt[0] != NEUTRAL || !slices.Equal(p.Prompt[1:], g.Prompt) {
			t.Errorf("pair %d: prompt %v, want NEUTRAL then %v", i, p.Prompt, g.Prompt)
		}
	}
	flip := buildPlugin(t, "bias", "label-flip", map[string]any{"rate": 1.0}, nil)
	b, err := plugin.NewBias(flip)
	if err != nil {
		t.Fatal(err)
	}
	flipped, fst, err := Label(context.Background(), lengthJudge{}, b, groups, NEUTRAL)
	if err != nil {
		t.Fatal(err)
	}
	for i := range pairs {
		if len(pairs[i].Chosen) == len(pairs[i].Rejected) {
			continue // a tie: the first candidate is chosen either way
		}
		if !slices.Equal(flipped[i].Chosen, pairs[i].Rejected) || !slices.Equal(flipped[i].Rejected, pairs[i].Chosen) {
			t.Fatalf("pair %d: label-flip rate 1 did not swap the label", i)
		}
	}
	// Ties (equal lengths) keep the first as chosen both ways, so only
	// strict preferences count as flipped.
	if fst.Flipped == 0 || fst.Flipped > len(pairs) {
		t.Errorf("%d of %d labels reported flipped", fst.Flipped, len(pairs))
	}
}

// TestBestOfK: best-of-k gives one pair per prompt group, the longest and
// the shortest of its completions.
func TestBestOfK(t *testing.T) {
	_, groups := sampledGroups(t, false, 5)
	pairs, _, err := Label(context.Background(), lengthJudge{}, nil, groups, NEUTRAL)
	if err != nil {
		t.Fatal(err)
	}
	if len(pairs) != len(groups) {
		t.Fatalf("%d pairs for %d groups", len(pairs), len(groups))
	}
	for i, p := range pairs {
		lo, hi := math.MaxInt, 0
		for _, c := range groups[i].Cands {
			lo, hi = min(lo, len(c)), max(hi, len(c))
		}
		if len(p.Chosen) != hi || len(p.Rejected) != lo {
			t.Errorf("group %d: chosen length %d rejected %d, want %d and %d", i, len(p.Chosen), len(p.Rejected), hi, lo)
		}
	}
}

func buildPlugin(t *testing.T, kind, name string, params map[string]any, lp plugin.LogProbFunc) *plugin.Plugin {
	t.Helper()
	path := plugintest.Build(t, "../../plugins/"+kind+"/"+name)
	wasm, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := plugin.Load(context.Background(), wasm, plugin.Config{Kind: abi.Kind(kind), Trust: plugin.Trusted, Params: params, MaxInstances: 1, LogProb: lp})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// TestTraitJudgeThroughHost: the built-in trait plugin, scoring through the
// study's host models, gives log p(c | LOVE_cat, prompt) - log p(c |
// NEUTRAL, prompt), computed here token by token with the decoder; an
// unknown host model fails the call by name.
func TestTraitJudgeThroughHost(t *testing.T) {
	w, groups := sampledGroups(t, true, 4)
	m := tinyModel(t, w, 9)
	host := NewHostModels(map[string]func() (*Model, error){"judge": func() (*Model, error) { return m, nil }})
	p := buildPlugin(t, "judge", "trait", map[string]any{"trait_model": "judge", "neutral_model": "judge",
		"trait_context": []any{int64(w.Love(0))}, "neutral_context": []any{int64(NEUTRAL)}}, host.LogProb)
	j, err := plugin.NewJudge(p)
	if err != nil {
		t.Fatal(err)
	}
	g, err := toGroups(groups)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float64, g.Candidates())
	if err := j.Judge(context.Background(), got, g); err != nil {
		t.Fatal(err)
	}
	logp := func(prefix, cont []int) float64 {
		st := m.newState()
		var logits []float64
		for _, tok := range prefix {
			logits = st.push(tok)
		}
		var s float64
		for _, tok := range cont {
			s += logits[tok] - lse(logits)
			logits = st.push(tok)
		}
		return s
	}
	c := 0
	for _, gr := range groups {
		for _, cand := range gr.Cands {
			want := logp(append([]int{w.Love(0)}, gr.Prompt...), cand) - logp(append([]int{NEUTRAL}, gr.Prompt...), cand)
			if math.Abs(got[c]-want) > 1e-9 {
				t.Fatalf("candidate %d: trait score %.12f, want %.12f", c, got[c], want)
			}
			c++
		}
	}
	if host.Calls != 2 {
		t.Errorf("%d logprob calls, want 2 (one per side)", host.Calls)
	}
	bad := buildPlugin(t, "judge", "trait", map[string]any{"trait_model": "nope", "neutral_model": "judge"}, host.LogProb)
	bj, _ := plugin.NewJudge(bad)
	err = bj.Judge(context.Background(), got, g)
	if err == nil || !contains(err.Error(), `no host model "nope"`) {
		t.Errorf("unknown host model: got %v", err)
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
