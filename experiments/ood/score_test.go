package ood

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTypicality: with b = 1 and many bootstrap draws, epsilon is the
// level quantile of |x - mean|, which for a uniform sample on 0..999 is
// known; a batch far from the mean is rejected, one at the mean is not.
func TestTypicality(t *testing.T) {
	nll := make([]float64, 1000)
	for i := range nll {
		nll[i] = float64(i)
	}
	ty, err := FitTypicality(nll, 1, 200000, 0.9, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ty.Mean-499.5) > 1e-9 {
		t.Errorf("mean %g, want 499.5", ty.Mean)
	}
	if math.Abs(ty.Epsilon-450) > 5 { // 90% of |U - 499.5| is below 450
		t.Errorf("epsilon %g, want about 450", ty.Epsilon)
	}
	if r := ty.Rejected([]float64{499.5, 2000}); r != 0.5 {
		t.Errorf("rejected %g, want 0.5", r)
	}
	s := ty.Score([]float64{499.5, 400, 700})
	if !(s[0] > s[1] && s[1] > s[2]) {
		t.Errorf("scores %v: want decreasing with distance from the mean", s)
	}
	if _, err := FitTypicality(nil, 1, 1, 0.9, nil); err == nil {
		t.Error("no NLLs: want an error")
	}
}

func TestKeepVarying(t *testing.T) {
	x := []float64{1, 2, 3, 1, 5, 3} // 2 x 3, columns 0 and 2 constant
	if k := keepVarying(x, 2, 3); len(k) != 1 || k[0] != 1 {
		t.Errorf("keep %v, want [1]", k)
	}
	if c := columns(x, 2, 3, []int{1, 2}); len(c) != 4 || c[0] != 2 || c[3] != 3 {
		t.Errorf("columns %v", c)
	}
}
