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

func TestGradOps(t *testing.T) {
	cases := map[string]func(tp *Tape[float64], a, b *Var[float64]) *Var[float64]{
		"add": func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Add(a, b) },
		"sub": func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Sub(a, b) },
		"mul": func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Mul(a, b) },
		"div": func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] {
			return tp.Div(a, tp.AddScalar(tp.Square(b), 1))
		},
		"exp": func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Exp(a) },
		"log": func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] {
			return tp.Log(tp.AddScalar(tp.Square(a), 1))
		},
		"sigmoid":  func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Sigmoid(a) },
		"softplus": func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Softplus(a) },
		"sumaxis0": func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Square(tp.SumAxis(a, 0)) },
		"meanaxis": func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Square(tp.MeanAxis(a, 1)) },
		"softmax":  func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Mul(tp.Softmax(a), b) },
		"logsm":    func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Mul(tp.LogSoftmax(a), b) },
		"slice":    func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Square(tp.Slice(a, 1, 1, 3)) },
		"concat":   func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.Square(tp.Concat(0, a, b)) },
		"reshape":  func(tp *Tape[float64], a, b *Var[float64]) *Var[float64] { return tp.MatMul(tp.Reshape(a, 4, 3), b) },
	}
	names := []string{"add", "sub", "mul", "div", "exp", "log", "sigmoid", "softplus", "sumaxis0", "meanaxis", "softmax", "logsm", "slice", "concat", "reshape"}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			a := randParam(r, "a", 3, 4)
			b := randParam(r, "b", 3, 4)
			f := func(tp *Tape[float64]) *Var[float64] {
				return tp.Sum(tp.Mul(cases[name](tp, a, b), tp.Const(tensor.FromSlice([]float64{0.5}, 1))))
			}
			if e := CheckGrad(f, []*Var[float64]{a, b}, 1e-6); e > 1e-6 {
				t.Fatalf("%s: max relative error %g", name, e)
			}
		})
	}
}
