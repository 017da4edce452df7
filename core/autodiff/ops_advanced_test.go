package autodiff

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/tensor"
)

// advGradTol is the bound on the finite-difference check's relative error.
const advGradTol = 1e-6

// advFDEps is the central-difference step: truncation error O(eps²) ≈ 1e-10 and
// rounding error O(1e-16·|f|/eps) ≈ 1e-11·|f|, both far below advGradTol even
// for the small gradients of attention logits.
const advFDEps = 1e-5

// advRandParam returns a seeded parameter whose elements are uniform in [lo, hi),
// with magnitudes at least minAbs (to keep away from kinks such as |x| at 0).
func advRandParam(rng *rand.Rand, name string, lo, hi, minAbs float64, shape ...int) *Var[float64] {
	d := tensor.New[float64](shape...)
	for i := range d.Data {
		for {
			x := lo + (hi-lo)*rng.Float64()
			if math.Abs(x) >= minAbs {
				d.Data[i] = x
				break
			}
		}
	}
	return NewParam(name, d)
}

// advWeighted reduces y to a scalar with fixed random weights, so that every
// element of y's gradient differs.
func advWeighted(tp *Tape[float64], y *Var[float64], seed uint64) *Var[float64] {
	rng := rand.New(rand.NewPCG(seed, 99))
	w := tensor.New[float64](y.Value.Shape...)
	for i := range w.Data {
		w.Data[i] = rng.NormFloat64()
	}
	return tp.Sum(tp.Mul(y, tp.Const(w)))
}

func TestAdvancedOpsGradCheck(t *testing.T) {
	type tcase struct {
		name string
		vars func(rng *rand.Rand) []*Var[float64]
		f    func(tp *Tape[float64], v []*Var[float64]) *Var[float64]
	}
	unit := func(lo, hi, minAbs float64, shape ...int) func(rng *rand.Rand) []*Var[float64] {
		return func(rng *rand.Rand) []*Var[float64] {
			return []*Var[float64]{advRandParam(rng, "x", lo, hi, minAbs, shape...)}
		}
	}
	attn := func(o AttnOpts) tcase {
		return tcase{
			name: "Attention",
			vars: func(rng *rand.Rand) []*Var[float64] {
				r, c := o.Batch*o.Seq, 2*o.Heads*2
				return []*Var[float64]{
					advRandParam(rng, "q", -1, 1, 0, r, c),
					advRandParam(rng, "k", -1, 1, 0, r, c),
					advRandParam(rng, "v", -1, 1, 0, r, c),
				}
			},
			f: func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
				return tp.Attention(v[0], v[1], v[2], o)
			},
		}
	}
	cases := []tcase{
		{"GELU", unit(-3, 3, 0, 3, 4), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] { return tp.GELU(v[0]) }},
		{"Logit", unit(0.05, 0.95, 0, 3, 4), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] { return tp.Logit(v[0]) }},
		{"Sqrt", unit(0.1, 3, 0, 3, 4), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] { return tp.Sqrt(v[0]) }},
		{"Abs", unit(-2, 2, 0.1, 3, 4), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] { return tp.Abs(v[0]) }},
		{"LogSigmoid", unit(-5, 5, 0, 3, 4), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] { return tp.LogSigmoid(v[0]) }},
		{"Gather", unit(-1, 1, 0, 5, 3), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
			return tp.Gather(v[0], []int{4, 0, 4, 2})
		}},
		{"SelectRows", unit(-1, 1, 0, 5, 2, 3), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
			return tp.SelectRows(v[0], []int{1, 1, 3})
		}},
		{"Transpose", unit(-1, 1, 0, 3, 5), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] { return tp.Transpose(v[0]) }},
		{"LayerNorm", func(rng *rand.Rand) []*Var[float64] {
			return []*Var[float64]{advRandParam(rng, "x", -2, 2, 0, 2, 3, 5), advRandParam(rng, "g", -2, 2, 0, 5), advRandParam(rng, "b", -1, 1, 0, 5)}
		}, func(tp *Tape[float64], v []*Var[float64]) *Var[float64] { return tp.LayerNorm(v[0], v[1], v[2], 1e-5) }},
		{"LayerNormNoAffine", unit(-2, 2, 0, 4, 6), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
			return tp.LayerNorm(v[0], nil, nil, 1e-5)
		}},
		{"RMSNorm", func(rng *rand.Rand) []*Var[float64] {
			return []*Var[float64]{advRandParam(rng, "x", -2, 2, 0, 4, 5), advRandParam(rng, "g", -2, 2, 0, 5)}
		}, func(tp *Tape[float64], v []*Var[float64]) *Var[float64] { return tp.RMSNorm(v[0], v[1], 1e-6) }},
		{"MaskedFill", unit(-1, 1, 0, 2, 2, 3), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
			return tp.MaskedFill(v[0], []bool{true, false, false, true, false, true}, -7)
		}},
		{"CumSum0", unit(-1, 1, 0, 4, 3), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] { return tp.CumSum(v[0], 0) }},
		{"CumSum1", unit(-1, 1, 0, 2, 4, 3), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] { return tp.CumSum(v[0], 1) }},
		{"SegmentMean", unit(-1, 1, 0, 6, 3), func(tp *Tape[float64], v []*Var[float64]) *Var[float64] {
			return tp.SegmentMean(v[0], []int{0, 0, 2, 2, 2, 3}, 4)
		}},
		attn(AttnOpts{Batch: 2, Seq: 5, Heads: 2}),
		attn(AttnOpts{Batch: 2, Seq: 5, Heads: 2, Causal: true}),
		attn(AttnOpts{Batch: 1, Seq: 6, Heads: 2, Causal: true, Window: 2}),
		attn(AttnOpts{Batch: 1, Seq: 6, Heads: 2, Window: 2}),
		attn(AttnOpts{Batch: 2, Seq: 5, Heads: 2, Causal: true, RoPE: true}),
		attn(AttnOpts{Batch: 1, Seq: 7, Heads: 2, Causal: true, Window: 3, RoPE: true, RoPEBase: 100}),
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(ci), 1))
			vars := c.vars(rng)
			f := func(tp *Tape[float64]) *Var[float64] { return advWeighted(tp, c.f(tp, vars), uint64(ci)) }
			if e := CheckGrad(f, vars, advFDEps); !(e < advGradTol) {
				t.Fatalf("max relative error %g, want < %g", e, advGradTol)
			}
		})
	}
}

// TestAdvancedOpsValues checks forward values against closed forms.
func TestAdvancedOpsValues(t *testing.T) {
	tp := NewTape[float64]()
	x := tp.Const(tensor.FromSlice([]float64{-2, -0.5, 0.25, 1, 3, 0.5}, 2, 3))
	near := func(name string, got *Var[float64], want []float64) {
		t.Helper()
		for i := range want {
			if math.Abs(got.Value.Data[i]-want[i]) > 1e-12 {
				t.Errorf("%s[%d] = %v, want %v", name, i, got.Value.Data[i], want[i])
			}
		}
	}
	// Φ(1) = 0.8413447460685429 (normal table).
	near("GELU(1)", tp.GELU(tp.Const(tensor.FromSlice([]float64{1}, 1))), []float64{0.8413447460685429})
	near("Logit(0.25)", tp.Logit(tp.Const(tensor.FromSlice([]float64{0.25}, 1))), []float64{math.Log(1.0 / 3)})
	near("LogSigmoid", tp.LogSigmoid(x), []float64{math.Log(1 / (1 + math.Exp(2))), math.Log(1 / (1 + math.Exp(0.5))), math.Log(1 / (1 + math.Exp(-0.25))), math.Log(1 / (1 + math.Exp(-1))), math.Log(1 / (1 + math.Exp(-3))), math.Log(1 / (1 + math.Exp(-0.5)))})
	near("Abs", tp.Abs(x), []float64{2, 0.5, 0.25, 1, 3, 0.5})
	near("Transpose", tp.Transpose(x), []float64{-2, 1, -0.5, 3, 0.25, 0.5})
	near("CumSum1", tp.CumSum(x, 1), []float64{-2, -2.5, -2.25, 1, 4, 4.5})
	near("CumSum0", tp.CumSum(x, 0), []float64{-2, -0.5, 0.25, -1, 2.5, 0.75})
	near("SegmentMean", tp.SegmentMean(tp.Transpose(x), []int{1, 1, 0}, 3), []float64{0.25, 0.5, -1.25, 2, 0, 0})
	near("Gather", tp.Gather(x, []int{1, 0}), []float64{1, 3, 0.5, -2, -0.5, 0.25})
	near("MaskedFill", tp.MaskedFill(x, []bool{false, true, false}, 9), []float64{-2, 9, 0.25, 1, 9, 0.5})
	// Row 1 of x is (1, 3, 0.5): mean 1.5, biased variance 7/6.
	ln := tp.LayerNorm(x, nil, nil, 0)
	s := math.Sqrt(7.0 / 6)
	near("LayerNorm row 1", tp.SelectRows(ln, []int{1}), []float64{-0.5 / s, 1.5 / s, -1 / s})
	// RMS of row 1 = sqrt((1+9+0.25)/3).
	r := math.Sqrt(10.25 / 3)
	near("RMSNorm row 1", tp.SelectRows(tp.RMSNorm(x, nil, 0), []int{1}), []float64{1 / r, 3 / r, 0.5 / r})
}

func TestAdvancedOpsPanics(t *testing.T) {
	tp := NewTape[float64]()
	x := tp.Const(tensor.New[float64](3, 4))
	for name, f := range map[string]func(){
		"gather out of range":   func() { tp.Gather(x, []int{3}) },
		"gather 3-D":            func() { tp.Gather(tp.Const(tensor.New[float64](2, 2, 2)), []int{0}) },
		"select negative":       func() { tp.SelectRows(x, []int{-1}) },
		"transpose 3-D":         func() { tp.Transpose(tp.Const(tensor.New[float64](2, 2, 2))) },
		"layernorm gain size":   func() { tp.LayerNorm(x, tp.Const(tensor.New[float64](3)), nil, 1e-5) },
		"maskedfill bad length": func() { tp.MaskedFill(x, make([]bool, 5), 0) },
		"cumsum axis":           func() { tp.CumSum(x, 2) },
		"segment id":            func() { tp.SegmentMean(x, []int{0, 1, 2}, 2) },
		"segment count":         func() { tp.SegmentMean(x, []int{0, 1}, 2) },
		"attention rows":        func() { tp.Attention(x, x, x, AttnOpts{Batch: 2, Seq: 2, Heads: 1}) },
		"attention odd rope":    func() { tp.Attention(x, x, x, AttnOpts{Batch: 1, Seq: 3, Heads: 4, RoPE: true}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}
