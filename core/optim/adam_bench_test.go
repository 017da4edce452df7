package optim

import "testing"

func BenchmarkAdamStep(b *testing.B) {
	n := 784*256 + 256 + 2560 + 10
	w := make([]float32, n)
	g := make([]float32, n)
	for i := range g {
		g[i] = float32(i%13) * 0.01
	}
	o := &Adam[float32]{LR: 1e-3}
	for b.Loop() {
		o.StepSlices([][]float32{w}, [][]float32{g})
	}
}
