package tensor

import (
	"math/rand/v2"
	"testing"
)

func naiveGemm(transA, transB bool, a, b *Dense[float64]) [][]float64 {
	at := func(i, j int) float64 {
		if transA {
			return a.Data[j*a.Cols()+i]
		}
		return a.Data[i*a.Cols()+j]
	}
	bt := func(i, j int) float64 {
		if transB {
			return b.Data[j*b.Cols()+i]
		}
		return b.Data[i*b.Cols()+j]
	}
	m, k := a.Rows(), a.Cols()
	if transA {
		m, k = k, m
	}
	n := b.Cols()
	if transB {
		n = b.Rows()
	}
	out := make([][]float64, m)
	for i := range out {
		out[i] = make([]float64, n)
		for j := range out[i] {
			for p := 0; p < k; p++ {
				out[i][j] += at(i, p) * bt(p, j)
			}
		}
	}
	return out
}

func TestGemmAgainstLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// 3 x 5 goes to gonum; 13 x 37 to the AVX2/FMA kernel where the processor
	// has it, in float32 and float64.
	for _, tc := range []struct {
		ta, tb  bool
		m, k, n int
	}{{false, false, 3, 4, 5}, {true, false, 3, 4, 5}, {false, true, 3, 4, 5}, {true, true, 3, 4, 5},
		{false, false, 13, 40, 37}, {true, false, 13, 40, 37}, {false, true, 13, 40, 37}, {true, true, 13, 40, 37}} {
		m, k, n := tc.m, tc.k, tc.n
		as, bs := []int{m, k}, []int{k, n}
		if tc.ta {
			as = []int{k, m}
		}
		if tc.tb {
			bs = []int{n, k}
		}
		a, b := New[float64](as...), New[float64](bs...)
		for i := range a.Data {
			a.Data[i] = r.NormFloat64()
		}
		for i := range b.Data {
			b.Data[i] = r.NormFloat64()
		}
		c := New[float64](m, n)
		for i := range c.Data {
			c.Data[i] = 1
		}
		Gemm(tc.ta, tc.tb, 2, a, b, 0.5, c)
		want := naiveGemm(tc.ta, tc.tb, a, b)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				w := 2*want[i][j] + 0.5
				if d := c.Data[i*n+j] - w; d > 1e-12 || d < -1e-12 {
					t.Fatalf("ta=%v tb=%v: c[%d,%d]=%v want %v", tc.ta, tc.tb, i, j, c.Data[i*n+j], w)
				}
			}
		}
		// float32 agrees with float64.
		a32, b32, c32 := New[float32](as...), New[float32](bs...), New[float32](m, n)
		for i := range a.Data {
			a32.Data[i] = float32(a.Data[i])
		}
		for i := range b.Data {
			b32.Data[i] = float32(b.Data[i])
		}
		Gemm(tc.ta, tc.tb, 1, a32, b32, 0, c32)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				if d := float64(c32.Data[i*n+j]) - want[i][j]; d > 1e-4 || d < -1e-4 {
					t.Fatalf("float32 c[%d,%d]=%v want %v", i, j, c32.Data[i*n+j], want[i][j])
				}
			}
		}
	}
}

func TestFromSlicePanicsOnMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for 3 elements in shape [2 2]")
		}
	}()
	FromSlice([]float64{1, 2, 3}, 2, 2)
}
