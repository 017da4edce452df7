package ood

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// VAE is an MLP variational autoencoder on the flow's (logit) space with a
// Gaussian decoder of learned per-dimension scale, so that its negative
// ELBO bounds the same NLL the flow computes exactly:
//
//	h = relu(x We + be); mu = h Wm + bm; lv = h Wv + bv
//	z = mu + exp(lv/2) eps
//	o = relu(z Wd + bd) Wo + bo
//	-ELBO = sum_j [(x_j - o_j)^2 / (2 exp(2 ls_j)) + ls_j + log(2 pi)/2]
//	        + KL(N(mu, exp(lv)) || N(0, I))
//
// with one draw of eps per example. Eleven parameter tensors.
type VAE struct {
	D, H, Z int
	// Seed fixes the eps of Features and NLL: row i of any set gets the same
	// draw, so a score depends on the image alone.
	Seed uint64

	we, be, wm, bm, wv, bv, wd, bd, wo, bo, ls []float64
}

var vaeNames = [11]string{"enc.w", "enc.b", "mu.w", "mu.b", "logvar.w", "logvar.b", "dec.w", "dec.b", "out.w", "out.b", "out.logscale"}

// NewVAE returns a VAE on d dimensions with hidden width h and latent size
// z, initialised from rng.
func NewVAE(d, h, z int, rng *rand.Rand) (*VAE, error) {
	if d < 1 || h < 1 || z < 1 {
		return nil, fmt.Errorf("ood: vae needs d, hidden, latent >= 1; got %d, %d, %d", d, h, z)
	}
	g := func(a, b int) []float64 { return uniform(rng, a*b, math.Sqrt(6/float64(a+b))) }
	v := &VAE{D: d, H: h, Z: z, Seed: rng.Uint64(),
		we: g(d, h), be: make([]float64, h), wm: g(h, z), bm: make([]float64, z),
		wv: uniform(rng, h*z, 0.01), bv: make([]float64, z), wd: g(z, h), bd: make([]float64, h),
		wo: g(h, d), bo: make([]float64, d), ls: make([]float64, d)}
	return v, nil
}

// Params returns the eleven parameter tensors (views).
func (v *VAE) Params() [][]float64 {
	return [][]float64{v.we, v.be, v.wm, v.bm, v.wv, v.bv, v.wd, v.bd, v.wo, v.bo, v.ls}
}

// TensorNames names Params' tensors.
func (v *VAE) TensorNames() []string { return vaeNames[:] }

// NumTensors is 11.
func (v *VAE) NumTensors() int { return len(vaeNames) }

// NumParams is the number of scalar parameters.
func (v *VAE) NumParams() int {
	n := 0
	for _, p := range v.Params() {
		n += len(p)
	}
	return n
}

type vaePass struct {
	n                           int
	x, hpre, h, mu, lv, eps, z  []float64
	dpre, dh, out, nll          []float64
	gh, gmu, glv, gd, gout, gls []float64
}

func affine(x []float64, n, in int, w, b []float64) []float64 {
	out := len(b)
	y := make([]float64, n*out)
	for i := 0; i < n; i++ {
		copy(y[i*out:(i+1)*out], b)
	}
	gemm(false, false, n, out, in, x, in, w, out, 1, y)
	return y
}

func relu(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Max(v, 0)
	}
	return y
}

// forward computes the per-row negative ELBO with the given eps (n x Z).
func (v *VAE) forward(x []float64, n int, eps []float64) *vaePass {
	p := &vaePass{n: n, x: x, eps: eps}
	p.hpre = affine(x, n, v.D, v.we, v.be)
	p.h = relu(p.hpre)
	p.mu = affine(p.h, n, v.H, v.wm, v.bm)
	p.lv = affine(p.h, n, v.H, v.wv, v.bv)
	p.z = make([]float64, n*v.Z)
	p.nll = make([]float64, n)
	for i := range p.z {
		p.z[i] = p.mu[i] + math.Exp(p.lv[i]/2)*eps[i]
		p.nll[i/v.Z] += 0.5 * (p.mu[i]*p.mu[i] + math.Exp(p.lv[i]) - 1 - p.lv[i])
	}
	p.dpre = affine(p.z, n, v.Z, v.wd, v.bd)
	p.dh = relu(p.dpre)
	p.out = affine(p.dh, n, v.H, v.wo, v.bo)
	half := 0.5 * log2pi
	for i := 0; i < n; i++ {
		for j := 0; j < v.D; j++ {
			r := x[i*v.D+j] - p.out[i*v.D+j]
			p.nll[i] += 0.5*r*r*math.Exp(-2*v.ls[j]) + v.ls[j] + half
		}
	}
	return p
}

// backward fills the per-row gradient quantities of the per-row NLL.
func (v *VAE) backward(p *vaePass) {
	n, d, h, z := p.n, v.D, v.H, v.Z
	p.gout = make([]float64, n*d)
	p.gls = make([]float64, n*d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			q := i*d + j
			r := p.out[q] - p.x[q]
			e := math.Exp(-2 * v.ls[j])
			p.gout[q] = r * e
			p.gls[q] = 1 - r*r*e
		}
	}
	p.gd = make([]float64, n*h)
	gemm(false, true, n, h, d, p.gout, d, v.wo, d, 0, p.gd)
	for i, x := range p.dpre {
		if x <= 0 {
			p.gd[i] = 0
		}
	}
	gz := make([]float64, n*z)
	gemm(false, true, n, z, h, p.gd, h, v.wd, h, 0, gz)
	p.gmu, p.glv = make([]float64, n*z), make([]float64, n*z)
	for i := range gz {
		s := math.Exp(p.lv[i] / 2)
		p.gmu[i] = gz[i] + p.mu[i]
		p.glv[i] = gz[i]*p.eps[i]*0.5*s + 0.5*(s*s-1)
	}
	p.gh = make([]float64, n*h)
	gemm(false, true, n, h, z, p.gmu, z, v.wm, z, 0, p.gh)
	gemm(false, true, n, h, z, p.glv, z, v.wv, z, 1, p.gh)
	for i, x := range p.hpre {
		if x <= 0 {
			p.gh[i] = 0
		}
	}
}

// fixedEps is eps for rows lo.. of a set: row i's draw depends on Seed and
// i only.
func (v *VAE) fixedEps(lo, n int) []float64 {
	eps := make([]float64, 0, n*v.Z)
	for i := lo; i < lo+n; i++ {
		r := rand.New(rand.NewPCG(v.Seed, uint64(i)))
		for range v.Z {
			eps = append(eps, r.NormFloat64())
		}
	}
	return eps
}

// NLL returns each row's negative ELBO in nats (eps fixed per row index).
func (v *VAE) NLL(x []float64, n int) []float64 { return v.forward(x, n, v.fixedEps(0, n)).nll }

// gradEps is Grad with the given eps.
func (v *VAE) gradEps(x []float64, n int, eps []float64) (float64, [][]float64) {
	p := v.forward(x, n, eps)
	v.backward(p)
	w := 1 / float64(n)
	g := zerosLike(v.Params())
	gemm(true, false, v.D, v.H, n, p.x, v.D, scaled(p.gh, w), v.H, 0, g[0])
	gemm(true, false, v.H, v.Z, n, p.h, v.H, scaled(p.gmu, w), v.Z, 0, g[2])
	gemm(true, false, v.H, v.Z, n, p.h, v.H, scaled(p.glv, w), v.Z, 0, g[4])
	gemm(true, false, v.Z, v.H, n, p.z, v.Z, scaled(p.gd, w), v.H, 0, g[6])
	gemm(true, false, v.H, v.D, n, p.dh, v.H, scaled(p.gout, w), v.D, 0, g[8])
	colSum := func(dst, src []float64, k int) {
		for i, x := range src {
			dst[i%k] += w * x
		}
	}
	colSum(g[1], p.gh, v.H)
	colSum(g[3], p.gmu, v.Z)
	colSum(g[5], p.glv, v.Z)
	colSum(g[7], p.gd, v.H)
	colSum(g[9], p.gout, v.D)
	colSum(g[10], p.gls, v.D)
	return mean(p.nll), g
}

// Features is Flow.Features for the VAE: per group of b consecutive rows,
// the squared norm of the gradient of the summed negative ELBO with
// respect to each of the eleven tensors.
func (v *VAE) Features(ctx context.Context, x []float64, n, b int) (feats, nll []float64, err error) {
	if b < 1 || n%b != 0 {
		return nil, nil, fmt.Errorf("ood: features: %d rows do not split into groups of %d", n, b)
	}
	if len(x) != n*v.D {
		return nil, nil, fmt.Errorf("ood: features: %d values for %d rows of %d", len(x), n, v.D)
	}
	step := max(b, chunkRows/b*b)
	for lo := 0; lo < n; lo += step {
		if err := ctx.Err(); err != nil {
			return nil, nil, fmt.Errorf("ood: features: %w", err)
		}
		m := min(step, n-lo)
		p := v.forward(x[lo*v.D:(lo+m)*v.D], m, v.fixedEps(lo, m))
		v.backward(p)
		nll = append(nll, p.nll...)
		for g0 := 0; g0 < m; g0 += b {
			g1 := g0 + b
			feats = append(feats,
				denseNorm2(p.x, v.D, p.gh, v.H, g0, g1), sumNorm2(p.gh, v.H, g0, g1),
				denseNorm2(p.h, v.H, p.gmu, v.Z, g0, g1), sumNorm2(p.gmu, v.Z, g0, g1),
				denseNorm2(p.h, v.H, p.glv, v.Z, g0, g1), sumNorm2(p.glv, v.Z, g0, g1),
				denseNorm2(p.z, v.Z, p.gd, v.H, g0, g1), sumNorm2(p.gd, v.H, g0, g1),
				denseNorm2(p.dh, v.H, p.gout, v.D, g0, g1), sumNorm2(p.gout, v.D, g0, g1),
				sumNorm2(p.gls, v.D, g0, g1))
		}
	}
	return feats, nll, nil
}
