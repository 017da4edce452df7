package estim

import (
	"errors"
	"fmt"
	"math"
)

// Estimator is what every estimator in this package implements.
type Estimator interface {
	// Name is the plugin name, e.g. "diag-lognormal".
	Name() string
	// Fit fits the density on the n x d row-major matrix x.
	Fit(x []float64, n, d int) error
	// Score writes the log-density of each of the m rows of x to dst.
	Score(dst, x []float64, m, d int) error
	// Save returns the fitted state; Load restores it.
	Save() ([]byte, error)
	Load(b []byte) error
}

// ErrNotFitted is returned by Score and Save before Fit or Load.
var ErrNotFitted = errors.New("estim: estimator not fitted")

const log2Pi = 1.8378770664093453 // log(2*pi)

// checkShape validates a row-major matrix argument.
func checkShape(name, what string, x []float64, n, d, minRows int) error {
	if n < minRows {
		return fmt.Errorf("estim: %s: %s has %d rows, need at least %d", name, what, n, minRows)
	}
	if d < 1 {
		return fmt.Errorf("estim: %s: %s has %d features, need at least 1", name, what, d)
	}
	if len(x) != n*d {
		return fmt.Errorf("estim: %s: %s has %d values, want %d rows x %d features = %d", name, what, len(x), n, d, n*d)
	}
	return nil
}

// transform returns the features as the estimator sees them: log(x) when
// logged (requiring x > 0), else x; every value must be finite.
func transform(name, what string, x []float64, d int, logged bool) ([]float64, error) {
	y := make([]float64, len(x))
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("estim: %s: %s row %d feature %d is %v, want a finite value", name, what, i/d, i%d, v)
		}
		if logged {
			if v <= 0 {
				return nil, fmt.Errorf("estim: %s: %s row %d feature %d is %v, want > 0 (features are logged)", name, what, i/d, i%d, v)
			}
			v = math.Log(v)
		}
		y[i] = v
	}
	return y, nil
}

// varying returns the indices of the columns of the n x d matrix x that are
// not constant. Constancy is tested exactly (min == max), not by a variance
// threshold, so it does not depend on rounding.
func varying(x []float64, n, d int) []int {
	var keep []int
	for j := 0; j < d; j++ {
		lo, hi := x[j], x[j]
		for i := 1; i < n; i++ {
			v := x[i*d+j]
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if lo != hi {
			keep = append(keep, j)
		}
	}
	return keep
}

// columns returns the n x len(keep) matrix of the kept columns of x.
func columns(x []float64, n, d int, keep []int) []float64 {
	k := len(keep)
	y := make([]float64, n*k)
	for i := 0; i < n; i++ {
		for c, j := range keep {
			y[i*k+c] = x[i*d+j]
		}
	}
	return y
}

// meanStd returns the column means and unbiased standard deviations of the
// n x d matrix x (two-pass).
func meanStd(x []float64, n, d int) (mean, std []float64) {
	mean = make([]float64, d)
	std = make([]float64, d)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			mean[j] += x[i*d+j]
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			r := x[i*d+j] - mean[j]
			std[j] += r * r
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(n-1))
	}
	return mean, std
}

// logSumExp returns log(sum(exp(v))), stable for large magnitudes.
func logSumExp(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	if math.IsInf(m, -1) {
		return m
	}
	s := 0.0
	for _, x := range v {
		s += math.Exp(x - m)
	}
	return m + math.Log(s)
}

func checkScoreArgs(name string, dst, x []float64, m, d, fitD int) error {
	if fitD == 0 {
		return fmt.Errorf("%w: %s", ErrNotFitted, name)
	}
	if d != fitD {
		return fmt.Errorf("estim: %s: score input has %d features, the estimator was fitted on %d", name, d, fitD)
	}
	if err := checkShape(name, "score input", x, m, d, 0); err != nil {
		return err
	}
	if len(dst) != m {
		return fmt.Errorf("estim: %s: score output has room for %d scores, want %d", name, len(dst), m)
	}
	return nil
}
