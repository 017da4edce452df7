package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/data"
	"github.com/ablate-ml/ablate/core/optim"
	"github.com/ablate-ml/ablate/core/tensor"
)

// TestMNISTMLP trains a 784-128-10 ReLU MLP (NewMLP on an autodiff tape,
// mean cross-entropy, optim.Step with Adam lr 2e-3, batch 128) for 3 epochs
// on the real MNIST training set and requires >= 97% accuracy on the 10,000
// test images. The seed is fixed, so the figure is the same on every run on
// one machine.
func TestMNISTMLP(t *testing.T) {
	train, err := data.MNIST(data.Train, "")
	if err != nil {
		t.Fatalf("mnist training set: %v", err)
	}
	test, err := data.MNIST(data.Test, "")
	if err != nil {
		t.Fatalf("mnist test set: %v", err)
	}
	const batch = 128
	rng := rand.New(rand.NewPCG(7, 11))
	m := NewMLP[float32]("mlp", []int{train.Dim(), 128, 10}, ReLU, rng)
	params := m.Params()
	opt := &optim.Adam[float32]{LR: 2e-3}
	cfg := data.Batches{N: len(train.Labels), Size: batch, Shuffle: true, Seed: 1}
	b := data.NewBatcher(cfg)
	xbuf := make([]float32, batch*train.Dim())
	y := make([]int, batch)
	tp := autodiff.NewTape[float32]()
	var loss float32
	for s := 0; s < 3*cfg.PerEpoch(); s++ {
		idx := b.Next()
		x := tensor.FromSlice(train.Float32To(xbuf, idx)[:len(idx)*train.Dim()], len(idx), train.Dim())
		tp.Reset()
		autodiff.ZeroGrads(params)
		l := tp.CrossEntropy(m.Forward(tp, tp.Const(x)), train.LabelsTo(y, idx))
		tp.Backward(l)
		optim.Step(opt, params)
		loss = l.Value.Data[0]
	}
	tp.NoGrad(true)
	correct := 0
	for lo := 0; lo < len(test.Labels); lo += batch {
		idx := data.Range(lo, min(lo+batch, len(test.Labels)))
		tp.Reset()
		x := tensor.FromSlice(test.Float32To(xbuf, idx)[:len(idx)*test.Dim()], len(idx), test.Dim())
		lg := m.Forward(tp, tp.Const(x)).Value.Data
		lab := test.LabelsTo(y, idx)
		for i := range idx {
			best := 0
			for j := 1; j < 10; j++ {
				if lg[i*10+j] > lg[i*10+best] {
					best = j
				}
			}
			if best == lab[i] {
				correct++
			}
		}
	}
	acc := float64(correct) / float64(len(test.Labels))
	t.Logf("test accuracy %.4f, last training loss %.4f (%d train, %d test)", acc, loss, len(train.Labels), len(test.Labels))
	if acc < 0.97 {
		t.Errorf("test accuracy %.4f, want >= 0.97", acc)
	}
}
