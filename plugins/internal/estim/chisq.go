package estim

import (
	"fmt"
	"math"
)

// ChiSq models each feature independently as a scaled chi-square variable:
// x_j = s_j * y with y ~ chi2(k_j). When Numel is given, k_j = Numel[j] (the
// number of elements of the parameter tensor whose squared gradient norm is
// feature j) and s_j = mean_j / k_j; without it k_j is matched to the first
// two moments, k_j = 2 mean_j^2 / var_j, and features constant in the fit data
// are dropped. The score of a row is the sum over features of
//
//	log p(x_j) = log chi2pdf(x_j / s_j; k_j) - log s_j
//
// where the -log s_j is the Jacobian of x -> x/s, so p is a density in x.
type ChiSq struct {
	// Numel gives the degrees of freedom per feature; empty means moment
	// matching.
	Numel []int `json:"numel"`

	d    int
	keep []int
	k    []float64 // degrees of freedom per kept feature
	s    []float64 // scale per kept feature
}

// Name implements Estimator.
func (*ChiSq) Name() string { return "chisq" }

// Fit implements Estimator. Every value must be finite and > 0.
func (e *ChiSq) Fit(x []float64, n, d int) error {
	if err := checkShape(e.Name(), "fit input", x, n, d, 2); err != nil {
		return err
	}
	if len(e.Numel) != 0 && len(e.Numel) != d {
		return fmt.Errorf("estim: %s: parameter numel has %d entries, the fit input has %d features", e.Name(), len(e.Numel), d)
	}
	for j, k := range e.Numel {
		if k < 1 {
			return fmt.Errorf("estim: %s: parameter numel[%d] is %d, want >= 1", e.Name(), j, k)
		}
	}
	if _, err := transform(e.Name(), "fit input", x, d, true); err != nil {
		return err // checks finite and > 0
	}
	keep := make([]int, 0, d)
	if len(e.Numel) == 0 {
		keep = varying(x, n, d)
	} else {
		for j := 0; j < d; j++ {
			keep = append(keep, j)
		}
	}
	if len(keep) == 0 {
		return fmt.Errorf("estim: %s: all %d features are constant in the fit data", e.Name(), d)
	}
	mean, std := meanStd(columns(x, n, d, keep), n, len(keep))
	ks := make([]float64, len(keep))
	ss := make([]float64, len(keep))
	for c, j := range keep {
		if len(e.Numel) != 0 {
			ks[c] = float64(e.Numel[j])
		} else {
			ks[c] = 2 * mean[c] * mean[c] / (std[c] * std[c])
		}
		ss[c] = mean[c] / ks[c]
	}
	e.d, e.keep, e.k, e.s = d, keep, ks, ss
	return nil
}

// logChi2 is the log-density of the chi-square distribution with k degrees of
// freedom at y > 0.
func logChi2(y, k float64) float64 {
	lg, _ := math.Lgamma(k / 2)
	return (k/2-1)*math.Log(y) - y/2 - (k/2)*math.Ln2 - lg
}

// Score implements Estimator. Values of kept features must be finite and > 0.
func (e *ChiSq) Score(dst, x []float64, m, d int) error {
	if err := checkScoreArgs(e.Name(), dst, x, m, d, e.d); err != nil {
		return err
	}
	for i := 0; i < m; i++ {
		t := 0.0
		for c, j := range e.keep {
			v := x[i*d+j]
			if !(v > 0) || math.IsInf(v, 1) {
				return fmt.Errorf("estim: %s: score input row %d feature %d is %v, want a finite value > 0", e.Name(), i, j, v)
			}
			t += logChi2(v/e.s[c], e.k[c]) - math.Log(e.s[c])
		}
		dst[i] = t
	}
	return nil
}

// Params returns the degrees of freedom and scales of the kept features.
func (e *ChiSq) Params() (keep []int, k, s []float64) { return e.keep, e.k, e.s }

// Save implements Estimator.
func (e *ChiSq) Save() ([]byte, error) {
	if e.d == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFitted, e.Name())
	}
	w := newEncoder(e.Name())
	w.int(e.d)
	w.ints(e.keep)
	w.f64s(e.k)
	w.f64s(e.s)
	return w.b, nil
}

// Load implements Estimator.
func (e *ChiSq) Load(b []byte) error {
	r := newDecoder(e.Name(), b)
	d, keep, k, s := r.int(), r.ints(), r.f64s(), r.f64s()
	if err := r.done(); err != nil {
		return err
	}
	if err := checkKeep(d, keep, len(k), len(s)); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadState, e.Name(), err)
	}
	for c := range keep {
		if !(k[c] > 0) || !(s[c] > 0) || math.IsInf(k[c], 1) || math.IsInf(s[c], 1) {
			return fmt.Errorf("%w: %s: feature %d has k %v and scale %v", ErrBadState, e.Name(), keep[c], k[c], s[c])
		}
	}
	e.d, e.keep, e.k, e.s = d, keep, k, s
	return nil
}

var _ Estimator = (*ChiSq)(nil)
