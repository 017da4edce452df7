// Package autodiff is a tape-based reverse-mode automatic differentiation
// engine over tensor.Dense[T] for T float32 or float64.
//
// Parameters persist across steps and carry names:
//
//	w := autodiff.NewParam("fc.w", tensor.New[float32](784, 256))
//
// Each step records operations on a Tape, then runs Backward on a scalar
// loss; gradients accumulate into each parameter's Grad. Reset reuses the
// tape's buffers for the next step:
//
//	tp := autodiff.NewTape[float32]()
//	for step := 0; step < n; step++ {
//		tp.Reset()
//		autodiff.ZeroGrads(params)
//		x := tp.Const(batch)
//		h := tp.ReLU(tp.Linear(x, w1, b1))
//		loss := tp.CrossEntropy(tp.Linear(h, w2, b2), labels)
//		tp.Backward(loss)
//		// read w1.Grad.Data, update w1.Value.Data (see core/optim)
//	}
//
// NoGrad(true) turns recording off for evaluation. CheckGrad compares
// Backward with central finite differences in float64.
package autodiff
