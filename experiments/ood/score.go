package ood

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// groupMeans returns the means of consecutive groups of b values.
func groupMeans(x []float64, b int) []float64 {
	out := make([]float64, len(x)/b)
	for g := range out {
		var s float64
		for _, v := range x[g*b : (g+1)*b] {
			s += v
		}
		out[g] = s / float64(b)
	}
	return out
}

// Typicality is the test of Nalisnick et al. (2019b): a batch is typical
// when its mean NLL is within epsilon of the mean NLL of the
// in-distribution fit data.
type Typicality struct {
	Mean    float64 // mean per-example NLL of the fit set
	Epsilon float64 // the bootstrap (1 - level) quantile of |batch mean - Mean|
}

// FitTypicality sets Mean from the fit set's per-example NLLs and Epsilon
// from k bootstrap batches of size b drawn from them at the given level
// (e.g. 0.99).
func FitTypicality(nll []float64, b, k int, level float64, rng *rand.Rand) (Typicality, error) {
	if len(nll) == 0 || b < 1 || k < 1 || !(level > 0 && level < 1) {
		return Typicality{}, fmt.Errorf("ood: typicality needs NLLs, b >= 1, k >= 1, level in (0, 1); got %d, %d, %d, %g", len(nll), b, k, level)
	}
	var m float64
	for _, v := range nll {
		m += v
	}
	m /= float64(len(nll))
	dev := make([]float64, k)
	for i := range dev {
		var s float64
		for range b {
			s += nll[rng.IntN(len(nll))]
		}
		dev[i] = math.Abs(s/float64(b) - m)
	}
	sort.Float64s(dev)
	return Typicality{Mean: m, Epsilon: dev[min(k-1, int(math.Ceil(level*float64(k)))-1)]}, nil
}

// Score is the threshold-free score of batches with the given mean NLLs:
// -|mean - Mean|, higher = more typical.
func (t Typicality) Score(batchMeans []float64) []float64 {
	out := make([]float64, len(batchMeans))
	for i, v := range batchMeans {
		out[i] = -math.Abs(v - t.Mean)
	}
	return out
}

// Rejected is the fraction of batches the test declares atypical.
func (t Typicality) Rejected(batchMeans []float64) float64 {
	n := 0
	for _, v := range batchMeans {
		if math.Abs(v-t.Mean) > t.Epsilon {
			n++
		}
	}
	return float64(n) / float64(len(batchMeans))
}

// logFeatures returns the log of each feature; a zero feature (a tensor
// whose gradient vanishes exactly) is floored at the smallest normal
// float64 so that its log is finite.
func logFeatures(f []float64) []float64 {
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = math.Log(math.Max(v, 0x1p-1022))
	}
	return out
}

// positive floors each feature at the smallest normal float64: the
// estimator plugins take the raw squared norms (they model their logs) and
// refuse a feature that is not > 0, which an exactly vanishing gradient
// would be.
func positive(f []float64) []float64 {
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = math.Max(v, 0x1p-1022)
	}
	return out
}

// keepVarying returns the columns of the n x d fit matrix whose sample
// variance is non-zero, as the paper drops constant features.
func keepVarying(x []float64, n, d int) []int {
	var keep []int
	for j := 0; j < d; j++ {
		for i := 1; i < n; i++ {
			if x[i*d+j] != x[j] {
				keep = append(keep, j)
				break
			}
		}
	}
	return keep
}

// columns returns the n x len(cols) matrix of the chosen columns.
func columns(x []float64, n, d int, cols []int) []float64 {
	out := make([]float64, 0, n*len(cols))
	for i := 0; i < n; i++ {
		for _, j := range cols {
			out = append(out, x[i*d+j])
		}
	}
	return out
}
