package autodiff

import (
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/tensor"
)

func randParam(r *rand.Rand, name string, shape ...int) *Var[float64] {
	d := tensor.New[float64](shape...)
	for i := range d.Data {
		d.Data[i] = r.NormFloat64()
	}
	return NewParam(name, d)
}

func TestGradMLP(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	x := randParam(r, "x", 4, 3)
	w1 := randParam(r, "w1", 3, 5)
	b1 := randParam(r, "b1", 5)
	w2 := randParam(r, "w2", 5, 3)
	f := func(tp *Tape[float64]) *Var[float64] {
		h := tp.Tanh(tp.Linear(x, w1, b1))
		return tp.CrossEntropy(tp.MatMul(h, w2), []int{0, 2, 1, 2})
	}
	if e := CheckGrad(f, []*Var[float64]{x, w1, b1, w2}, 1e-6); e > 1e-6 {
		t.Fatalf("max relative error %g", e)
	}
}
