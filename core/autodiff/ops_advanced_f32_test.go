package autodiff

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/tensor"
)

// advForwardBackward runs one op in precision T on fixed inputs and returns
// its output and the gradients of a weighted sum of it: one generic body for
// float32 and float64.
func advForwardBackward[T tensor.Float](op func(tp *Tape[T], x *Var[T]) *Var[T], x []float64, shape []int, w []float64) (out, grad []float64) {
	xv := tensor.New[T](shape...)
	for i, v := range x {
		xv.Data[i] = T(v)
	}
	p := NewParam("x", xv)
	tp := NewTape[T]()
	y := op(tp, p)
	wv := tensor.New[T](y.Value.Shape...)
	for i := range wv.Data {
		wv.Data[i] = T(w[i%len(w)])
	}
	tp.Backward(tp.Sum(tp.Mul(y, tp.Const(wv))))
	for _, v := range y.Value.Data {
		out = append(out, float64(v))
	}
	for _, v := range p.Grad.Data {
		grad = append(grad, float64(v))
	}
	return out, grad
}

func TestAdvancedOpsFloat32(t *testing.T) {
	o := AttnOpts{Batch: 2, Seq: 4, Heads: 2, Causal: true, Window: 2, RoPE: true}
	type ops struct {
		f32 func(tp *Tape[float32], x *Var[float32]) *Var[float32]
		f64 func(tp *Tape[float64], x *Var[float64]) *Var[float64]
	}
	cases := map[string]ops{
		"GELU":       {func(tp *Tape[float32], x *Var[float32]) *Var[float32] { return tp.GELU(x) }, func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.GELU(x) }},
		"LogSigmoid": {func(tp *Tape[float32], x *Var[float32]) *Var[float32] { return tp.LogSigmoid(x) }, func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.LogSigmoid(x) }},
		"LayerNorm":  {func(tp *Tape[float32], x *Var[float32]) *Var[float32] { return tp.LayerNorm(x, nil, nil, 1e-5) }, func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.LayerNorm(x, nil, nil, 1e-5) }},
		"RMSNorm":    {func(tp *Tape[float32], x *Var[float32]) *Var[float32] { return tp.RMSNorm(x, nil, 1e-5) }, func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.RMSNorm(x, nil, 1e-5) }},
		"CumSum":     {func(tp *Tape[float32], x *Var[float32]) *Var[float32] { return tp.CumSum(x, 0) }, func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.CumSum(x, 0) }},
		"SegmentMean": {func(tp *Tape[float32], x *Var[float32]) *Var[float32] {
			return tp.SegmentMean(x, []int{0, 0, 1, 1, 1, 2, 2, 2}, 3)
		},
			func(tp *Tape[float64], x *Var[float64]) *Var[float64] {
				return tp.SegmentMean(x, []int{0, 0, 1, 1, 1, 2, 2, 2}, 3)
			}},
		"Attention": {func(tp *Tape[float32], x *Var[float32]) *Var[float32] { return tp.Attention(x, x, x, o) },
			func(tp *Tape[float64], x *Var[float64]) *Var[float64] { return tp.Attention(x, x, x, o) }},
	}
	rng := rand.New(rand.NewPCG(11, 12))
	shape := []int{8, 8}
	x, w := make([]float64, 64), make([]float64, 64)
	for i := range x {
		x[i], w[i] = rng.NormFloat64(), rng.NormFloat64()
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			y32, g32 := advForwardBackward(c.f32, x, shape, w)
			y64, g64 := advForwardBackward(c.f64, x, shape, w)
			// float32 has a 6e-8 unit roundoff; a few dozen operations per
			// element stay well inside 1e-5 relative to the values' scale.
			for _, pair := range [][2][]float64{{y32, y64}, {g32, g64}} {
				for i := range pair[1] {
					if math.Abs(pair[0][i]-pair[1][i]) > 1e-5*(1+math.Abs(pair[1][i])) {
						t.Fatalf("element %d: float32 %v, float64 %v", i, pair[0][i], pair[1][i])
					}
				}
			}
		})
	}
}
