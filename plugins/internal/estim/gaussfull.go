package estim

import (
	"fmt"
	"math"
)

// GaussianFull is a multivariate normal on the (log-)features with the
// Ledoit–Wolf shrinkage covariance: with S the maximum-likelihood covariance
// of the centred fit data Y (n x p), m = tr(S)/p,
//
//	delta = |S - m I|_F^2 / p
//	beta  = min(delta, sum_k |y_k y_k^T - S|_F^2 / (n^2 p))
//	Sigma = (beta/delta) m I + (1 - beta/delta) S
//
// (Ledoit & Wolf 2004, as in scikit-learn's ledoit_wolf). Features constant in
// the fit data are dropped.
type GaussianFull struct {
	// NoLog models the raw features instead of their logs.
	NoLog bool `json:"-"`

	d      int
	keep   []int
	mean   []float64
	cov    []float64 // p x p
	shrink float64
	chol   []float64 // derived from cov, not saved
}

// Name implements Estimator.
func (*GaussianFull) Name() string { return "gaussian-full" }

// ledoitWolf returns the shrunk covariance of the centred n x p matrix y and
// the shrinkage intensity.
func ledoitWolf(y []float64, n, p int) (cov []float64, shrink float64) {
	s := make([]float64, p*p)
	sumSq2 := 0.0 // sum_k |y_k|^4
	for k := 0; k < n; k++ {
		row := y[k*p : (k+1)*p]
		nrm := 0.0
		for i, a := range row {
			nrm += a * a
			for j := i; j < p; j++ {
				s[i*p+j] += a * row[j]
			}
		}
		sumSq2 += nrm * nrm
	}
	fn := float64(n)
	tr, frob := 0.0, 0.0
	for i := 0; i < p; i++ {
		for j := i; j < p; j++ {
			v := s[i*p+j] / fn
			s[i*p+j], s[j*p+i] = v, v
			if i == j {
				tr += v
				frob += v * v
			} else {
				frob += 2 * v * v
			}
		}
	}
	m := tr / float64(p)
	// |S - mI|^2 = |S|^2 - 2 m tr(S) + p m^2
	delta := (frob - 2*m*tr + float64(p)*m*m) / float64(p)
	beta := (sumSq2 - fn*frob) / (fn * fn * float64(p))
	if beta > delta {
		beta = delta
	}
	if delta > 0 {
		shrink = beta / delta
	}
	for i := 0; i < p; i++ {
		for j := 0; j < p; j++ {
			s[i*p+j] *= 1 - shrink
		}
		s[i*p+i] += shrink * m
	}
	return s, shrink
}

// Fit implements Estimator. Every value must be finite (and > 0 unless NoLog).
func (e *GaussianFull) Fit(x []float64, n, d int) error {
	if err := checkShape(e.Name(), "fit input", x, n, d, 2); err != nil {
		return err
	}
	y, err := transform(e.Name(), "fit input", x, d, !e.NoLog)
	if err != nil {
		return err
	}
	keep := varying(y, n, d)
	if len(keep) == 0 {
		return fmt.Errorf("estim: %s: all %d features are constant in the fit data", e.Name(), d)
	}
	p := len(keep)
	y = columns(y, n, d, keep)
	mean, _ := meanStd(y, n, p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			y[i*p+j] -= mean[j]
		}
	}
	cov, shrink := ledoitWolf(y, n, p)
	chol, err := cholesky(cov, p)
	if err != nil {
		return fmt.Errorf("estim: %s: shrunk covariance: %w", e.Name(), err)
	}
	e.d, e.keep, e.mean, e.cov, e.shrink, e.chol = d, keep, mean, cov, shrink, chol
	return nil
}

// Shrinkage returns the Ledoit–Wolf shrinkage intensity of the fit, in [0, 1].
func (e *GaussianFull) Shrinkage() float64 { return e.shrink }

// Score implements Estimator.
func (e *GaussianFull) Score(dst, x []float64, m, d int) error {
	if err := checkScoreArgs(e.Name(), dst, x, m, d, e.d); err != nil {
		return err
	}
	p := len(e.keep)
	z, u := make([]float64, p), make([]float64, p)
	c := -0.5 * (float64(p)*log2Pi + logDetChol(e.chol, p))
	for i := 0; i < m; i++ {
		for k, j := range e.keep {
			v := x[i*d+j]
			if math.IsNaN(v) || math.IsInf(v, 0) || (!e.NoLog && v <= 0) {
				return fmt.Errorf("estim: %s: score input row %d feature %d is %v, want a finite value (> 0 when logged)", e.Name(), i, j, v)
			}
			if !e.NoLog {
				v = math.Log(v)
			}
			z[k] = v - e.mean[k]
		}
		dst[i] = c - 0.5*mahalanobis(e.chol, p, z, u)
	}
	return nil
}

// Save implements Estimator.
func (e *GaussianFull) Save() ([]byte, error) {
	if e.d == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFitted, e.Name())
	}
	w := newEncoder(e.Name())
	w.int(boolInt(e.NoLog))
	w.int(e.d)
	w.ints(e.keep)
	w.f64s(e.mean)
	w.f64s(e.cov)
	w.f64(e.shrink)
	return w.b, nil
}

// Load implements Estimator.
func (e *GaussianFull) Load(b []byte) error {
	r := newDecoder(e.Name(), b)
	noLog, d, keep, mean, cov, shrink := r.int() != 0, r.int(), r.ints(), r.f64s(), r.f64s(), r.f64()
	if err := r.done(); err != nil {
		return err
	}
	if err := checkKeep(d, keep, len(mean)); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadState, e.Name(), err)
	}
	p := len(keep)
	if err := allFinite(mean, cov); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadState, e.Name(), err)
	}
	if len(cov) != p*p {
		return fmt.Errorf("%w: %s: covariance has %d values, want %d x %d", ErrBadState, e.Name(), len(cov), p, p)
	}
	chol, err := cholesky(cov, p)
	if err != nil {
		return fmt.Errorf("%w: %s: covariance: %v", ErrBadState, e.Name(), err)
	}
	*e = GaussianFull{NoLog: noLog, d: d, keep: keep, mean: mean, cov: cov, shrink: shrink, chol: chol}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

var _ Estimator = (*GaussianFull)(nil)
