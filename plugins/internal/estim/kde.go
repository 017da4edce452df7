package estim

import (
	"fmt"
	"math"
)

// KDE is a Gaussian kernel density estimate on the standardised
// (log-)features: each kept feature is centred and divided by its unbiased
// standard deviation from the fit data, and the kernel is isotropic with
// bandwidth h (Scott's rule h = n^(-1/(p+4)) unless Bandwidth is set). The
// score of a row z (standardised) is
//
//	log p = log (1/n) sum_i N(z; z_i, h^2 I) - sum_j log std_j
//
// where the last term is the Jacobian of the standardisation, so p is a
// density in the (log-)features. Features constant in the fit data are dropped.
type KDE struct {
	// NoLog models the raw features instead of their logs.
	NoLog bool `json:"-"`
	// Bandwidth overrides Scott's rule when > 0 (in standardised units).
	Bandwidth float64 `json:"-"`

	d     int
	keep  []int
	mean  []float64
	std   []float64
	h     float64
	n     int
	train []float64 // n x p standardised fit data
}

// Name implements Estimator.
func (*KDE) Name() string { return "kde" }

// ScottBandwidth is Scott's rule of thumb for n points in p dimensions on
// standardised data.
func ScottBandwidth(n, p int) float64 { return math.Pow(float64(n), -1/float64(p+4)) }

// Fit implements Estimator.
func (e *KDE) Fit(x []float64, n, d int) error {
	if err := checkShape(e.Name(), "fit input", x, n, d, 2); err != nil {
		return err
	}
	if e.Bandwidth < 0 || math.IsNaN(e.Bandwidth) || math.IsInf(e.Bandwidth, 0) {
		return fmt.Errorf("estim: %s: bandwidth is %v, want > 0 or 0 for Scott's rule", e.Name(), e.Bandwidth)
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
	mean, std := meanStd(y, n, p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			y[i*p+j] = (y[i*p+j] - mean[j]) / std[j]
		}
	}
	h := e.Bandwidth
	if h == 0 {
		h = ScottBandwidth(n, p)
	}
	e.d, e.keep, e.mean, e.std, e.h, e.n, e.train = d, keep, mean, std, h, n, y
	return nil
}

// H returns the bandwidth in standardised units.
func (e *KDE) H() float64 { return e.h }

// Score implements Estimator.
func (e *KDE) Score(dst, x []float64, m, d int) error {
	if err := checkScoreArgs(e.Name(), dst, x, m, d, e.d); err != nil {
		return err
	}
	p := len(e.keep)
	c := -math.Log(float64(e.n)) - 0.5*float64(p)*(log2Pi+2*math.Log(e.h))
	for _, s := range e.std {
		c -= math.Log(s)
	}
	inv := 1 / (2 * e.h * e.h)
	z := make([]float64, p)
	terms := make([]float64, e.n)
	for i := 0; i < m; i++ {
		for k, j := range e.keep {
			v := x[i*d+j]
			if math.IsNaN(v) || math.IsInf(v, 0) || (!e.NoLog && v <= 0) {
				return fmt.Errorf("estim: %s: score input row %d feature %d is %v, want a finite value (> 0 when logged)", e.Name(), i, j, v)
			}
			if !e.NoLog {
				v = math.Log(v)
			}
			z[k] = (v - e.mean[k]) / e.std[k]
		}
		for t := 0; t < e.n; t++ {
			row := e.train[t*p : (t+1)*p]
			q := 0.0
			for k, a := range row {
				r := z[k] - a
				q += r * r
			}
			terms[t] = -q * inv
		}
		dst[i] = c + logSumExp(terms)
	}
	return nil
}

// Save implements Estimator.
func (e *KDE) Save() ([]byte, error) {
	if e.d == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFitted, e.Name())
	}
	w := newEncoder(e.Name())
	w.int(boolInt(e.NoLog))
	w.int(e.d)
	w.ints(e.keep)
	w.f64s(e.mean)
	w.f64s(e.std)
	w.f64(e.h)
	w.int(e.n)
	w.f64s(e.train)
	return w.b, nil
}

// Load implements Estimator.
func (e *KDE) Load(b []byte) error {
	r := newDecoder(e.Name(), b)
	s := KDE{NoLog: r.int() != 0, d: r.int(), keep: r.ints(), mean: r.f64s(), std: r.f64s(), h: r.f64(), n: r.int(), train: r.f64s()}
	if err := r.done(); err != nil {
		return err
	}
	if err := checkKeep(s.d, s.keep, len(s.mean), len(s.std)); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadState, e.Name(), err)
	}
	if s.n < 1 || len(s.train) != s.n*len(s.keep) {
		return fmt.Errorf("%w: %s: %d training values for %d rows x %d features", ErrBadState, e.Name(), len(s.train), s.n, len(s.keep))
	}
	if !(s.h > 0) || math.IsInf(s.h, 1) {
		return fmt.Errorf("%w: %s: bandwidth %v", ErrBadState, e.Name(), s.h)
	}
	if err := allFinite(s.mean, s.std, s.train); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadState, e.Name(), err)
	}
	for _, v := range s.std {
		if !(v > 0) {
			return fmt.Errorf("%w: %s: standard deviation %v", ErrBadState, e.Name(), v)
		}
	}
	s.Bandwidth = e.Bandwidth
	*e = s
	return nil
}

func allFinite(vs ...[]float64) error {
	for _, v := range vs {
		for i, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("value %d is %v", i, x)
			}
		}
	}
	return nil
}

var _ Estimator = (*KDE)(nil)
