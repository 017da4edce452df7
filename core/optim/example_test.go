package optim_test

import (
	"fmt"

	"github.com/ablate-ml/ablate/core/optim"
)

// Minimise (w-3)^2 with Adam and a warmup-cosine schedule.
func ExampleAdam() {
	w := []float64{0}
	g := []float64{0}
	sched := optim.WarmupCosine{Base: 0.1, Warmup: 10, Total: 500, Min: 0.001}
	opt := &optim.Adam[float64]{}
	for step := 0; step < 500; step++ {
		g[0] = 2 * (w[0] - 3)
		opt.LR = sched.LR(step)
		opt.StepSlices([][]float64{w}, [][]float64{g})
	}
	fmt.Printf("%.3f\n", w[0])
	// Output: 3.000
}
