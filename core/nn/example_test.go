package nn_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/nn"
	"github.com/ablate-ml/ablate/core/optim"
	"github.com/ablate-ml/ablate/core/tensor"
)

// An MLP learns XOR with Adam, is saved by parameter path and loaded into a
// fresh model.
func ExampleMLP() {
	rng := rand.New(rand.NewPCG(1, 2))
	m := nn.NewMLP[float64]("xor", []int{2, 8, 2}, nn.Tanh, rng)
	params := m.Params()
	x := tensor.FromSlice([]float64{0, 0, 0, 1, 1, 0, 1, 1}, 4, 2)
	y := []int{0, 1, 1, 0}
	opt := &optim.Adam[float64]{LR: 0.05}
	tp := autodiff.NewTape[float64]()
	for step := 0; step < 300; step++ {
		tp.Reset()
		autodiff.ZeroGrads(params)
		tp.Backward(tp.CrossEntropy(m.Forward(tp, tp.Const(x)), y))
		optim.Step(opt, params)
	}

	var buf bytes.Buffer
	if err := nn.SaveVars(&buf, params, nil); err != nil {
		panic(err)
	}
	fresh := nn.NewMLP[float64]("xor", []int{2, 8, 2}, nn.Tanh, rand.New(rand.NewPCG(3, 4)))
	if _, err := nn.LoadVars(buf.Bytes(), fresh.Params()); err != nil {
		panic(err)
	}
	tp.Reset()
	tp.NoGrad(true)
	logits := fresh.Forward(tp, tp.Const(x)).Value.Data
	for i := range y {
		pred := 0
		if logits[2*i+1] > logits[2*i] {
			pred = 1
		}
		fmt.Printf("%v -> %d\n", x.Data[2*i:2*i+2], pred)
	}
	fmt.Println(params[0].Name, params[0].Value.Shape)
	// Output:
	// [0 0] -> 0
	// [0 1] -> 1
	// [1 0] -> 1
	// [1 1] -> 0
	// xor.l0.weight [2 8]
}
