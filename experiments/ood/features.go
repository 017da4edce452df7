package ood

import (
	"context"
	"fmt"
)

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// denseNorm2 is the squared Frobenius norm of sum_{i in rows} a_i g_i^T,
// computed without forming the matrix:
// sum_{i,j} (a_i . a_j)(g_i . g_j) (the "ghost" norm).
func denseNorm2(a []float64, da int, g []float64, dg int, lo, hi int) float64 {
	var s float64
	for i := lo; i < hi; i++ {
		ai, gi := a[i*da:(i+1)*da], g[i*dg:(i+1)*dg]
		s += dot(ai, ai) * dot(gi, gi)
		for j := i + 1; j < hi; j++ {
			s += 2 * dot(ai, a[j*da:(j+1)*da]) * dot(gi, g[j*dg:(j+1)*dg])
		}
	}
	return s
}

// sumNorm2 is |sum_{i in rows} g_i|^2.
func sumNorm2(g []float64, dg int, lo, hi int) float64 {
	acc := make([]float64, dg)
	for i := lo; i < hi; i++ {
		for j, v := range g[i*dg : (i+1)*dg] {
			acc[j] += v
		}
	}
	return dot(acc, acc)
}

// chunkRows bounds the rows of one forward/backward pass in Features.
const chunkRows = 200

// Features computes, for n rows of x (in the flow's input space) taken in
// groups of b consecutive rows (n must be a multiple of b), the squared L2
// norm of the gradient of the group's summed NLL with respect to each
// parameter tensor: an n/b x NumTensors row-major matrix. It also returns
// the per-row NLL in nats. Per-row gradients are never formed: each dense
// layer's norm comes from the inner products of its inputs and output
// gradients.
func (f *Flow) Features(ctx context.Context, x []float64, n, b int) (feats, nll []float64, err error) {
	if b < 1 || n%b != 0 {
		return nil, nil, fmt.Errorf("ood: features: %d rows do not split into groups of %d", n, b)
	}
	if len(x) != n*f.D {
		return nil, nil, fmt.Errorf("ood: features: %d values for %d rows of %d", len(x), n, f.D)
	}
	nt := 7 * len(f.layers)
	feats = make([]float64, 0, n/b*nt)
	nll = make([]float64, 0, n)
	step := max(b, chunkRows/b*b)
	d, hd := f.D, f.H
	for lo := 0; lo < n; lo += step {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("ood: features: %w", err)
		}
		m := min(step, n-lo)
		p := f.forward(x[lo*d:(lo+m)*d], m)
		nll = append(nll, p.nll...)
		gs := f.backward(p)
		for g0 := 0; g0 < m; g0 += b {
			g1 := g0 + b
			for _, g := range gs {
				feats = append(feats,
					denseNorm2(g.xm, d, g.ghpre, hd, g0, g1),
					sumNorm2(g.ghpre, hd, g0, g1),
					denseNorm2(g.h, hd, g.gsr, d, g0, g1),
					sumNorm2(g.gsr, d, g0, g1),
					denseNorm2(g.h, hd, g.gt, d, g0, g1),
					sumNorm2(g.gt, d, g0, g1),
					sumNorm2(g.gc, d, g0, g1))
			}
		}
	}
	return feats, nll, nil
}

// NumTensors is the number of parameter tensors, one feature each.
func (f *Flow) NumTensors() int { return 7 * len(f.layers) }
