package estim

import (
	"fmt"
	"math"
)

// DiagLogNormal is the Fisher-norm paper's estimator: an independent normal
// on the log of each feature, with the mean and the unbiased standard
// deviation of the fit data; features constant in the fit data are dropped.
// The score of a row is the sum over kept features j of
//
//	log N(log x_j; mu_j, sigma_j) = -(log x_j - mu_j)^2 / (2 sigma_j^2) - log sigma_j - log(2 pi)/2.
type DiagLogNormal struct {
	d     int       // features in the input
	keep  []int     // kept feature indices
	mu    []float64 // per kept feature
	sigma []float64
}

// Name implements Estimator.
func (*DiagLogNormal) Name() string { return "diag-lognormal" }

// Fit implements Estimator. Every value must be finite and > 0.
func (e *DiagLogNormal) Fit(x []float64, n, d int) error {
	if err := checkShape(e.Name(), "fit input", x, n, d, 2); err != nil {
		return err
	}
	y, err := transform(e.Name(), "fit input", x, d, true)
	if err != nil {
		return err
	}
	keep := varying(y, n, d)
	if len(keep) == 0 {
		return fmt.Errorf("estim: %s: all %d features are constant in the fit data", e.Name(), d)
	}
	mu, sigma := meanStd(columns(y, n, d, keep), n, len(keep))
	*e = DiagLogNormal{d: d, keep: keep, mu: mu, sigma: sigma}
	return nil
}

// Score implements Estimator. Every value of a kept feature must be finite
// and > 0; dropped features are ignored.
func (e *DiagLogNormal) Score(dst, x []float64, m, d int) error {
	if err := checkScoreArgs(e.Name(), dst, x, m, d, e.d); err != nil {
		return err
	}
	// The normalising constant is the same for every row.
	norm := 0.0
	for _, sg := range e.sigma {
		norm -= math.Log(sg) + 0.5*log2Pi
	}
	for i := 0; i < m; i++ {
		q, j, ok := sumSqLogZ(x[i*d:(i+1)*d], e.keep, e.mu, e.sigma)
		if !ok {
			return fmt.Errorf("estim: %s: score input row %d feature %d is %v, want a finite value > 0", e.Name(), i, j, x[i*d+j])
		}
		dst[i] = norm - 0.5*q
	}
	return nil
}

// Kept returns the indices of the features the fit kept.
func (e *DiagLogNormal) Kept() []int { return append([]int(nil), e.keep...) }

// Save implements Estimator.
func (e *DiagLogNormal) Save() ([]byte, error) {
	if e.d == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFitted, e.Name())
	}
	w := newEncoder(e.Name())
	w.int(e.d)
	w.ints(e.keep)
	w.f64s(e.mu)
	w.f64s(e.sigma)
	return w.b, nil
}

// Load implements Estimator.
func (e *DiagLogNormal) Load(b []byte) error {
	r := newDecoder(e.Name(), b)
	s := DiagLogNormal{d: r.int(), keep: r.ints(), mu: r.f64s(), sigma: r.f64s()}
	if err := r.done(); err != nil {
		return err
	}
	if err := checkKeep(s.d, s.keep, len(s.mu), len(s.sigma)); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadState, e.Name(), err)
	}
	for c, v := range s.sigma {
		if !(v > 0) || math.IsInf(v, 1) || math.IsNaN(s.mu[c]) || math.IsInf(s.mu[c], 0) {
			return fmt.Errorf("%w: %s: feature %d has mean %v and std %v", ErrBadState, e.Name(), s.keep[c], s.mu[c], v)
		}
	}
	*e = s
	return nil
}

// checkKeep checks a saved list of kept feature indices against d and the
// lengths of the per-feature arrays.
func checkKeep(d int, keep []int, lens ...int) error {
	if d < 1 {
		return fmt.Errorf("%d features", d)
	}
	if len(keep) == 0 || len(keep) > d {
		return fmt.Errorf("%d kept features of %d", len(keep), d)
	}
	for c, j := range keep {
		if j < 0 || j >= d || (c > 0 && j <= keep[c-1]) {
			return fmt.Errorf("kept feature indices %v are not increasing within [0, %d)", keep, d)
		}
	}
	for _, l := range lens {
		if l != len(keep) {
			return fmt.Errorf("%d per-feature values for %d kept features", l, len(keep))
		}
	}
	return nil
}

var _ Estimator = (*DiagLogNormal)(nil)
