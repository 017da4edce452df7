package preference

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	ad "github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/tensor"
)

func tinyModel(t *testing.T, w *World, seed uint64) *Model {
	t.Helper()
	m, err := NewModel(ModelConfig{Kind: "transformer", Vocab: w.Size(), D: 8, Layers: 1, Heads: 2, FF: 12}, rand.New(rand.NewPCG(seed, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func somePairs(w *World, n int, rng *rand.Rand) []Pair {
	var out []Pair
	for i := 0; i < n; i++ {
		p, last := w.Prompt(rng)
		out = append(out, Pair{Prompt: append([]int{NEUTRAL}, p...), Chosen: w.Completion(last, rng), Rejected: w.Completion(last, rng)})
	}
	return out
}

// TestDPOStartOfRound: with the policy equal to its reference every
// log-ratio is 0, so the loss is its value at z = 0: ln 2 for sigmoid and
// robust (whatever the smoothing), 1 for hinge, 1/(4 beta^2) for ipo.
func TestDPOStartOfRound(t *testing.T) {
	w := NewWorld(8, 2, 0.2, rand.New(rand.NewPCG(1, 1)))
	m := tinyModel(t, w, 3)
	ref := m.Clone()
	pairs := somePairs(w, 6, rand.New(rand.NewPCG(4, 4)))
	for _, c := range []struct {
		loss      string
		beta, eps float64
		want      float64
	}{
		{"sigmoid", 0.1, 0, math.Ln2},
		{"sigmoid", 0.5, 0.2, math.Ln2},
		{"robust", 0.1, 0.1, math.Ln2},
		{"hinge", 0.1, 0, 1},
		{"ipo", 0.1, 0, 1 / (4 * 0.01)},
	} {
		cfg := DPOConfig{Loss: c.loss, Beta: c.beta, Smoothing: c.eps, Epochs: 1, Batch: 64, LR: 1e-3}
		rc, rr := referenceLogProbs(ref, cfg, pairs)
		tp := ad.NewTape[float64]()
		got := m.pairLoss(tp, cfg, pairs, rc, rr).Value.Data[0]
		// The policy's and the reference's log-probabilities come from
		// two forward passes of the same weights: equal to rounding.
		if math.Abs(got-c.want) > 1e-9*math.Max(1, c.want) {
			t.Errorf("%s beta %g eps %g: loss %.12f at the start of a round, want %.12f", c.loss, c.beta, c.eps, got, c.want)
		}
		// DPO's first batch reports the same value.
		st, err := m.Clone().DPO(context.Background(), ref, cfg, pairs, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(st.FirstLoss-c.want) > 1e-9*math.Max(1, c.want) {
			t.Errorf("%s: DPO's first loss %.12f, want %.12f", c.loss, st.FirstLoss, c.want)
		}
	}
}

// TestDPOLossClosedForm: each loss against its formula evaluated directly
// on hand-picked log-probabilities.
func TestDPOLossClosedForm(t *testing.T) {
	pc, pr := []float64{-3, -5, -2}, []float64{-4, -1, -2.5}
	rc, rr := []float64{-3.5, -4, -2}, []float64{-3, -2, -2}
	ls := func(x float64) float64 { return -math.Log1p(math.Exp(-x)) }
	beta, eps := 0.7, 0.15
	for _, loss := range Losses {
		var want float64
		for i := range pc {
			h := (pc[i] - rc[i]) - (pr[i] - rr[i])
			z := beta * h
			switch loss {
			case "sigmoid":
				want += -(1-eps)*ls(z) - eps*ls(-z)
			case "robust":
				want += (-(1-eps)*ls(z) + eps*ls(-z)) / (1 - 2*eps)
			case "hinge":
				want += math.Max(0, 1-z)
			case "ipo":
				want += (h - 1/(2*beta)) * (h - 1/(2*beta))
			}
		}
		want /= 3
		tp := ad.NewTape[float64]()
		got := DPOLoss(tp, loss, beta, eps, tp.Const(tensor.FromSlice(pc, 3, 1)), tp.Const(tensor.FromSlice(pr, 3, 1)), rc, rr).Value.Data[0]
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: %.15f, want %.15f", loss, got, want)
		}
	}
}

// TestDPOGradients: the gradient of every loss through the whole
// transformer, with respect to every parameter, against central finite
// differences, after a few DPO steps have moved the policy off its
// reference.
func TestDPOGradients(t *testing.T) {
	w := NewWorld(6, 2, 0.3, rand.New(rand.NewPCG(2, 2)))
	pairs := somePairs(w, 3, rand.New(rand.NewPCG(5, 5)))
	for _, loss := range Losses {
		t.Run(loss, func(t *testing.T) {
			m := tinyModel(t, w, 7)
			ref := m.Clone()
			cfg := DPOConfig{Loss: loss, Beta: 0.5, Smoothing: 0.1, Epochs: 3, Batch: 3, LR: 0.05}
			if _, err := m.DPO(context.Background(), ref, cfg, pairs, rand.New(rand.NewPCG(1, 1))); err != nil {
				t.Fatal(err)
			}
			rc, rr := referenceLogProbs(ref, cfg, pairs)
			f := func(tp *ad.Tape[float64]) *ad.Var[float64] { return m.pairLoss(tp, cfg, pairs, rc, rr) }
			// Central differences with step 1e-5 on float64 are good to
			// about 1e-8 here; hinge has a kink at z = 1, away from these z.
			if e := ad.CheckGrad(f, m.Params, 1e-5); e > 1e-6 {
				t.Errorf("largest gradient error %g", e)
			}
		})
	}
}

// TestDPOMovesPolicy: a round of DPO raises the policy's margin
// log p(chosen) - log p(rejected) relative to the reference's, on average.
func TestDPOMovesPolicy(t *testing.T) {
	w := NewWorld(8, 2, 0.2, rand.New(rand.NewPCG(1, 1)))
	m := tinyModel(t, w, 3)
	ref := m.Clone()
	pairs := somePairs(w, 32, rand.New(rand.NewPCG(4, 4)))
	cfg := DPOConfig{Loss: "sigmoid", Beta: 0.1, Epochs: 4, Batch: 8, LR: 1e-2}
	st, err := m.DPO(context.Background(), ref, cfg, pairs, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !(st.LastLoss < st.FirstLoss-0.01) {
		t.Errorf("loss went from %.4f to %.4f, want a decrease", st.FirstLoss, st.LastLoss)
	}
}
