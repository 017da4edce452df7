package prefs

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// batch builds a Batch from nested slices.
func batch(prompts [][]int32, groups [][][]int32) *Batch {
	b := &Batch{PromptOff: []int32{0}, CandOff: []int32{0}, GroupOff: []int32{0}}
	for g, p := range prompts {
		b.PromptTok = append(b.PromptTok, p...)
		b.PromptOff = append(b.PromptOff, int32(len(b.PromptTok)))
		for _, c := range groups[g] {
			b.CandTok = append(b.CandTok, c...)
			b.CandOff = append(b.CandOff, int32(len(b.CandOff)))
			b.CandOff[len(b.CandOff)-1] = int32(len(b.CandTok))
		}
		b.GroupOff = append(b.GroupOff, int32(len(b.CandOff)-1))
	}
	return b
}

func sample() *Batch {
	return batch(
		[][]int32{{1, 2}, {3}},
		[][][]int32{{{5, 6, 7}, {8}}, {{9, 9}, {}, {4, 4, 4, 4}}},
	)
}

func TestValidate(t *testing.T) {
	if err := sample().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		mod  func(b *Batch)
		want string
	}{
		{func(b *Batch) { b.GroupOff = []int32{0} }, "no groups"},
		{func(b *Batch) { b.PromptOff = b.PromptOff[:2] }, "2 prompt offsets for 2 groups"},
		{func(b *Batch) { b.CandOff[2] = 1 }, "candidate offsets decrease at 2"},
		{func(b *Batch) { b.CandOff[5] = 99 }, "candidate offsets end at 99"},
		{func(b *Batch) { b.GroupOff[1] = 1 }, "group 0 has 1 candidates"},
		{func(b *Batch) { b.PromptOff[0] = 1 }, "prompt offsets must start at 0"},
	}
	for _, c := range bad {
		b := sample()
		c.mod(b)
		if err := b.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v, want an error containing %q", err, c.want)
		}
	}
}

func TestRandomScoresDeterministic(t *testing.T) {
	b := sample()
	a, c := make([]float64, 5), make([]float64, 5)
	RandomScores(a, b, rand.New(rand.NewPCG(1, 2)))
	RandomScores(c, b, rand.New(rand.NewPCG(1, 2)))
	distinct := map[float64]bool{}
	for i := range a {
		if a[i] != c[i] || a[i] < 0 || a[i] >= 1 {
			t.Fatalf("scores %v and %v: want equal, in [0, 1)", a, c)
		}
		distinct[a[i]] = true
	}
	if len(distinct) != 5 {
		t.Errorf("scores %v are not distinct draws", a)
	}
}

func TestLengthScores(t *testing.T) {
	b := sample()
	got := make([]float64, 5)
	Length{}.Scores(got, b)
	want := []float64{-3, -1, -2, 0, -4}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("shorter: %v, want %v", got, want)
		}
	}
	Length{Prefer: "longer"}.Scores(got, b)
	for i := range want {
		if got[i] != -want[i] {
			t.Fatalf("longer: %v, want %v", got, want)
		}
	}
	if err := (Length{Prefer: "middle"}).Validate(); err == nil || !strings.Contains(err.Error(), `"middle"`) {
		t.Errorf("prefer middle: %v", err)
	}
}

// toyLM is a host model for the tests: log p(cont | ctx) = -sum over cont
// tokens of (token + bias), with bias 0.5 when ctx starts with the trait
// token 100 and the candidate token is even, else 1.
func toyLM(calls *[]string) LogProbFunc {
	return func(model string, ctxTok, ctxOff, contTok, contOff []int32, out []float64) error {
		*calls = append(*calls, model)
		if len(ctxOff) != len(out)+1 || len(contOff) != len(out)+1 {
			return errors.New("bad shapes")
		}
		for i := range out {
			ctx := ctxTok[ctxOff[i]:ctxOff[i+1]]
			s := 0.0
			for _, tk := range contTok[contOff[i]:contOff[i+1]] {
				bias := 1.0
				if len(ctx) > 0 && ctx[0] == 100 && tk%2 == 0 {
					bias = 0.5
				}
				if model == "tuned" && tk%2 == 0 {
					bias = 0.25
				}
				s -= float64(tk) + bias
			}
			out[i] = s
		}
		return nil
	}
}

func TestTraitScores(t *testing.T) {
	b := sample()
	var calls []string
	tr := Trait{TraitModel: "judge", NeutralModel: "judge", TraitContext: []int32{100}, NeutralContext: []int32{101}}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, 5)
	if err := tr.Scores(got, b, toyLM(&calls)); err != nil {
		t.Fatal(err)
	}
	// Each even token gains 0.5 under the trait context: the score is 0.5 x
	// the number of even tokens.
	want := []float64{0.5, 0.5, 0, 0, 2}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("prompted judge: %v, want %v", got, want)
		}
	}
	if len(calls) != 2 {
		t.Errorf("%d logprob calls, want 2 (one batched call per side)", len(calls))
	}
	// The fine-tuned variant: two models, the same (empty) context.
	ft := Trait{TraitModel: "tuned", NeutralModel: "base"}
	if err := ft.Scores(got, b, toyLM(&calls)); err != nil {
		t.Fatal(err)
	}
	want = []float64{0.75, 0.75, 0, 0, 3}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("fine-tuned judge: %v, want %v", got, want)
		}
	}
}

func TestTraitContexts(t *testing.T) {
	tok, off := contexts(sample(), []int32{100})
	wantTok := []int32{100, 1, 2, 100, 1, 2, 100, 3, 100, 3, 100, 3}
	wantOff := []int32{0, 3, 6, 8, 10, 12}
	if !equal(tok, wantTok) || !equal(off, wantOff) {
		t.Errorf("contexts %v %v, want %v %v", tok, off, wantTok, wantOff)
	}
}

func TestTraitErrors(t *testing.T) {
	if err := (Trait{TraitModel: "judge", NeutralModel: "judge"}).Validate(); err == nil || !strings.Contains(err.Error(), "identical") {
		t.Errorf("identical sides: %v", err)
	}
	if err := (Trait{TraitModel: "judge"}).Validate(); err == nil || !strings.Contains(err.Error(), "neutral_model") {
		t.Errorf("missing model: %v", err)
	}
	fail := func(model string, _, _, _, _ []int32, out []float64) error { return errors.New("no model " + model) }
	tr := Trait{TraitModel: "x", NeutralModel: "y"}
	if err := tr.Scores(make([]float64, 5), sample(), fail); err == nil || !strings.Contains(err.Error(), `under "x": no model x`) {
		t.Errorf("host failure: %v", err)
	}
	pos := func(_ string, _, _, _, _ []int32, out []float64) error { out[3] = 0.5; return nil }
	if err := tr.Scores(make([]float64, 5), sample(), pos); err == nil || !strings.Contains(err.Error(), "candidate 3 is 0.5") {
		t.Errorf("positive log-probability: %v", err)
	}
}

func TestLabelFlip(t *testing.T) {
	b := sample()
	scores := []float64{0.9, 0.1, 2, 7, 5}
	got := make([]float64, 5)
	LabelFlip{Rate: 1}.Apply(got, scores, b, rand.New(rand.NewPCG(1, 1)))
	// Group 0 swaps; group 1 (2, 7, 5) reverses its ranking: 7 <-> 2, 5 stays.
	want := []float64{0.1, 0.9, 7, 2, 5}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("rate 1: %v, want %v", got, want)
		}
	}
	LabelFlip{Rate: 0}.Apply(got, scores, b, rand.New(rand.NewPCG(1, 1)))
	for i := range scores {
		if got[i] != scores[i] {
			t.Fatalf("rate 0: %v, want %v", got, scores)
		}
	}
	// Rate 0.3 over many pairs flips about 30% of them: 4000 pairs give a
	// binomial std of 0.007, so +-0.03 is a > 4 sigma band.
	const g = 4000
	var prompts [][]int32
	var groups [][][]int32
	many := make([]float64, 0, 2*g)
	for i := 0; i < g; i++ {
		prompts = append(prompts, nil)
		groups = append(groups, [][]int32{{1}, {2}})
		many = append(many, 1, 0)
	}
	out := make([]float64, 2*g)
	LabelFlip{Rate: 0.3}.Apply(out, many, batch(prompts, groups), rand.New(rand.NewPCG(5, 5)))
	flipped := 0
	for i := 0; i < g; i++ {
		if out[2*i] == 0 && out[2*i+1] == 1 {
			flipped++
		} else if out[2*i] != 1 || out[2*i+1] != 0 {
			t.Fatalf("pair %d became %v", i, out[2*i:2*i+2])
		}
	}
	if f := float64(flipped) / g; math.Abs(f-0.3) > 0.03 {
		t.Errorf("flipped %v of pairs, want 0.3", f)
	}
	if err := (LabelFlip{Rate: 1.5}).Validate(); err == nil {
		t.Error("rate 1.5 accepted")
	}
}

func TestTokenBonus(t *testing.T) {
	b := sample()
	scores := []float64{0, 0, 1, 1, 1}
	got := make([]float64, 5)
	TokenBonus{Tokens: []int32{4, 9, 1}, Bonus: 0.5}.Apply(got, scores, b)
	// Prompt tokens (1) do not count; 9 twice and 4 four times do.
	want := []float64{0, 0, 2, 1, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
	if err := (TokenBonus{Bonus: math.Inf(1)}).Validate(); err == nil || !strings.Contains(err.Error(), "bonus is +Inf") {
		t.Errorf("infinite bonus: %v", err)
	}
}
