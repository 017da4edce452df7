package autodiff

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/tensor"
)

// perExampleModel: s rows per example; a weight w used twice (shared) to
// exercise the cross terms of the ghost norm.
func perExampleModel[T Float](tp *Tape[T], x *tensor.Dense[T], targets []int, w1, b1, w, w2, b2 *Var[T]) *Var[T] {
	h := tp.Tanh(tp.Linear(tp.Const(x), w1, b1))
	h = tp.Tanh(tp.Linear(h, w, nil))
	h = tp.Tanh(tp.Linear(h, w, nil))
	return tp.Sum(tp.CrossEntropyRows(tp.Linear(h, w2, b2), targets))
}

func randDense(r *rand.Rand, shape ...int) *tensor.Dense[float64] {
	d := tensor.New[float64](shape...)
	for i := range d.Data {
		d.Data[i] = r.NormFloat64()
	}
	return d
}

func TestSqNormsMatchLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n, in, hid, c = 7, 5, 4, 3
	w1, b1 := NewParam("w1", randDense(r, in, hid)), NewParam("b1", randDense(r, hid))
	w := NewParam("w", randDense(r, hid, hid))
	w2, b2 := NewParam("w2", randDense(r, hid, c)), NewParam("b2", randDense(r, c))
	params := []*Var[float64]{w1, b1, w, w2, b2}
	for _, s := range []int{1, 3} {
		x := randDense(r, n*s, in)
		targets := make([]int, n*s)
		for i := range targets {
			targets[i] = r.IntN(c)
		}
		for _, group := range []int{1, 2, 3, 7} {
			tp := NewTape[float64]()
			ZeroGrads(params)
			tp.PerExample(true, n, group)
			tp.Backward(perExampleModel(tp, x, targets, w1, b1, w, w2, b2))
			tp.Reset() // a second step on the same tape must measure only its own pass
			ZeroGrads(params)
			tp.Backward(perExampleModel(tp, x, targets, w1, b1, w, w2, b2))
			fast := tp.SqNorms(params)
			tp2 := NewTape[float64]()
			tp2.PerExample(true, n, group)
			tp2.NormsOnly(true)
			tp2.Backward(perExampleModel(tp2, x, targets, w1, b1, w, w2, b2))
			only := tp2.SqNorms(params)
			naive := SqNormsNaive(params, n, group, func(tp *Tape[float64], ex []int) *Var[float64] {
				sub := tensor.New[float64](len(ex)*s, in)
				var tg []int
				for k, e := range ex {
					copy(sub.Data[k*s*in:(k+1)*s*in], x.Data[e*s*in:(e+1)*s*in])
					tg = append(tg, targets[e*s:(e+1)*s]...)
				}
				return perExampleModel(tp, sub, tg, w1, b1, w, w2, b2)
			})
			for pi := range params {
				for g := range naive[pi] {
					if only[pi][g] != fast[pi][g] {
						t.Fatalf("NormsOnly changed %s group %d: %v vs %v", params[pi].Name, g, only[pi][g], fast[pi][g])
					}
					a, b := fast[pi][g], naive[pi][g]
					// 1e-9 relative: both are sums of a few hundred float64 products.
					if math.Abs(a-b) > 1e-9*math.Max(1, math.Abs(b)) || b == 0 {
						t.Fatalf("s=%d group=%d %s group %d: fast %v, loop %v", s, group, params[pi].Name, g, a, b)
					}
				}
			}
		}
	}
}

func TestSqNormsPanicsNamingParam(t *testing.T) {
	p := NewParam("emb", tensor.New[float64](2))
	tp := NewTape[float64]()
	tp.PerExample(true, 2, 1)
	tp.Backward(tp.Sum(tp.Square(p)))
	defer func() {
		if e := recover(); e == nil {
			t.Fatal("no panic for a parameter used outside Linear")
		}
	}()
	tp.SqNorms([]*Var[float64]{p})
}

type mlpBench struct {
	w1, b1, w2, b2 *Var[float32]
	x              *tensor.Dense[float32]
	y              []int
}

func newMLPBench() *mlpBench {
	r := rand.New(rand.NewPCG(1, 1))
	f := func(shape ...int) *tensor.Dense[float32] {
		d := tensor.New[float32](shape...)
		for i := range d.Data {
			d.Data[i] = float32(r.NormFloat64() * 0.05)
		}
		return d
	}
	m := &mlpBench{w1: NewParam("w1", f(784, 256)), b1: NewParam("b1", f(256)), w2: NewParam("w2", f(256, 10)), b2: NewParam("b2", f(10)), x: f(128, 784)}
	for i := 0; i < 128; i++ {
		m.y = append(m.y, i%10)
	}
	return m
}

func (m *mlpBench) loss(tp *Tape[float32], x *tensor.Dense[float32], y []int) *Var[float32] {
	h := tp.ReLU(tp.Linear(tp.Const(x), m.w1, m.b1))
	return tp.Sum(tp.CrossEntropyRows(tp.Linear(h, m.w2, m.b2), y))
}

func BenchmarkGradNormsPerExample(b *testing.B) {
	m := newMLPBench()
	params := []*Var[float32]{m.w1, m.b1, m.w2, m.b2}
	tp := NewTape[float32]()
	b.ReportAllocs()
	for b.Loop() {
		tp.Reset()
		ZeroGrads(params)
		tp.PerExample(true, 128, 1)
		tp.NormsOnly(true)
		tp.Backward(m.loss(tp, m.x, m.y))
		tp.SqNorms(params)
	}
}

func BenchmarkGradNormsNaive(b *testing.B) {
	m := newMLPBench()
	params := []*Var[float32]{m.w1, m.b1, m.w2, m.b2}
	b.ReportAllocs()
	for b.Loop() {
		SqNormsNaive(params, 128, 1, func(tp *Tape[float32], ex []int) *Var[float32] {
			x := tensor.FromSlice(m.x.Data[ex[0]*784:(ex[0]+1)*784], 1, 784)
			return m.loss(tp, x, m.y[ex[0]:ex[0]+1])
		})
	}
}
