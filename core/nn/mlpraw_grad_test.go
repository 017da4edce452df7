package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/tensor"
)

// keep is an optimizer that copies the gradients and leaves values alone.
type keep struct{ g [][]float32 }

func (k *keep) StepSlices(_, grads [][]float32) {
	k.g = k.g[:0]
	for _, g := range grads {
		k.g = append(k.g, append([]float32(nil), g...))
	}
}

// TestRawMLPGradient checks the hand-derived backward (the reference for NewMLP)
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

// TestMLPMatchesRawGradient holds NewMLP's autodiff gradients to the
// hand-derived ones on the same weights and batch.
func TestMLPMatchesRawGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	const n = 16
	raw := newRawMLP(20, 12, 5, n, rng)
	Fill(raw.b1, Normal, rng)
	m := NewMLP[float32]("mlp", []int{20, 12, 5}, ReLU, rng)
	params := m.Params()
	for i, p := range []*Param[float32]{raw.w1, raw.b1, raw.w2, raw.b2} {
		copy(params[i].Value.Data, p.Data)
	}
	x := make([]float32, n*20)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]int, n)
	for i := range y {
		y[i] = rng.IntN(5)
	}
	k := &keep{}
	want := raw.step(x, y, k)
	tp := autodiff.NewTape[float32]()
	loss := tp.CrossEntropy(m.Forward(tp, tp.Const(tensor.FromSlice(x, n, 20))), y)
	tp.Backward(loss)
	if got := float64(loss.Value.Data[0]); math.Abs(got-want) > 1e-5*math.Abs(want) {
		t.Errorf("loss %v, hand-derived %v", got, want)
	}
	for i, p := range params {
		for j, g := range p.Grad.Data {
			// float32 sums of up to 20 terms in another order: 1e-5 absolute
			// on gradients of order 0.1.
			if d := math.Abs(float64(g - k.g[i][j])); d > 1e-5 {
				t.Fatalf("%s grad[%d] = %v, hand-derived %v", p.Name, j, g, k.g[i][j])
			}
		}
	}
}
