package ood

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Logit is the preprocessing of RealNVP (Dinh et al. 2017): 8-bit pixels p
// are dequantised to u = (p + v)/256 with v ~ U[0, 1), squeezed to
// y = alpha + (1 - 2 alpha) u and mapped to x = log y - log(1 - y). Its
// log-determinant, sum log|dx/du|, turns the flow's density on x into a
// density on u, and so into bits per dimension of the 8-bit data.
type Logit struct {
	Alpha float64
}

// Check says whether alpha is usable: 0 < alpha < 0.5.
func (l Logit) Check() error {
	if !(l.Alpha > 0 && l.Alpha < 0.5) {
		return fmt.Errorf("ood: logit alpha must be in (0, 0.5), got %g", l.Alpha)
	}
	return nil
}

// Dequantise writes u = (p + v)/256 for the pixels, v drawn from rng (or
// v = 0.5 when rng is nil).
func Dequantise(dst []float64, pixels []uint8, rng *rand.Rand) []float64 {
	for i, p := range pixels {
		v := 0.5
		if rng != nil {
			v = rng.Float64()
		}
		dst[i] = (float64(p) + v) / 256
	}
	return dst
}

// Forward maps u in (0, 1) to x in place and returns, per row of d values,
// log|det dx/du|.
func (l Logit) Forward(u []float64, n, d int) []float64 {
	ld := make([]float64, n)
	c := math.Log(1 - 2*l.Alpha)
	for i := 0; i < n; i++ {
		for j := 0; j < d; j++ {
			y := l.Alpha + (1-2*l.Alpha)*u[i*d+j]
			u[i*d+j] = math.Log(y) - math.Log1p(-y)
			ld[i] += c - math.Log(y) - math.Log1p(-y)
		}
	}
	return ld
}

// BitsPerDim converts a per-image NLL in nats on the logit space into bits
// per dimension of the 8-bit images: the density on u in [0, 1]^d is
// p_x(x) |dx/du|, and the 8-bit grid has cells of side 1/256.
func BitsPerDim(nllLogit, logdet float64, d int) float64 {
	nllU := nllLogit - logdet
	return (nllU + float64(d)*math.Log(256)) / (float64(d) * math.Ln2)
}
