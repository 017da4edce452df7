package autodiff

import (
	"math"
	"testing"
)

// TestReLUBackBitMasks holds the branch-free ReLU backward to the plain
// rule (gradient passes where x > 0) on zeros of both signs, subnormals,
// infinities and ordinary values, in float32 and float64.
func TestReLUBackBitMasks(t *testing.T) {
	xs := []float64{0, math.Copysign(0, -1), 5e-324, -5e-324, 1e-40, -1e-40, 1, -1, 3.5, -2.25, math.Inf(1), math.Inf(-1), math.MaxFloat32, -math.MaxFloat32}
	t.Run("float64", func(t *testing.T) { checkReLUBack(t, xs) })
	xs32 := make([]float32, len(xs))
	for i, x := range xs {
		xs32[i] = float32(x)
	}
	t.Run("float32", func(t *testing.T) { checkReLUBack(t, xs32) })
}

func checkReLUBack[T Float](t *testing.T, x []T) {
	g, ga := make([]T, len(x)), make([]T, len(x))
	for i := range g {
		g[i], ga[i] = T(i+1), 0.5
	}
	reluBack(ga, g, x)
	for i := range x {
		want := T(0.5)
		if x[i] > 0 {
			want += g[i]
		}
		if ga[i] != want {
			t.Errorf("x=%v: grad %v, want %v", x[i], ga[i], want)
		}
	}
}
