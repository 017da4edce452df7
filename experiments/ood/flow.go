package ood

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/tensor"
)

// coupling is one affine coupling layer: with a binary mask m, the fixed
// dimensions pass through and the others are scaled and shifted by
// functions of the fixed ones,
//
//	h = relu((m*x) W1 + b1)
//	s = (1-m) * c * tanh(h Ws + bs),  t = (1-m) * (h Wt + bt)
//	y = x * exp(s) + t,               log|det dy/dx| = sum(s)
//
// Its seven parameter tensors (W1, b1, Ws, bs, Wt, bt, c) are seven
// features of the gradient-norm method.
type coupling struct {
	d, h                      int
	mask                      []float64 // d values, 1 = passes through
	w1, b1, ws, bs, wt, bt, c []float64 // w1 is d x h, ws and wt are h x d
}

// Flow is a RealNVP-style normalising flow on R^d: K affine couplings with
// alternating checkerboard masks and a standard normal base density.
type Flow struct {
	D, H   int
	layers []*coupling
}

// tensorNames are the names of a coupling's parameter tensors, in the
// order Params lists them.
var tensorNames = [7]string{"w1", "b1", "ws", "bs", "wt", "bt", "scale"}

// NewFlow returns a flow with k couplings on images of side h x w
// (d = h*w dimensions) and hidden width hidden, initialised from rng:
// uniform Glorot-style input weights, output weights a tenth of that so
// that the flow starts near the identity, scale c = 1.
func NewFlow(k, h, w, hidden int, rng *rand.Rand) (*Flow, error) {
	d := h * w
	if k < 1 || d < 2 || hidden < 1 {
		return nil, fmt.Errorf("ood: flow needs couplings >= 1, d >= 2, hidden >= 1; got %d, %d, %d", k, d, hidden)
	}
	f := &Flow{D: d, H: hidden}
	for l := 0; l < k; l++ {
		c := &coupling{d: d, h: hidden, mask: make([]float64, d)}
		for i := 0; i < h; i++ {
			for j := 0; j < w; j++ {
				if (i+j+l)%2 == 0 {
					c.mask[i*w+j] = 1
				}
			}
		}
		a1 := math.Sqrt(6 / float64(d+hidden))
		a2 := 0.1 * math.Sqrt(6/float64(d+hidden))
		c.w1 = uniform(rng, d*hidden, a1)
		c.b1 = make([]float64, hidden)
		c.ws = uniform(rng, hidden*d, a2)
		c.bs = make([]float64, d)
		c.wt = uniform(rng, hidden*d, a2)
		c.bt = make([]float64, d)
		c.c = make([]float64, d)
		for i := range c.c {
			c.c[i] = 1
		}
		f.layers = append(f.layers, c)
	}
	return f, nil
}

func uniform(rng *rand.Rand, n int, a float64) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = (2*rng.Float64() - 1) * a
	}
	return x
}

func (c *coupling) params() [][]float64 {
	return [][]float64{c.w1, c.b1, c.ws, c.bs, c.wt, c.bt, c.c}
}

// Params returns the flow's parameter tensors (views), coupling after
// coupling, seven per coupling.
func (f *Flow) Params() [][]float64 {
	var ps [][]float64
	for _, c := range f.layers {
		ps = append(ps, c.params()...)
	}
	return ps
}

// TensorNames names Params' tensors: "c0.w1", "c0.b1", ...
func (f *Flow) TensorNames() []string {
	var ns []string
	for l := range f.layers {
		for _, n := range tensorNames {
			ns = append(ns, fmt.Sprintf("c%d.%s", l, n))
		}
	}
	return ns
}

// NumParams is the number of scalar parameters.
func (f *Flow) NumParams() int {
	n := 0
	for _, p := range f.Params() {
		n += len(p)
	}
	return n
}

// gemm computes C = beta*C + op(A) op(B) on row-major matrices, C m x n,
// routed as the framework's products are (tensor.Dgemm).
func gemm(ta, tb bool, m, n, k int, a []float64, lda int, b []float64, ldb int, beta float64, c []float64) {
	tensor.Dgemm(ta, tb, m, n, k, 1, a, lda, b, ldb, beta, c, n)
}

// cache holds one coupling's intermediate values for a batch of n rows.
type cache struct {
	x, xm, hpre, h, th, s []float64
}

func (c *coupling) forward(x []float64, n int) (y, logdet []float64, k *cache) {
	d, hd := c.d, c.h
	k = &cache{x: x, xm: make([]float64, n*d), hpre: make([]float64, n*hd), h: make([]float64, n*hd),
		th: make([]float64, n*d), s: make([]float64, n*d)}
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			k.xm[i*d+j] = x[i*d+j] * c.mask[j]
		}
		copy(k.hpre[i*hd:(i+1)*hd], c.b1)
	}
	gemm(false, false, n, hd, d, k.xm, d, c.w1, hd, 1, k.hpre)
	for i, v := range k.hpre {
		k.h[i] = math.Max(v, 0)
	}
	sr := make([]float64, n*d)
	t := make([]float64, n*d)
	for i := 0; i < n; i++ {
		copy(sr[i*d:(i+1)*d], c.bs)
		copy(t[i*d:(i+1)*d], c.bt)
	}
	gemm(false, false, n, d, hd, k.h, hd, c.ws, d, 1, sr)
	gemm(false, false, n, d, hd, k.h, hd, c.wt, d, 1, t)
	y = make([]float64, n*d)
	logdet = make([]float64, n)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			q := i*d + j
			free := 1 - c.mask[j]
			k.th[q] = math.Tanh(sr[q])
			s := free * c.c[j] * k.th[q]
			k.s[q] = s
			y[q] = x[q]*math.Exp(s) + free*t[q]
			logdet[i] += s
		}
	}
	return y, logdet, k
}

// grads holds the backward pass's per-row quantities from which every
// parameter gradient is an outer product or a sum: for a dense layer
// out = in W + b, dW = in^T gOut and db = sum gOut.
type grads struct {
	xm, ghpre  []float64 // W1 and b1
	h, gsr, gt []float64 // Ws, bs (gsr) and Wt, bt (gt)
	gc         []float64 // the scale c, per row
}

// backward takes dL/dy per row and dL/dlogdet (the same for all rows) and
// returns dL/dx and the per-row quantities for the parameter gradients.
func (c *coupling) backward(k *cache, gy []float64, gld float64, n int) (gx []float64, g *grads) {
	d, hd := c.d, c.h
	g = &grads{xm: k.xm, h: k.h, ghpre: make([]float64, n*hd), gsr: make([]float64, n*d), gt: make([]float64, n*d), gc: make([]float64, n*d)}
	gx = make([]float64, n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			q := i*d + j
			free := 1 - c.mask[j]
			e := math.Exp(k.s[q])
			gx[q] = gy[q] * e
			gs := free * (gy[q]*k.x[q]*e + gld)
			g.gt[q] = free * gy[q]
			g.gc[q] = gs * k.th[q]
			g.gsr[q] = gs * c.c[j] * (1 - k.th[q]*k.th[q])
		}
	}
	gh := make([]float64, n*hd)
	gemm(false, true, n, hd, d, g.gsr, d, c.ws, d, 0, gh)
	gemm(false, true, n, hd, d, g.gt, d, c.wt, d, 1, gh)
	for i, v := range k.hpre {
		if v > 0 {
			g.ghpre[i] = gh[i]
		}
	}
	gxm := make([]float64, n*d)
	gemm(false, true, n, d, hd, g.ghpre, hd, c.w1, hd, 0, gxm)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			gx[i*d+j] += gxm[i*d+j] * c.mask[j]
		}
	}
	return gx, g
}

// accumulate adds the gradients summed over rows, with row weights w, to
// dst (laid out as params()).
func (c *coupling) accumulate(dst [][]float64, g *grads, n int, w float64) {
	d, hd := c.d, c.h
	gemm(true, false, d, hd, n, scaled(g.xm, 1), d, scaled(g.ghpre, w), hd, 1, dst[0])
	gemm(true, false, hd, d, n, g.h, hd, scaled(g.gsr, w), d, 1, dst[2])
	gemm(true, false, hd, d, n, g.h, hd, scaled(g.gt, w), d, 1, dst[4])
	for i := 0; i < n; i++ {
		for j := 0; j < hd; j++ {
			dst[1][j] += w * g.ghpre[i*hd+j]
		}
		for j := 0; j < d; j++ {
			dst[3][j] += w * g.gsr[i*d+j]
			dst[5][j] += w * g.gt[i*d+j]
			dst[6][j] += w * g.gc[i*d+j]
		}
	}
}

func scaled(x []float64, w float64) []float64 {
	if w == 1 {
		return x
	}
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = v * w
	}
	return y
}

// pass is a forward pass over n rows with what backward needs.
type pass struct {
	n      int
	z      []float64
	nll    []float64 // per row, in the flow's own space, nats
	caches []*cache
}

var log2pi = math.Log(2 * math.Pi)

func (f *Flow) forward(x []float64, n int) *pass {
	p := &pass{n: n, nll: make([]float64, n)}
	z := x
	for _, c := range f.layers {
		var ld []float64
		var k *cache
		z, ld, k = c.forward(z, n)
		p.caches = append(p.caches, k)
		for i := range ld {
			p.nll[i] -= ld[i]
		}
	}
	d := f.D
	for i := 0; i < n; i++ {
		var q float64
		for _, v := range z[i*d : (i+1)*d] {
			q += v * v
		}
		p.nll[i] += 0.5*q + 0.5*float64(d)*log2pi
	}
	p.z = z
	return p
}

// NLL returns each row's negative log-density in nats, in the space of x
// (the flow's input space).
func (f *Flow) NLL(x []float64, n int) []float64 { return f.forward(x, n).nll }

// backward runs the backward pass of the per-row NLL and returns, per
// coupling, the per-row gradient quantities.
func (f *Flow) backward(p *pass) []*grads {
	gy := p.z // dNLL/dz = z
	out := make([]*grads, len(f.layers))
	for l := len(f.layers) - 1; l >= 0; l-- {
		gy, out[l] = f.layers[l].backward(p.caches[l], gy, -1, p.n)
	}
	return out
}

// Grad returns the mean NLL of the n rows of x and its gradient with
// respect to every parameter, laid out as Params.
func (f *Flow) Grad(x []float64, n int) (float64, [][]float64) {
	p := f.forward(x, n)
	gs := f.backward(p)
	var dst [][]float64
	for l, c := range f.layers {
		ps := zerosLike(c.params())
		c.accumulate(ps, gs[l], n, 1/float64(n))
		dst = append(dst, ps...)
	}
	var mean float64
	for _, v := range p.nll {
		mean += v
	}
	return mean / float64(n), dst
}

func zerosLike(ps [][]float64) [][]float64 {
	out := make([][]float64, len(ps))
	for i, p := range ps {
		out[i] = make([]float64, len(p))
	}
	return out
}
