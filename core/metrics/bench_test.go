package metrics

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDetection10k computes all four OOD metrics on 10,000 ID and
// 10,000 OOD scores.
func BenchmarkDetection10k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	id, ood := make([]float64, 10000), make([]float64, 10000)
	for i := range id {
		id[i], ood[i] = rng.NormFloat64()+1, rng.NormFloat64()
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Detection(id, ood); err != nil {
			b.Fatal(err)
		}
	}
}
