package ood

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/data"
)

// BenchmarkTrainStep is one Adam step of the headline flow (4 couplings,
// 784-256-784) on a batch of 64.
func BenchmarkTrainStep(b *testing.B) {
	set := data.UniformNoise(rand.New(rand.NewPCG(1, 2)), 256, 28, 28)
	f, err := NewFlow(4, 28, 28, 256, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if err := Train(context.Background(), f, set, TrainConfig{Steps: b.N, Batch: 64, LR: 1e-3, Logit: Logit{Alpha: 1e-6}}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFeatures is the B=1 features of 200 images.
func BenchmarkFeatures(b *testing.B) {
	set := data.UniformNoise(rand.New(rand.NewPCG(1, 2)), 200, 28, 28)
	f, err := NewFlow(4, 28, 28, 256, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	x, _ := prepare(set, data.Range(0, 200), Logit{Alpha: 1e-6}, nil)
	b.ResetTimer()
	for range b.N {
		if _, _, err := f.Features(context.Background(), x, 200, 1); err != nil {
			b.Fatal(err)
		}
	}
}
