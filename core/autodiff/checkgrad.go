package autodiff

import "math"

// CheckGrad compares Backward's gradient of f with central finite
// differences (step eps) on every element of every var, and returns the
// largest error |a-n| / max(1, |a|+|n|): relative for gradients of size
// above 1, absolute below (so exact zeros do not divide by ~0). vars are
// parameters (NewParam); f builds the scalar loss on the tape it is given.
// Gradients of vars are zeroed first and hold the analytic gradient after.
func CheckGrad(f func(tp *Tape[float64]) *Var[float64], vars []*Var[float64], eps float64) (maxRelErr float64) {
	ZeroGrads(vars)
	tp := NewTape[float64]()
	tp.Backward(f(tp))
	eval := NewTape[float64]()
	eval.NoGrad(true)
	loss := func() float64 {
		eval.Reset()
		return f(eval).Value.Data[0]
	}
	for _, v := range vars {
		for i := range v.Value.Data {
			x := v.Value.Data[i]
			v.Value.Data[i] = x + eps
			up := loss()
			v.Value.Data[i] = x - eps
			down := loss()
			v.Value.Data[i] = x
			num := (up - down) / (2 * eps)
			a := v.Grad.Data[i]
			e := math.Abs(a-num) / math.Max(1, math.Abs(a)+math.Abs(num))
			if e > maxRelErr || math.IsNaN(e) {
				maxRelErr = e
			}
		}
	}
	return maxRelErr
}
