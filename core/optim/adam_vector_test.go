package optim

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// TestAdamVectorBitIdentical: the AVX loop gives the scalar loop's results
// bit for bit (weights, first and second moments), with and without weight
// decay, for lengths that do and do not fill whole vectors, on gradients of
// every scale including zeros and subnormals.
func TestAdamVectorBitIdentical(t *testing.T) {
	if !adamVector {
		t.Skip("no AVX here")
	}
	var k adamKernel
	if unsafe.Offsetof(k.decay) != 40 || unsafe.Offsetof(k.wd) != 48 {
		t.Fatal("adamKernel's layout changed: update adam_amd64.s")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 3, 4, 5, 8, 13, 1000} {
		for _, wd := range []bool{false, true} {
			k := adamKernel{b1: 0.9, b2: 0.999, eps: 1e-8, step: 1e-3 / (1 - 0.9), is2: 1 / math.Sqrt(1-0.999), decay: 1 - 1e-3*0.01, wd: wd}
			w, g := make([]float32, n), make([]float32, n)
			m, v := make([]float64, n), make([]float64, n)
			for i := range w {
				w[i] = float32(r.NormFloat64())
				switch i % 5 {
				case 0:
					g[i] = 0
				case 1:
					g[i] = float32(r.NormFloat64() * 1e-40) // subnormal
				default:
					g[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(12)-6)))
				}
				m[i], v[i] = r.NormFloat64()*1e-3, math.Abs(r.NormFloat64())*1e-6
			}
			w2, g2 := append([]float32(nil), w...), append([]float32(nil), g...)
			m2, v2 := append([]float64(nil), m...), append([]float64(nil), v...)
			for step := 0; step < 3; step++ {
				adamUpdate(k, w, g, m, v)
				adamVector = false
				adamUpdate(k, w2, g2, m2, v2)
				adamVector = true
			}
			for i := range w {
				if math.Float32bits(w[i]) != math.Float32bits(w2[i]) || math.Float64bits(m[i]) != math.Float64bits(m2[i]) || math.Float64bits(v[i]) != math.Float64bits(v2[i]) {
					t.Fatalf("n=%d wd=%v element %d: vector w %v m %v v %v, scalar w %v m %v v %v", n, wd, i, w[i], m[i], v[i], w2[i], m2[i], v2[i])
				}
			}
		}
	}
}
