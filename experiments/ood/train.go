package ood

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/data"
)

// adam is Adam (Kingma & Ba 2015) with bias correction.
type adam struct {
	lr, b1, b2, eps float64
	t               int
	m, v            [][]float64
}

func newAdam(lr float64, params [][]float64) *adam {
	return &adam{lr: lr, b1: 0.9, b2: 0.999, eps: 1e-8, m: zerosLike(params), v: zerosLike(params)}
}

func (o *adam) step(params, grads [][]float64) {
	o.t++
	c1 := 1 - math.Pow(o.b1, float64(o.t))
	c2 := 1 - math.Pow(o.b2, float64(o.t))
	for k, p := range params {
		m, v, g := o.m[k], o.v[k], grads[k]
		for i := range p {
			m[i] = o.b1*m[i] + (1-o.b1)*g[i]
			v[i] = o.b2*v[i] + (1-o.b2)*g[i]*g[i]
			p[i] -= o.lr * (m[i] / c1) / (math.Sqrt(v[i]/c2) + o.eps)
		}
	}
}

// clip scales grads so that their global L2 norm is at most c.
func clip(grads [][]float64, c float64) {
	var s float64
	for _, g := range grads {
		s += dot(g, g)
	}
	if n := math.Sqrt(s); n > c {
		for _, g := range grads {
			for i := range g {
				g[i] *= c / n
			}
		}
	}
}

// prepare dequantises (noise from rng; the midpoint when rng is nil) and
// logit-transforms images idx of set, returning the logit-space rows and
// their log-determinants.
func prepare(set *data.Images, idx []int, l Logit, rng *rand.Rand) (x, logdet []float64) {
	d := set.Dim()
	x = make([]float64, len(idx)*d)
	for r, i := range idx {
		Dequantise(x[r*d:(r+1)*d], set.Image(i), rng)
	}
	return x, l.Forward(x, len(idx), d)
}

// TrainConfig sets the flow's training.
type TrainConfig struct {
	Steps, Batch int
	LR, Clip     float64
	Seed         uint64
	Logit        Logit
	// Report, when set, is called after each step with its mean NLL in
	// bits per dimension.
	Report func(step int, bpd float64) error
}

// Train fits f to set by maximum likelihood (or the ELBO) with Adam on shuffled
// minibatches, with fresh dequantisation noise every step.
func Train(ctx context.Context, f Model, set *data.Images, cfg TrainConfig) error {
	if cfg.Steps < 0 || cfg.Batch < 1 || !(cfg.LR > 0) {
		return fmt.Errorf("ood: train: want steps >= 0, batch >= 1, lr > 0; got %d, %d, %g", cfg.Steps, cfg.Batch, cfg.LR)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x0dd))
	bt := data.NewBatcher(data.Batches{N: set.N, Size: cfg.Batch, Shuffle: true, Seed: cfg.Seed, DropLast: true})
	opt := newAdam(cfg.LR, f.Params())
	for s := 1; s <= cfg.Steps; s++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ood: train step %d: %w", s, err)
		}
		idx := bt.Next()
		x, ld := prepare(set, idx, cfg.Logit, rng)
		nll, g := f.trainGrad(x, len(idx), rng)
		if cfg.Clip > 0 {
			clip(g, cfg.Clip)
		}
		opt.step(f.Params(), g)
		if cfg.Report != nil {
			var mld float64
			for _, v := range ld {
				mld += v / float64(len(ld))
			}
			if err := cfg.Report(s, BitsPerDim(nll, mld, set.Dim())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Model is a generative model the study can train and take features of:
// the flow and the VAE.
type Model interface {
	Params() [][]float64
	TensorNames() []string
	NumTensors() int
	NumParams() int
	// Features: see Flow.Features.
	Features(ctx context.Context, x []float64, n, b int) (feats, nll []float64, err error)
	// trainGrad is the mean training loss of n rows and its gradient;
	// rng supplies any noise the loss draws.
	trainGrad(x []float64, n int, rng *rand.Rand) (float64, [][]float64)
}

func (f *Flow) trainGrad(x []float64, n int, _ *rand.Rand) (float64, [][]float64) {
	return f.Grad(x, n)
}

func (v *VAE) trainGrad(x []float64, n int, rng *rand.Rand) (float64, [][]float64) {
	eps := make([]float64, n*v.Z)
	for i := range eps {
		eps[i] = rng.NormFloat64()
	}
	return v.gradEps(x, n, eps)
}

var (
	_ Model = (*Flow)(nil)
	_ Model = (*VAE)(nil)
)
