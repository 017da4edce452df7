package estim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkDiagLogNormalScore scores 10,000 x 40 features natively (the size
// of the plugin benchmark in plugins/estimator/diag-lognormal).
func BenchmarkDiagLogNormalScore(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, d := 10000, 40
	x := make([]float64, n*d)
	for i := range x {
		x[i] = math.Exp(rng.NormFloat64() + float64(i%d))
	}
	var e DiagLogNormal
	if err := e.Fit(x, n, d); err != nil {
		b.Fatal(err)
	}
	out := make([]float64, n)
	b.ResetTimer()
	for range b.N {
		if err := e.Score(out, x, n, d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDiagLogNormalScoreMathLog is the same scoring with math.Log (in
// assembly on amd64) instead of the inline log, for comparison.
func BenchmarkDiagLogNormalScoreMathLog(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, d := 10000, 40
	x := make([]float64, n*d)
	for i := range x {
		x[i] = math.Exp(rng.NormFloat64() + float64(i%d))
	}
	var e DiagLogNormal
	if err := e.Fit(x, n, d); err != nil {
		b.Fatal(err)
	}
	out := make([]float64, n)
	b.ResetTimer()
	for range b.N {
		for i := 0; i < n; i++ {
			q := 0.0
			for c, j := range e.keep {
				z := (math.Log(x[i*d+j]) - e.mu[c]) / e.sigma[c]
				q += z * z
			}
			out[i] = q
		}
	}
}
