package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/data"
	"github.com/ablate-ml/ablate/core/optim"
)

// TestMNISTMLP trains a 784-128-10 MLP with Adam (lr 2e-3) for 3 epochs on the real
// MNIST training set (hand-derived backward, see rawMLP) and requires >= 97% accuracy on the 10,000 test images.
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
	m := newRawMLP(train.Dim(), 128, 10, batch, rng)
	opt := &optim.Adam[float32]{LR: 2e-3}
	cfg := data.Batches{N: len(train.Labels), Size: batch, Shuffle: true, Seed: 1}
	b := data.NewBatcher(cfg)
	x := make([]float32, batch*train.Dim())
	y := make([]int, batch)
	for s := 0; s < 3*cfg.PerEpoch(); s++ {
		idx := b.Next()
		m.step(train.Float32To(x, idx), train.LabelsTo(y, idx), opt)
	}
	correct := 0
	for lo := 0; lo < len(test.Labels); lo += batch {
		idx := data.Range(lo, min(lo+batch, len(test.Labels)))
		lg := m.forward(test.Float32To(x, idx), len(idx))
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
	t.Logf("test accuracy %.4f (%d train, %d test)", acc, len(train.Labels), len(test.Labels))
	if acc < 0.97 {
		t.Errorf("test accuracy %.4f, want >= 0.97", acc)
	}
}
