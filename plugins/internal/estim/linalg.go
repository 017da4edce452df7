package estim

import (
	"fmt"
	"math"
)

// cholesky returns the lower-triangular L with L L^T = a for the symmetric
// positive-definite p x p row-major a, or an error naming the failing pivot.
func cholesky(a []float64, p int) ([]float64, error) {
	l := make([]float64, p*p)
	for j := 0; j < p; j++ {
		s := a[j*p+j]
		for k := 0; k < j; k++ {
			s -= l[j*p+k] * l[j*p+k]
		}
		if !(s > 0) || math.IsInf(s, 1) {
			return nil, fmt.Errorf("matrix is not positive definite (pivot %d is %v)", j, s)
		}
		ljj := math.Sqrt(s)
		l[j*p+j] = ljj
		for i := j + 1; i < p; i++ {
			t := a[i*p+j]
			for k := 0; k < j; k++ {
				t -= l[i*p+k] * l[j*p+k]
			}
			l[i*p+j] = t / ljj
		}
	}
	return l, nil
}

// logDetChol returns log det(L L^T) for a Cholesky factor L.
func logDetChol(l []float64, p int) float64 {
	s := 0.0
	for j := 0; j < p; j++ {
		s += math.Log(l[j*p+j])
	}
	return 2 * s
}

// mahalanobis returns |L^{-1} z|^2 by forward substitution; u is scratch of
// length p.
func mahalanobis(l []float64, p int, z, u []float64) float64 {
	q := 0.0
	u = u[:p]
	for i := range u {
		t := z[i]
		row := l[i*p : i*p+i+1]
		for k, v := range row[:i] {
			t -= v * u[k]
		}
		ui := t / row[i]
		u[i] = ui
		q += ui * ui
	}
	return q
}
