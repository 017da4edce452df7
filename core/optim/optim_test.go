package optim

import (
	"math"
	"runtime"
	"testing"
)

// tol: the hand computations are exact in float64 up to a few ulps.
const tol = 1e-12

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > tol*(1+math.Abs(want)) {
		t.Errorf("%s = %.15g, want %.15g", what, got, want)
	}
}

func TestSGDMomentumByHand(t *testing.T) {
	w := []float64{1, -2}
	o := &SGD[float64]{LR: 0.1, Momentum: 0.9}
	o.StepSlices([][]float64{w}, [][]float64{{0.5, 1}})
	// v = g; w = w - 0.1*g
	near(t, "w0 step1", w[0], 0.95)
	near(t, "w1 step1", w[1], -2.1)
	o.StepSlices([][]float64{w}, [][]float64{{0.5, 1}})
	// v = 0.9*0.5+0.5 = 0.95, 0.9*1+1 = 1.9
	near(t, "w0 step2", w[0], 0.95-0.095)
	near(t, "w1 step2", w[1], -2.1-0.19)
}

func TestSGDPlain(t *testing.T) {
	w := []float32{3}
	o := &SGD[float32]{LR: 0.5}
	o.StepSlices([][]float32{w}, [][]float32{{2}})
	if w[0] != 2 {
		t.Fatalf("w = %v, want 2", w[0])
	}
}

func TestAdamByHand(t *testing.T) {
	w := []float64{1}
	o := &Adam[float64]{LR: 0.01}
	g1, g2 := 0.3, -0.2
	o.StepSlices([][]float64{w}, [][]float64{{g1}})
	// step 1: mhat = g, vhat = g^2, update = lr*g/(|g|+eps)
	want := 1 - 0.01*g1/(math.Abs(g1)+1e-8)
	near(t, "w step1", w[0], want)
	o.StepSlices([][]float64{w}, [][]float64{{g2}})
	m := 0.9*(0.1*g1) + 0.1*g2
	v := 0.999*(0.001*g1*g1) + 0.001*g2*g2
	mh, vh := m/(1-0.81), v/(1-0.999*0.999)
	want -= 0.01 * mh / (math.Sqrt(vh) + 1e-8)
	near(t, "w step2", w[0], want)
	if o.Steps() != 2 {
		t.Errorf("steps = %d, want 2", o.Steps())
	}
}

func TestAdamWDecoupledDecay(t *testing.T) {
	// with a zero gradient Adam's step is 0 and only the decay acts
	w := []float64{2}
	o := &AdamW[float64]{LR: 0.1, WeightDecay: 0.5}
	o.StepSlices([][]float64{w}, [][]float64{{0}})
	near(t, "w", w[0], 2-0.1*0.5*2)
	// with a gradient: decay then the step-1 Adam update of size lr
	w2 := []float64{2}
	o2 := &AdamW[float64]{LR: 0.1, WeightDecay: 0.5}
	o2.StepSlices([][]float64{w2}, [][]float64{{4}})
	near(t, "w2", w2[0], 1.9-0.1*4/(4+1e-8))
}

func TestClipGlobalNorm(t *testing.T) {
	g := [][]float64{{3}, {4, 0}}
	n := ClipGlobalNorm(g, 1)
	near(t, "norm", n, 5)
	near(t, "g0", g[0][0], 0.6)
	near(t, "g1", g[1][0], 0.8)
	h := [][]float32{{0.3, 0.4}}
	if n := ClipGlobalNorm(h, 1); math.Abs(n-0.5) > 1e-7 || h[0][0] != 0.3 {
		t.Errorf("below max: norm %v, g %v; want 0.5 and unchanged", n, h)
	}
}

func TestMismatchPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic on length mismatch")
		}
	}()
	(&SGD[float64]{LR: 1}).StepSlices([][]float64{{1, 2}}, [][]float64{{1}})
}

func TestSchedules(t *testing.T) {
	if Constant(0.3).LR(99) != 0.3 {
		t.Error("constant")
	}
	s := WarmupCosine{Base: 1, Warmup: 4, Total: 14, Min: 0.1}
	cases := []struct {
		step int
		want float64
	}{
		{0, 0.25}, {3, 1}, {4, 1}, {9, 0.1 + 0.9*0.5}, {14, 0.1}, {100, 0.1},
		{6, 0.1 + 0.9*0.5*(1+math.Cos(math.Pi*0.2))},
	}
	for _, c := range cases {
		near(t, "lr", s.LR(c.step), c.want)
	}
}

// TestAdamSplitIsBitIdentical runs Adam on a slot large enough to be split
// across goroutines, once with GOMAXPROCS 1 (no split) and once with 4, and
// requires the same bits.
func TestAdamSplitIsBitIdentical(t *testing.T) {
	n := 3*parallelMin + 17
	run := func(procs int) []float32 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		w, g := make([]float32, n), make([]float32, n)
		for i := range g {
			w[i], g[i] = float32(i%11)*0.1, float32(i%7)-3
		}
		o := &AdamW[float32]{LR: 1e-2, WeightDecay: 0.1}
		for s := 0; s < 3; s++ {
			o.StepSlices([][]float32{w}, [][]float32{g})
		}
		return w
	}
	a, b := run(1), run(4)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("w[%d]: %v serial, %v split", i, a[i], b[i])
		}
	}
}
