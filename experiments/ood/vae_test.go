package ood

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func smallVAE(t *testing.T) *VAE {
	t.Helper()
	rng := rand.New(rand.NewPCG(21, 22))
	v, err := NewVAE(5, 4, 2, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range v.Params() {
		for i := range p {
			p[i] += 0.2 * rng.NormFloat64()
		}
	}
	return v
}

// TestVAEGradFiniteDifferences: every parameter's gradient of the mean
// negative ELBO (eps fixed) equals a central difference.
func TestVAEGradFiniteDifferences(t *testing.T) {
	v := smallVAE(t)
	rng := rand.New(rand.NewPCG(23, 24))
	const n = 3
	x := randRows(rng, n, v.D)
	eps := v.fixedEps(0, n)
	_, g := v.gradEps(x, n, eps)
	loss := func() float64 { return mean(v.forward(x, n, eps).nll) }
	const h = 1e-5
	for pi, p := range v.Params() {
		for j := range p {
			old := p[j]
			p[j] = old + h
			lp := loss()
			p[j] = old - h
			lm := loss()
			p[j] = old
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-g[pi][j]) > 1e-6*(1+math.Abs(fd)) {
				t.Fatalf("%s[%d]: gradient %.10g, finite difference %.10g", vaeNames[pi], j, g[pi][j], fd)
			}
		}
	}
}

// TestVAEFeaturesMatchLoop: the VAE's ghost norms equal explicit group
// gradients.
func TestVAEFeaturesMatchLoop(t *testing.T) {
	v := smallVAE(t)
	rng := rand.New(rand.NewPCG(25, 26))
	const n = 6
	x := randRows(rng, n, v.D)
	for _, b := range []int{1, 3} {
		feats, _, err := v.Features(context.Background(), x, n, b)
		if err != nil {
			t.Fatal(err)
		}
		nt := v.NumTensors()
		for g := 0; g < n/b; g++ {
			_, grad := v.gradEps(x[g*b*v.D:(g+1)*b*v.D], b, v.fixedEps(g*b, b))
			for k, gk := range grad {
				want := float64(b*b) * dot(gk, gk)
				if got := feats[g*nt+k]; math.Abs(got-want) > 1e-10*(1+want) {
					t.Errorf("B=%d group %d %s: ghost norm %.12g, loop %.12g", b, g, vaeNames[k], got, want)
				}
			}
		}
	}
}
