package optim

import (
	"fmt"

	"github.com/ablate-ml/ablate/core/autodiff"
)

// Step applies one update of opt to autodiff parameters: each parameter's
// Value moves along its Grad, slot i being params[i]. The list must name the
// same parameters in the same order on every call (the optimizer's state is
// per slot). It panics, naming the parameter, when one has no gradient
// buffer (a Var that is not a parameter). Gradients are left as they are;
// clear them with autodiff.ZeroGrads before the next backward pass.
func Step[T Float](opt Optimizer[T], params []*autodiff.Var[T]) {
	values, grads := Slots(params)
	opt.StepSlices(values, grads)
}

// ClipGradNorm scales the gradients of params together so that their global
// L2 norm is at most maxNorm (see ClipGlobalNorm) and returns the norm before
// clipping.
func ClipGradNorm[T Float](params []*autodiff.Var[T], maxNorm float64) float64 {
	_, grads := Slots(params)
	return ClipGlobalNorm(grads, maxNorm)
}

// Slots returns the value and gradient slices of params, in order, for
// StepSlices. The slices share the parameters' storage.
func Slots[T Float](params []*autodiff.Var[T]) (values, grads [][]T) {
	values, grads = make([][]T, len(params)), make([][]T, len(params))
	for i, p := range params {
		if p.Grad == nil || len(p.Grad.Data) != len(p.Value.Data) {
			panic(fmt.Sprintf("optim: parameter %d (%q, shape %v) has no gradient buffer; make it with autodiff.NewParam", i, p.Name, p.Value.Shape))
		}
		values[i], grads[i] = p.Value.Data, p.Grad.Data
	}
	return values, grads
}
