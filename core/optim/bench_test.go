package optim_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/internal/gemm"
	"github.com/ablate-ml/ablate/core/nn"
	"github.com/ablate-ml/ablate/core/optim"
	"github.com/ablate-ml/ablate/core/tensor"
)

// rawMLP is a one-hidden-layer ReLU MLP with a hand-derived backward pass
// over gonum blas32: the reference the framework's MLP is held to.
type rawMLP struct {
	in, hid, out       int
	w1, b1, w2, b2     *nn.Param[float32]
	gw1, gb1, gw2, gb2 []float32
	h, logits, dh      []float32
	gemm               gemmFunc
}

// gemmFunc is blas32.Gemm's signature: the raw step runs on gonum's sgemm
// or, for BenchmarkMLPStepRawKernel, on the kernel the framework uses.
type gemmFunc func(tA, tB blas.Transpose, alpha float32, a, b blas32.General, beta float32, c blas32.General)

func kernelGemm(tA, tB blas.Transpose, alpha float32, a, b blas32.General, beta float32, c blas32.General) {
	k := a.Cols
	if tA == blas.Trans {
		k = a.Rows
	}
	gemm.Sgemm(tA == blas.Trans, tB == blas.Trans, c.Rows, c.Cols, k, alpha, a.Data, a.Stride, b.Data, b.Stride, beta, c.Data, c.Stride)
}

func newRawMLP(in, hid, out, batch int, rng *rand.Rand) *rawMLP {
	m := &rawMLP{in: in, hid: hid, out: out, gemm: blas32.Gemm,
		w1: nn.NewParam[float32]("l0.weight", in, hid), b1: nn.NewParam[float32]("l0.bias", hid),
		w2: nn.NewParam[float32]("l1.weight", hid, out), b2: nn.NewParam[float32]("l1.bias", out)}
	nn.Fill(m.w1, nn.He, rng)
	nn.Fill(m.w2, nn.Glorot, rng)
	m.gw1, m.gb1 = make([]float32, in*hid), make([]float32, hid)
	m.gw2, m.gb2 = make([]float32, hid*out), make([]float32, out)
	m.h, m.dh, m.logits = make([]float32, batch*hid), make([]float32, batch*hid), make([]float32, batch*out)
	return m
}

func gen(r, c int, d []float32) blas32.General {
	return blas32.General{Rows: r, Cols: c, Stride: c, Data: d[:r*c]}
}

func (m *rawMLP) forward(x []float32, n int) []float32 {
	h := m.h[:n*m.hid]
	for i := 0; i < n; i++ {
		copy(h[i*m.hid:(i+1)*m.hid], m.b1.Data)
	}
	m.gemm(blas.NoTrans, blas.NoTrans, 1, gen(n, m.in, x), gen(m.in, m.hid, m.w1.Data), 1, gen(n, m.hid, h))
	for i, v := range h {
		if v < 0 {
			h[i] = 0
		}
	}
	lg := m.logits[:n*m.out]
	for i := 0; i < n; i++ {
		copy(lg[i*m.out:(i+1)*m.out], m.b2.Data)
	}
	m.gemm(blas.NoTrans, blas.NoTrans, 1, gen(n, m.hid, h), gen(m.hid, m.out, m.w2.Data), 1, gen(n, m.out, lg))
	return lg
}

// step runs forward, the mean cross-entropy backward and one optimizer
// update; it returns the loss.
func (m *rawMLP) step(x []float32, y []int, opt optim.Optimizer[float32]) float64 {
	n := len(y)
	lg := m.forward(x, n)
	var loss float64
	inv := float32(1) / float32(n)
	for i := 0; i < n; i++ {
		row := lg[i*m.out : (i+1)*m.out]
		mx := row[0]
		for _, v := range row {
			mx = max(mx, v)
		}
		var s float32
		for j, v := range row {
			row[j] = float32(math.Exp(float64(v - mx)))
			s += row[j]
		}
		loss -= math.Log(float64(row[y[i]] / s))
		for j := range row {
			row[j] = row[j] / s * inv
		}
		row[y[i]] -= inv
	}
	h, dh := m.h[:n*m.hid], m.dh[:n*m.hid]
	m.gemm(blas.Trans, blas.NoTrans, 1, gen(n, m.hid, h), gen(n, m.out, lg), 0, gen(m.hid, m.out, m.gw2))
	clear(m.gb2)
	for i := 0; i < n; i++ {
		for j := 0; j < m.out; j++ {
			m.gb2[j] += lg[i*m.out+j]
		}
	}
	m.gemm(blas.NoTrans, blas.Trans, 1, gen(n, m.out, lg), gen(m.hid, m.out, m.w2.Data), 0, gen(n, m.hid, dh))
	clear(m.gb1)
	for i, v := range h {
		if v == 0 {
			dh[i] = 0
		}
		m.gb1[i%m.hid] += dh[i]
	}
	m.gemm(blas.Trans, blas.NoTrans, 1, gen(n, m.in, x), gen(n, m.hid, dh), 0, gen(m.in, m.hid, m.gw1))
	opt.StepSlices([][]float32{m.w1.Data, m.b1.Data, m.w2.Data, m.b2.Data}, [][]float32{m.gw1, m.gb1, m.gw2, m.gb2})
	return loss / float64(n)
}

// BenchmarkMLPStepRawGEMM is one training step of a 784-256-10 ReLU MLP on a
// batch of 128 in float32 with Adam: forward, hand-derived backward and
// update, its matrix products called directly on gonum blas32. It is the
// floor the framework's BenchmarkMLPStep is compared against.
func BenchmarkMLPStepRawGEMM(b *testing.B) { benchRaw(b, blas32.Gemm) }

// BenchmarkMLPStepRawKernel is the same hand-derived step with its matrix
// products called directly on the AVX2/FMA kernel that the framework's
// float32 products use on processors that have it: MLPStep / RawKernel is
// the framework's overhead over the products it runs.
func BenchmarkMLPStepRawKernel(b *testing.B) {
	if !gemm.Available {
		b.Skip("no AVX2/FMA kernel on this processor")
	}
	benchRaw(b, kernelGemm)
}

func benchRaw(b *testing.B, gemm gemmFunc) {
	const batch = 128
	rng := rand.New(rand.NewPCG(1, 1))
	m := newRawMLP(784, 256, 10, batch, rng)
	m.gemm = gemm
	x := make([]float32, batch*784)
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]int, batch)
	for i := range y {
		y[i] = rng.IntN(10)
	}
	opt := &optim.Adam[float32]{LR: 1e-3}
	m.step(x, y, opt)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		m.step(x, y, opt)
	}
}

// mlpStep is one training step through the framework: nn.MLP forward on an
// autodiff tape, Backward, optim.Step.
type mlpStep struct {
	m      *nn.MLP[float32]
	params []*autodiff.Var[float32]
	tp     *autodiff.Tape[float32]
	x      *tensor.Dense[float32]
}

func newMLPStep(sizes []int, batch int, rng *rand.Rand) *mlpStep {
	m := nn.NewMLP[float32]("mlp", sizes, nn.ReLU, rng)
	return &mlpStep{m: m, params: m.Params(), tp: autodiff.NewTape[float32](), x: tensor.New[float32](batch, sizes[0])}
}

func (s *mlpStep) step(x []float32, y []int, opt optim.Optimizer[float32]) float32 {
	s.tp.Reset()
	autodiff.ZeroGrads(s.params)
	copy(s.x.Data, x)
	loss := s.tp.CrossEntropy(s.m.Forward(s.tp, s.tp.Const(s.x)), y)
	s.tp.Backward(loss)
	optim.Step(opt, s.params)
	return loss.Value.Data[0]
}

func mlpBatch(batch int, rng *rand.Rand) ([]float32, []int) {
	x := make([]float32, batch*784)
	for i := range x {
		x[i] = rng.Float32()
	}
	y := make([]int, batch)
	for i := range y {
		y[i] = rng.IntN(10)
	}
	return x, y
}

// TestMLPStepMatchesRaw runs three Adam steps of the framework's MLP and of
// the hand-derived one from the same weights and requires the same losses
// and weights up to float32 rounding.
func TestMLPStepMatchesRaw(t *testing.T) {
	const batch = 32
	rng := rand.New(rand.NewPCG(4, 4))
	raw := newRawMLP(784, 64, 10, batch, rng)
	fw := newMLPStep([]int{784, 64, 10}, batch, rng)
	for i, p := range []*nn.Param[float32]{raw.w1, raw.b1, raw.w2, raw.b2} {
		copy(fw.params[i].Value.Data, p.Data)
		for j := range p.Data { // non-zero biases too
			if i%2 == 1 {
				p.Data[j] = 0.01 * float32(j%7)
				fw.params[i].Value.Data[j] = p.Data[j]
			}
		}
	}
	x, y := mlpBatch(batch, rng)
	ro, fo := &optim.Adam[float32]{LR: 1e-3}, &optim.Adam[float32]{LR: 1e-3}
	for s := 0; s < 3; s++ {
		lr, lf := raw.step(x, y, ro), fw.step(x, y, fo)
		// float32 sums over 784 terms in different orders: ~1e-6 relative.
		if math.Abs(lr-float64(lf)) > 1e-5*math.Abs(lr) {
			t.Errorf("step %d: loss %v (framework) vs %v (hand-derived)", s, lf, lr)
		}
	}
	for i, p := range []*nn.Param[float32]{raw.w1, raw.b1, raw.w2, raw.b2} {
		for j, w := range p.Data {
			// Adam's first steps move each weight by ~lr; a sign flip of a
			// tiny gradient could move it the other way, 2e-3 apart.
			if d := math.Abs(float64(w - fw.params[i].Value.Data[j])); d > 1e-4 {
				t.Fatalf("%s[%d]: %v (framework) vs %v (hand-derived)", fw.params[i].Name, j, fw.params[i].Value.Data[j], w)
			}
		}
	}
}

// BenchmarkMLPStep is BenchmarkMLPStepRawGEMM's step through the framework:
// nn.MLP 784-256-10 (ReLU) on an autodiff tape, mean cross-entropy,
// Backward and optim.Step with Adam, batch 128, float32.
func BenchmarkMLPStep(b *testing.B) {
	const batch = 128
	rng := rand.New(rand.NewPCG(1, 1))
	s := newMLPStep([]int{784, 256, 10}, batch, rng)
	x, y := mlpBatch(batch, rng)
	opt := &optim.Adam[float32]{LR: 1e-3}
	s.step(x, y, opt)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.step(x, y, opt)
	}
}
