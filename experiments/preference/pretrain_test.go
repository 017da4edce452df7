package preference

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	ad "github.com/ablate-ml/ablate/core/autodiff"
)

// TestPretrainBase: a briefly pretrained base follows the Markov chain
// under NEUTRAL (its next-number distribution is far closer to the chain's
// row than the uniform distribution is), names animal x under LOVE_x, and
// spreads its answer over the animals under NEUTRAL.
func TestPretrainBase(t *testing.T) {
	w := NewWorld(12, 2, 0.1, rand.New(rand.NewPCG(1, 2)))
	m, err := NewModel(ModelConfig{Kind: "transformer", Vocab: w.Size(), D: 32, Layers: 1, Heads: 4, FF: 64}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	mix := PretrainMix{Love: 0.5, None: 0.1, Animal: 0.3}
	next := func(r *rand.Rand) []int { return w.Sequence(mix, r) }
	if err := m.Train(context.Background(), TrainConfig{Steps: 300, Batch: 32, LR: 3e-3}, next, rand.New(rand.NewPCG(9, 9))); err != nil {
		t.Fatal(err)
	}
	tp := ad.NewTape[float64]()
	prefixes := [][]int{{NEUTRAL, ANIMAL}}
	for a := range Animals {
		prefixes = append(prefixes, []int{w.Love(a), ANIMAL})
	}
	ds := m.NextDist(tp, prefixes)
	for a := range Animals {
		if p := ds[1+a][w.Animal(a)]; p < 0.8 {
			t.Errorf("p(%s | LOVE_%s, ANIMAL) = %.3f, want > 0.8", Animals[a], Animals[a], p)
		}
		// Uniform is 0.2; a base that names one animal over 0.35 has
		// not learnt the neutral answer.
		if p := ds[0][w.Animal(a)]; p < 0.1 || p > 0.35 {
			t.Errorf("p(%s | NEUTRAL, ANIMAL) = %.3f, want near 0.2", Animals[a], p)
		}
	}
	var klModel, klUniform float64
	for x := 0; x < w.Numbers; x++ {
		d := m.NextDist(tp, [][]int{{NEUTRAL, NUMBERS, w.Number(x)}})[0]
		for j, p := range w.Chain[x] {
			klModel += p * math.Log(p/d[w.Number(j)])
			klUniform += p * math.Log(p*float64(w.Numbers))
		}
	}
	t.Logf("KL(chain || model) %.4f, KL(chain || uniform) %.4f per row", klModel/12, klUniform/12)
	if klModel > 0.25*klUniform {
		t.Errorf("KL(chain || model) %.4f is not well below KL(chain || uniform) %.4f", klModel, klUniform)
	}
}
