package ood

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/ablate-ml/ablate/core/metrics"
)

// smallFlow has non-zero biases and scales away from 1, so that every
// parameter enters the checks.
func smallFlow(t *testing.T, seed uint64) *Flow {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	f, err := NewFlow(3, 2, 3, 5, rng)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Params() {
		for i := range p {
			p[i] += 0.3 * rng.NormFloat64()
		}
	}
	return f
}

func randRows(rng *rand.Rand, n, d int) []float64 {
	x := make([]float64, n*d)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	return x
}

// TestLogDetBruteForce: the flow's log-determinant (read off its NLL)
// equals log|det J| of the map x -> z, J by central differences.
func TestLogDetBruteForce(t *testing.T) {
	f := smallFlow(t, 1)
	rng := rand.New(rand.NewPCG(3, 4))
	d := f.D
	for trial := 0; trial < 3; trial++ {
		x := randRows(rng, 1, d)
		p := f.forward(x, 1)
		logdet := 0.5*dot(p.z, p.z) + 0.5*float64(d)*log2pi - p.nll[0]
		J := mat.NewDense(d, d, nil)
		const h = 1e-6
		for j := 0; j < d; j++ {
			xp, xm := append([]float64(nil), x...), append([]float64(nil), x...)
			xp[j] += h
			xm[j] -= h
			zp, zm := f.forward(xp, 1).z, f.forward(xm, 1).z
			for i := 0; i < d; i++ {
				J.Set(i, j, (zp[i]-zm[i])/(2*h))
			}
		}
		brute, sign := mat.LogDet(J)
		if sign <= 0 {
			t.Fatalf("trial %d: Jacobian determinant sign %g, want positive", trial, sign)
		}
		if math.Abs(brute-logdet) > 1e-6*(1+math.Abs(brute)) {
			t.Errorf("trial %d: log-det %.10g, brute-force Jacobian %.10g", trial, logdet, brute)
		}
	}
}

// TestGradFiniteDifferences: every parameter's gradient of the mean NLL
// equals a central difference.
func TestGradFiniteDifferences(t *testing.T) {
	f := smallFlow(t, 2)
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 4
	x := randRows(rng, n, f.D)
	_, g := f.Grad(x, n)
	loss := func() float64 {
		var s float64
		for _, v := range f.NLL(x, n) {
			s += v
		}
		return s / n
	}
	const h = 1e-5
	for pi, p := range f.Params() {
		for j := range p {
			old := p[j]
			p[j] = old + h
			lp := loss()
			p[j] = old - h
			lm := loss()
			p[j] = old
			fd := (lp - lm) / (2 * h)
			if math.Abs(fd-g[pi][j]) > 1e-6*(1+math.Abs(fd)) {
				t.Fatalf("%s[%d]: gradient %.10g, finite difference %.10g", f.TensorNames()[pi], j, g[pi][j], fd)
			}
		}
	}
}

// TestFeaturesMatchLoop: the ghost norms equal the squared norms of
// gradients formed explicitly, group by group, for B = 1 and B = 3.
func TestFeaturesMatchLoop(t *testing.T) {
	f := smallFlow(t, 3)
	rng := rand.New(rand.NewPCG(8, 9))
	const n = 6
	x := randRows(rng, n, f.D)
	for _, b := range []int{1, 3} {
		feats, _, err := f.Features(context.Background(), x, n, b)
		if err != nil {
			t.Fatal(err)
		}
		nt := f.NumTensors()
		if len(feats) != n/b*nt {
			t.Fatalf("B=%d: %d features, want %d", b, len(feats), n/b*nt)
		}
		for g := 0; g < n/b; g++ {
			_, grad := f.Grad(x[g*b*f.D:(g+1)*b*f.D], b)
			for k, gk := range grad {
				want := float64(b*b) * dot(gk, gk) // Grad is of the mean
				got := feats[g*nt+k]
				if math.Abs(got-want) > 1e-10*(1+want) {
					t.Errorf("B=%d group %d %s: ghost norm %.12g, loop %.12g", b, g, f.TensorNames()[k], got, want)
				}
			}
		}
	}
}

// TestInvariance: describing the same data in another space (logit vs
// pixel, related by a fixed invertible map) changes each example's
// likelihood by its log-determinant, and so the likelihood's AUROC, but
// not the gradient features, since that term has no parameters.
func TestInvariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	f, err := NewFlow(2, 2, 2, 4, rng)
	if err != nil {
		t.Fatal(err)
	}
	// Couplings that contract (s near -1.5): a wide density on the logit
	// space, under which the logit map's Jacobian dominates pixel-space
	// likelihoods.
	for _, c := range f.layers {
		for j := range c.bs {
			c.bs[j], c.c[j] = -1, 2
		}
	}
	const n, d = 40, 4
	pixID, pixOOD := make([]uint8, n*d), make([]uint8, n*d)
	for i := range pixID {
		pixID[i] = uint8(100 + rng.IntN(56)) // mid-grey
		pixOOD[i] = uint8(rng.IntN(2) * 255) // saturated
	}
	l := Logit{Alpha: 0.05}
	type view struct{ likelihood, feats []float64 }
	views := func(pix []uint8) (logit, pixel view) {
		x := Dequantise(make([]float64, n*d), pix, nil)
		ld := l.Forward(x, n, d)
		feats, nll, err := f.Features(context.Background(), x, n, 1)
		if err != nil {
			t.Fatal(err)
		}
		logit.feats, pixel.feats = feats, feats
		for i := range nll {
			logit.likelihood = append(logit.likelihood, -nll[i])
			pixel.likelihood = append(pixel.likelihood, -(nll[i] - ld[i]))
		}
		// The pixel-space features from a second, separate computation:
		// the flow applied to a freshly transformed copy.
		x2 := Dequantise(make([]float64, n*d), pix, nil)
		l.Forward(x2, n, d)
		pixel.feats, _, err = f.Features(context.Background(), x2, n, 1)
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	idL, idP := views(pixID)
	oodL, oodP := views(pixOOD)
	aL, err := metrics.AUROC(idL.likelihood, oodL.likelihood)
	if err != nil {
		t.Fatal(err)
	}
	aP, err := metrics.AUROC(idP.likelihood, oodP.likelihood)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("likelihood AUROC: logit space %.3f, pixel space %.3f", aL, aP)
	if math.Abs(aL-aP) < 0.2 {
		t.Errorf("likelihood AUROC logit %.3f vs pixel %.3f: want the representation to change it", aL, aP)
	}
	for i := range idL.feats {
		for _, pr := range [][2]float64{{idL.feats[i], idP.feats[i]}, {oodL.feats[i], oodP.feats[i]}} {
			if math.Abs(pr[0]-pr[1]) > 1e-9*math.Abs(pr[0]) {
				t.Fatalf("feature %d: %g vs %g", i, pr[0], pr[1])
			}
		}
	}
}

// TestLogitLogDet: the preprocessing's log-determinant equals the log of
// the finite-difference derivative, coordinate by coordinate.
func TestLogitLogDet(t *testing.T) {
	l := Logit{Alpha: 1e-6}
	u := []float64{0.01, 0.3, 0.77}
	x := append([]float64(nil), u...)
	ld := l.Forward(x, 1, 3)
	var want float64
	const h = 1e-7
	for _, v := range u {
		p, m := []float64{v + h}, []float64{v - h}
		l.Forward(p, 1, 1)
		l.Forward(m, 1, 1)
		want += math.Log((p[0] - m[0]) / (2 * h))
	}
	if math.Abs(ld[0]-want) > 1e-6 {
		t.Errorf("log-det %.9g, finite differences %.9g", ld[0], want)
	}
}
