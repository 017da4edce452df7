package metrics

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// BitsPerByte converts a mean negative log-likelihood in nats per byte to
// bits per byte.
func BitsPerByte(natsPerByte float64) float64 { return natsPerByte / math.Ln2 }

// BitsPerDim converts the negative log-likelihood of one example, in nats,
// to bits per dimension: nll / (dims ln 2). The density must be over the
// data's own scale; for a model of 8-bit data rescaled to [0, 1] use
// BitsPerDimUnitScale. It panics if dims <= 0.
func BitsPerDim(nllNats float64, dims int) float64 {
	if dims <= 0 {
		panic(fmt.Sprintf("metrics: BitsPerDim with dims %d", dims))
	}
	return nllNats / (float64(dims) * math.Ln2)
}

// BitsPerDimUnitScale is BitsPerDim for a density over 8-bit data divided
// by 256 (pixels in [0, 1]): it adds the change of variables term
// dims*ln(256) before converting, giving the figure papers report.
func BitsPerDimUnitScale(nllNats float64, dims int) float64 {
	return BitsPerDim(nllNats+float64(dims)*math.Log(256), dims)
}

// Interval is a sample mean with a two-sided Student-t confidence interval.
// With fewer than two values, Lo, Hi and HalfWidth are NaN.
type Interval struct {
	N         int
	Mean      float64
	Std       float64 // sample standard deviation (n-1)
	HalfWidth float64
	Lo, Hi    float64
	Level     float64
}

// String formats the interval as "mean ± half-width (n=N)".
func (iv Interval) String() string {
	if iv.N < 2 {
		return fmt.Sprintf("%.4g (n=%d)", iv.Mean, iv.N)
	}
	return fmt.Sprintf("%.4g ± %.2g (n=%d)", iv.Mean, iv.HalfWidth, iv.N)
}

// TQuantile returns the p-quantile of Student's t distribution with nu
// degrees of freedom.
func TQuantile(p, nu float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: nu}.Quantile(p)
}

// MeanCI returns the mean of xs with a two-sided confidence interval at the
// given level (0.95 for 95%): mean ± t_{(1+level)/2, n-1} * s / sqrt(n).
func MeanCI(xs []float64, level float64) (Interval, error) {
	if !(level > 0 && level < 1) {
		return Interval{}, fmt.Errorf("metrics: confidence level %v outside (0, 1)", level)
	}
	if len(xs) == 0 {
		return Interval{}, fmt.Errorf("metrics: mean: %w", ErrEmpty)
	}
	for i, x := range xs {
		if math.IsNaN(x) {
			return Interval{}, fmt.Errorf("metrics: mean: element %d is NaN", i)
		}
	}
	n := float64(len(xs))
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= n
	iv := Interval{N: len(xs), Mean: mean, Level: level}
	if len(xs) < 2 {
		iv.Std, iv.HalfWidth, iv.Lo, iv.Hi = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		return iv, nil
	}
	ss := 0.0
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	iv.Std = math.Sqrt(ss / (n - 1))
	iv.HalfWidth = TQuantile((1+level)/2, n-1) * iv.Std / math.Sqrt(n)
	iv.Lo, iv.Hi = mean-iv.HalfWidth, mean+iv.HalfWidth
	return iv, nil
}

// Mean95 is MeanCI(xs, 0.95).
func Mean95(xs []float64) (Interval, error) { return MeanCI(xs, 0.95) }

// Median returns the median of xs (the mean of the two middle values for an
// even count). xs is not modified.
func Median(xs []float64) (float64, error) {
	if len(xs) == 0 {
		return 0, fmt.Errorf("metrics: median: %w", ErrEmpty)
	}
	s := append([]float64(nil), xs...)
	for i, x := range s {
		if math.IsNaN(x) {
			return 0, fmt.Errorf("metrics: median: element %d is NaN", i)
		}
	}
	sort.Float64s(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m], nil
	}
	return (s[m-1] + s[m]) / 2, nil
}

// Correlation returns the Pearson correlation matrix of d features observed
// on n samples, given as cols[j][i] = feature j of sample i. The diagonal
// is 1; an entry involving a constant feature is NaN.
func Correlation(cols [][]float64) ([][]float64, error) {
	d := len(cols)
	if d == 0 {
		return nil, fmt.Errorf("metrics: correlation: no features: %w", ErrEmpty)
	}
	n := len(cols[0])
	if n < 2 {
		return nil, fmt.Errorf("metrics: correlation: %d samples, need at least 2", n)
	}
	z := make([][]float64, d)
	for j, c := range cols {
		if len(c) != n {
			return nil, fmt.Errorf("metrics: correlation: feature %d has %d samples, feature 0 has %d", j, len(c), n)
		}
		mean := 0.0
		for i, x := range c {
			if math.IsNaN(x) {
				return nil, fmt.Errorf("metrics: correlation: feature %d sample %d is NaN", j, i)
			}
			mean += x
		}
		mean /= float64(n)
		ss := 0.0
		zj := make([]float64, n)
		for i, x := range c {
			zj[i] = x - mean
			ss += zj[i] * zj[i]
		}
		norm := math.Sqrt(ss)
		for i := range zj {
			zj[i] /= norm // NaN for a constant feature, as documented
		}
		z[j] = zj
	}
	r := make([][]float64, d)
	for j := range r {
		r[j] = make([]float64, d)
	}
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			s := 0.0
			for i := 0; i < n; i++ {
				s += z[a][i] * z[b][i]
			}
			if a == b && !math.IsNaN(s) {
				s = 1
			}
			s = math.Max(-1, math.Min(1, s))
			if math.IsNaN(z[a][0]) || math.IsNaN(z[b][0]) {
				s = math.NaN()
			}
			r[a][b], r[b][a] = s, s
		}
	}
	return r, nil
}

// MedianAbsOffDiagonal returns the median of |r| over the entries above the
// diagonal of a correlation matrix, skipping NaN entries.
func MedianAbsOffDiagonal(r [][]float64) (float64, error) {
	var xs []float64
	for a := range r {
		for b := a + 1; b < len(r[a]); b++ {
			if !math.IsNaN(r[a][b]) {
				xs = append(xs, math.Abs(r[a][b]))
			}
		}
	}
	return Median(xs)
}
