package autodiff_test

import (
	"fmt"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/tensor"
)

func Example() {
	// A linear model y = x·w + b with a cross-entropy loss on two examples.
	w := autodiff.NewParam("w", tensor.FromSlice([]float64{1, -1, 0.5, 2}, 2, 2))
	b := autodiff.NewParam("b", tensor.New[float64](2))
	x := tensor.FromSlice([]float64{1, 0, 0, 1}, 2, 2)

	tp := autodiff.NewTape[float64]()
	for step := 0; step < 2; step++ {
		tp.Reset()
		autodiff.ZeroGrads([]*autodiff.Var[float64]{w, b})
		logits := tp.Linear(tp.Const(x), w, b)
		loss := tp.CrossEntropy(logits, []int{0, 1})
		tp.Backward(loss)
		fmt.Printf("step %d: loss %.4f, dL/db %.4f\n", step, loss.Value.Data[0], b.Grad.Data)
		for _, p := range []*autodiff.Var[float64]{w, b} { // plain gradient descent
			for i := range p.Value.Data {
				p.Value.Data[i] -= 0.5 * p.Grad.Data[i]
			}
		}
	}
	// Output:
	// step 0: loss 0.1642, dL/db [0.0316 -0.0316]
	// step 1: loss 0.1519, dL/db [0.0243 -0.0243]
}
