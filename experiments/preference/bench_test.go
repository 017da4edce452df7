package preference

import (
	"context"
	"math/rand/v2"
	"testing"

	ad "github.com/ablate-ml/ablate/core/autodiff"
)

func benchModel(b *testing.B) (*Model, *World) {
	w := NewWorld(20, 2, 0.1, rand.New(rand.NewPCG(1, 2)))
	m, err := NewModel(ModelConfig{Kind: "transformer", Vocab: w.Size(), D: 32, Layers: 2, Heads: 4, FF: 64}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	return m, w
}

// BenchmarkTrainStep: one pretraining step of 64 sequences.
func BenchmarkTrainStep(b *testing.B) {
	m, w := benchModel(b)
	mix := PretrainMix{Love: 0.5, None: 0.1, Animal: 0.3}
	rng := rand.New(rand.NewPCG(3, 3))
	next := func(r *rand.Rand) []int { return w.Sequence(mix, r) }
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := m.Train(context.Background(), TrainConfig{Steps: 1, Batch: 64, LR: 1e-3}, next, rng); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeqLogProbs: log-probabilities of 256 sequences.
func BenchmarkSeqLogProbs(b *testing.B) {
	m, w := benchModel(b)
	rng := rand.New(rand.NewPCG(3, 3))
	var seqs [][]int
	var from []int
	for i := 0; i < 256; i++ {
		s := w.Sequence(PretrainMix{}, rng)
		seqs, from = append(seqs, s), append(from, 1)
	}
	tp := ad.NewTape[float64]()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.SeqLogProbs(tp, seqs, from, 256)
	}
}

// BenchmarkSample: 64 completions at temperature 1.5.
func BenchmarkSample(b *testing.B) {
	m, w := benchModel(b)
	rng := rand.New(rand.NewPCG(3, 3))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < 64; j++ {
			p, _ := w.Prompt(rng)
			m.Sample(append([]int{NEUTRAL}, p...), 1.5, rng)
		}
	}
}
