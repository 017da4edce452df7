package optim

import (
	"math"
	"strings"
	"testing"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/tensor"
)

// TestStepVarsByHand runs loss = sum(w*x) + sum(b) through the tape, whose
// gradients are x and 1, and checks SGD with momentum and Adam updates
// computed by hand.
func TestStepVarsByHand(t *testing.T) {
	x := tensor.FromSlice([]float64{0.5, -1}, 2)
	for _, tc := range []struct {
		name string
		opt  Optimizer[float64]
		// want returns w[0] after two identical steps from w0 with gradient g.
		want func(w0, g float64) float64
	}{
		{"sgd-momentum", &SGD[float64]{LR: 0.1, Momentum: 0.9}, func(w0, g float64) float64 {
			return w0 - 0.1*g - 0.1*(0.9*g+g)
		}},
		{"adam", &Adam[float64]{LR: 0.01}, func(w0, g float64) float64 {
			// constant gradient: mhat = g, vhat = g^2 on every step
			return w0 - 2*0.01*g/(math.Abs(g)+1e-8)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := autodiff.NewParam("w", tensor.FromSlice([]float64{1, 2}, 2))
			b := autodiff.NewParam("b", tensor.FromSlice([]float64{3}, 1))
			params := []*autodiff.Var[float64]{w, b}
			tp := autodiff.NewTape[float64]()
			for step := 0; step < 2; step++ {
				tp.Reset()
				autodiff.ZeroGrads(params)
				loss := tp.Add(tp.Sum(tp.Mul(w, tp.Const(x))), tp.Sum(b))
				tp.Backward(loss)
				Step(tc.opt, params)
			}
			near(t, "w0", w.Value.Data[0], tc.want(1, 0.5))
			near(t, "w1", w.Value.Data[1], tc.want(2, -1))
			near(t, "b", b.Value.Data[0], tc.want(3, 1))
		})
	}
}

func TestClipGradNormVars(t *testing.T) {
	w := autodiff.NewParam("w", tensor.New[float64](1))
	b := autodiff.NewParam("b", tensor.New[float64](1))
	w.Grad.Data[0], b.Grad.Data[0] = 3, 4
	if n := ClipGradNorm([]*autodiff.Var[float64]{w, b}, 1); n != 5 {
		t.Fatalf("norm = %v, want 5", n)
	}
	near(t, "gw", w.Grad.Data[0], 0.6)
	near(t, "gb", b.Grad.Data[0], 0.8)
}

func TestStepRefusesNonParameter(t *testing.T) {
	tp := autodiff.NewTape[float32]()
	c := tp.Const(tensor.New[float32](2))
	c.Name = "frozen"
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), `"frozen"`) {
			t.Fatalf("panic %v, want one naming the parameter", r)
		}
	}()
	Step[float32](&SGD[float32]{LR: 1}, []*autodiff.Var[float32]{c})
}
