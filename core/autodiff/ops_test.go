package autodiff

import (
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/tensor"
)

func uniformParam(r *rand.Rand, name string, lo, hi float64, shape ...int) *Var[float64] {
	d := tensor.New[float64](shape...)
	for i := range d.Data {
		d.Data[i] = lo + (hi-lo)*r.Float64()
	}
	return NewParam(name, d)
}

// weights makes a fixed random projection so that the loss sum(w*op) has a
// gradient that differs per element.
func weighted(tp *Tape[float64], v *Var[float64]) *Var[float64] {
	w := tensor.New[float64](v.Value.Shape...)
	for i := range w.Data {
		w.Data[i] = 0.3 + 0.17*float64(i%7) - 0.05*float64(i%3)
	}
	return tp.Sum(tp.Mul(v, tp.Const(w)))
}

// Tolerance: central differences with eps=1e-6 in float64 carry truncation
// error ~eps^2*f”' (~1e-12) and rounding ~1e-16/eps (~1e-10); 1e-6 leaves room.
const fdTol = 1e-6

func TestOpsFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	a := uniformParam(r, "a", -2, 2, 3, 4)
	pos := uniformParam(r, "pos", 0.5, 2, 3, 4)
	row := uniformParam(r, "row", -1, 1, 4)
	col := uniformParam(r, "col", 0.5, 1.5, 3, 1)
	sc := uniformParam(r, "sc", 0.5, 1.5, 1)
	m := uniformParam(r, "m", -1, 1, 4, 5)
	bias := uniformParam(r, "bias", -1, 1, 5)
	cube := uniformParam(r, "cube", -1, 1, 2, 3, 4)
	targets := []int{1, 0, 3}
	type T = Tape[float64]
	type V = *Var[float64]
	cases := []struct {
		name string
		f    func(tp *T) V
		vars []V
	}{
		{"Add", func(tp *T) V { return weighted(tp, tp.Add(a, pos)) }, []V{a, pos}},
		{"AddRow", func(tp *T) V { return weighted(tp, tp.Add(a, row)) }, []V{a, row}},
		{"AddRowFirst", func(tp *T) V { return weighted(tp, tp.Add(row, a)) }, []V{a, row}},
		{"SubCol", func(tp *T) V { return weighted(tp, tp.Sub(a, col)) }, []V{a, col}},
		{"SubColFirst", func(tp *T) V { return weighted(tp, tp.Sub(col, a)) }, []V{a, col}},
		{"MulScalar", func(tp *T) V { return weighted(tp, tp.Mul(a, sc)) }, []V{a, sc}},
		{"Mul", func(tp *T) V { return weighted(tp, tp.Mul(a, pos)) }, []V{a, pos}},
		{"Sub", func(tp *T) V { return weighted(tp, tp.Sub(a, pos)) }, []V{a, pos}},
		{"MulSelf", func(tp *T) V { return weighted(tp, tp.Mul(a, a)) }, []V{a}},
		{"AddSelf", func(tp *T) V { return weighted(tp, tp.Add(a, a)) }, []V{a}},
		{"Div", func(tp *T) V { return weighted(tp, tp.Div(a, pos)) }, []V{a, pos}},
		{"DivCol", func(tp *T) V { return weighted(tp, tp.Div(a, col)) }, []V{a, col}},
		{"DivScalarFirst", func(tp *T) V { return weighted(tp, tp.Div(sc, pos)) }, []V{sc, pos}},
		{"Scale", func(tp *T) V { return weighted(tp, tp.Scale(a, 1.7)) }, []V{a}},
		{"AddScalar", func(tp *T) V { return weighted(tp, tp.Square(tp.AddScalar(a, 0.3))) }, []V{a}},
		{"Neg", func(tp *T) V { return weighted(tp, tp.Neg(a)) }, []V{a}},
		{"Exp", func(tp *T) V { return weighted(tp, tp.Exp(a)) }, []V{a}},
		{"Log", func(tp *T) V { return weighted(tp, tp.Log(pos)) }, []V{pos}},
		{"Tanh", func(tp *T) V { return weighted(tp, tp.Tanh(a)) }, []V{a}},
		{"Sigmoid", func(tp *T) V { return weighted(tp, tp.Sigmoid(a)) }, []V{a}},
		{"ReLU", func(tp *T) V { return weighted(tp, tp.ReLU(a)) }, []V{a}},
		{"Softplus", func(tp *T) V { return weighted(tp, tp.Softplus(a)) }, []V{a}},
		{"Square", func(tp *T) V { return weighted(tp, tp.Square(a)) }, []V{a}},
		{"Sum", func(tp *T) V { return tp.Square(tp.Sum(a)) }, []V{a}},
		{"Mean", func(tp *T) V { return tp.Square(tp.Mean(a)) }, []V{a}},
		{"SumAxis0", func(tp *T) V { return weighted(tp, tp.Square(tp.SumAxis(cube, 0))) }, []V{cube}},
		{"SumAxis1", func(tp *T) V { return weighted(tp, tp.Square(tp.SumAxis(cube, 1))) }, []V{cube}},
		{"MeanAxis2", func(tp *T) V { return weighted(tp, tp.Square(tp.MeanAxis(cube, 2))) }, []V{cube}},
		{"MatMul", func(tp *T) V { return weighted(tp, tp.MatMul(a, m)) }, []V{a, m}},
		{"Linear", func(tp *T) V { return weighted(tp, tp.Tanh(tp.Linear(a, m, bias))) }, []V{a, m, bias}},
		{"LinearNoBias", func(tp *T) V { return weighted(tp, tp.Linear(a, m, nil)) }, []V{a, m}},
		{"LogSoftmax", func(tp *T) V { return weighted(tp, tp.LogSoftmax(a)) }, []V{a}},
		{"Softmax", func(tp *T) V { return weighted(tp, tp.Softmax(a)) }, []V{a}},
		{"CrossEntropy", func(tp *T) V { return tp.CrossEntropy(a, targets) }, []V{a}},
		{"CrossEntropyRows", func(tp *T) V { return weighted(tp, tp.CrossEntropyRows(a, targets)) }, []V{a}},
		{"Reshape", func(tp *T) V { return weighted(tp, tp.Square(tp.Reshape(a, 6, 2))) }, []V{a}},
		{"Slice", func(tp *T) V { return weighted(tp, tp.Square(tp.Slice(cube, 1, 1, 3))) }, []V{cube}},
		{"Concat", func(tp *T) V { return weighted(tp, tp.Square(tp.Concat(1, a, pos, col))) }, []V{a, pos, col}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if e := CheckGrad(tc.f, tc.vars, 1e-6); e > fdTol {
				t.Fatalf("max relative error %g > %g", e, fdTol)
			}
		})
	}
}

// StopGrad really stops: d/da sum(a * stop(a)) = stop(a) = a, not 2a.
func TestStopGradBlocks(t *testing.T) {
	a := NewParam("a", tensor.FromSlice([]float64{3}, 1))
	tp := NewTape[float64]()
	tp.Backward(tp.Sum(tp.Mul(a, tp.StopGrad(a))))
	if a.Grad.Data[0] != 3 {
		t.Fatalf("grad %v, want 3", a.Grad.Data[0])
	}
}

// A wrong gradient must be caught by CheckGrad.
func TestCheckGradCatchesError(t *testing.T) {
	a := NewParam("a", tensor.FromSlice([]float64{1, 2}, 2))
	e := CheckGrad(func(tp *Tape[float64]) *Var[float64] {
		y := tp.Square(a)
		if y.grad {
			y.back = func() {} // drop the gradient
		}
		return tp.Sum(y)
	}, []*Var[float64]{a}, 1e-6)
	if e < 0.1 {
		t.Fatalf("broken gradient gave error %g", e)
	}
}

func TestResetReusesBuffers(t *testing.T) {
	w := NewParam("w", tensor.New[float32](8, 4))
	x := tensor.New[float32](16, 8)
	tp := NewTape[float32]()
	step := func() {
		tp.Reset()
		tp.Backward(tp.CrossEntropy(tp.Linear(tp.Const(x), w, nil), make([]int, 16)))
	}
	step()
	allocs := testing.AllocsPerRun(10, step)
	// Steady state: only Var headers and closures, no value buffers
	// (a fresh [16,4] buffer alone would show up in the byte count below).
	if allocs > 20 {
		t.Fatalf("%v allocations per step", allocs)
	}
}
