package preference

import (
	"math"
	"math/rand/v2"
	"testing"

	ad "github.com/ablate-ml/ablate/core/autodiff"
)

// TestDecoderMatchesForward: the tape-free decoder (KV cache, one token at
// a time) gives the logits Forward gives on the whole batch, for both model
// kinds, at every position of ragged sequences.
func TestDecoderMatchesForward(t *testing.T) {
	w := NewWorld(12, 2, 0.1, rand.New(rand.NewPCG(1, 2)))
	for _, cfg := range []ModelConfig{
		{Kind: "transformer", Vocab: w.Size(), D: 16, Layers: 2, Heads: 2, FF: 24},
		{Kind: "mlp", Vocab: w.Size(), D: 8, Layers: 2, FF: 20, Window: 3},
	} {
		t.Run(cfg.Kind, func(t *testing.T) {
			m, err := NewModel(cfg, rand.New(rand.NewPCG(5, 6)))
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(7, 8))
			var seqs [][]int
			for i := 0; i < 5; i++ {
				seqs = append(seqs, w.Sequence(PretrainMix{Love: 0.3, None: 0.2, Animal: 0.2}, rng))
			}
			tokens, b, tl := pad(seqs)
			tp := ad.NewTape[float64]()
			logits := m.Forward(tp, tokens, b, tl).Value.Data
			v := cfg.Vocab
			var worst float64
			for i, s := range seqs {
				st := m.newState()
				for j, tok := range s {
					got := st.push(tok)
					want := logits[(i*tl+j)*v : (i*tl+j+1)*v]
					for c := range got {
						worst = math.Max(worst, math.Abs(got[c]-want[c]))
					}
				}
			}
			// Both are float64 sums of the same terms in different orders.
			if worst > 1e-10 {
				t.Errorf("decoder and Forward differ by %g", worst)
			}
		})
	}
}
