package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// keep is an optimizer that copies the gradients and leaves values alone.
type keep struct{ g [][]float32 }

func (k *keep) StepSlices(_, grads [][]float32) {
	k.g = k.g[:0]
	for _, g := range grads {
		k.g = append(k.g, append([]float32(nil), g...))
	}
}

// TestRawMLPGradient checks the hand-derived backward used by the MNIST test
// against central differences of the loss.
func TestRawMLPGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 3
	m := newRawMLP(5, 4, 3, n, rng)
	Fill(m.b1, Normal, rng) // non-zero biases so every term is exercised
	x := make([]float32, n*5)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := []int{0, 2, 1}
	k := &keep{}
	m.step(x, y, k)
	loss := func() float64 {
		return m.step(x, y, &keep{})
	}
	// float32 forward: eps 1e-2 keeps the rounding error (~1e-7/1e-2) far
	// below the truncation error (~eps^2), both well under the 2e-2 tolerance.
	const eps = 1e-2
	for pi, p := range []*Param[float32]{m.w1, m.b1, m.w2, m.b2} {
		for j := range p.Data {
			v := p.Data[j]
			p.Data[j] = v + eps
			lp := loss()
			p.Data[j] = v - eps
			lm := loss()
			p.Data[j] = v
			num := (lp - lm) / (2 * eps)
			got := float64(k.g[pi][j])
			if math.Abs(got-num) > 2e-2*math.Max(1e-2, math.Abs(got)+math.Abs(num)) {
				t.Errorf("%s[%d]: backward %g, finite difference %g", p.Name, j, got, num)
			}
		}
	}
}
