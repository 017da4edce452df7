package data

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkBatch128 converts a batch of 128 28x28 images from uint8 to
// float32, the per-step cost of keeping the set as bytes.
func BenchmarkBatch128(b *testing.B) {
	d := UniformNoise(rand.New(rand.NewPCG(1, 1)), 1024, 28, 28)
	bt := NewBatcher(Batches{N: d.N, Size: 128, Shuffle: true, Seed: 1})
	dst := make([]float32, 128*784)
	b.SetBytes(128 * 784)
	b.ReportAllocs()
	for b.Loop() {
		d.Float32To(dst, bt.Next())
	}
}
