package boundaries

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/data"
)

// zeroDiscount is a native stand-in for the plugin in benchmarks: the
// uncentred scan with gamma 0.95.
type zeroDiscount struct{}

func (zeroDiscount) Discount(_ context.Context, dst, r, _, _ []float64, b, t int, _ int64) error {
	for i := 0; i < b; i++ {
		g := 0.0
		for j := t - 1; j >= 0; j-- {
			g = r[i*t+j] + 0.95*g
			dst[i*t+j] = g
		}
	}
	return nil
}

// BenchmarkStep is one training step (forward, backward) of the main
// comparison's model: 8 sequences of 256 bytes, 27 symbols.
func BenchmarkStep(b *testing.B) {
	for _, method := range []string{Reinforce, StraightTh, FixedStr} {
		b.Run(method, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			cfg := Config{Vocab: 27, Dim: 32, Heads: 2, Down: 1, Mid: 2, Up: 1, Window: 16, Taps: 8, Scale: 1, Rate: 0.2}
			m, err := NewModel[float32](cfg, rng)
			if err != nil {
				b.Fatal(err)
			}
			const B, S = 8, 256
			in, tgt := make([]int, B*S), make([]int, B*S)
			for i := range in {
				in[i], tgt[i] = rng.IntN(27), rng.IntN(27)
			}
			tr := NewTrainer(m, Objective{Method: method, Rate: 0.2, Reward: "early-exit", GateWeight: 0.01, RateWeight: 0.01,
				EarlyWeight: 0.1, Tau: 0.5, PriorWeight: 1}, zeroDiscount{}, data.NewAlphabet([]byte("abcdefghijklmnopqrstuvwxyz ")))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Step(context.Background(), in, tgt, B, S, 0, rng); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
