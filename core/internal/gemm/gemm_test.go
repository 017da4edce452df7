package gemm

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

func skipUnavailable(t testing.TB) {
	if !Available {
		t.Skip("no AVX2/FMA on this processor (or built with purego)")
	}
}

// reference computes alpha*op(a)*op(b) + beta*c in float64 by the
// definition, and for each element the bound sum |alpha op(a)_ip op(b)_pj| +
// |beta c_ij| that scales float32 rounding errors.
func reference[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) (ref, mag []float64) {
	ref, mag = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, g float64
			for p := 0; p < k; p++ {
				var x, y T
				if transA {
					x = a[p*lda+i]
				} else {
					x = a[i*lda+p]
				}
				if transB {
					y = b[j*ldb+p]
				} else {
					y = b[p*ldb+j]
				}
				s += float64(x) * float64(y)
				g += math.Abs(float64(x) * float64(y))
			}
			s *= float64(alpha)
			g *= math.Abs(float64(alpha))
			if beta != 0 {
				s += float64(beta) * float64(c[i*ldc+j])
				g += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			ref[i*n+j], mag[i*n+j] = s, g
		}
	}
	return ref, mag
}

func fill(r *rand.Rand, n int) []float32 { return fillT[float32](r, n) }

func fillT[T Float](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.NormFloat64())
	}
	return s
}

// eps is the unit roundoff of T.
func eps[T Float]() float64 {
	var z T
	if any(z) == any(float32(0)) {
		return math.Ldexp(1, -24)
	}
	return math.Ldexp(1, -53)
}

func gemmT[T Float](transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch c := any(c).(type) {
	case []float32:
		Sgemm(transA, transB, m, n, k, float32(alpha), any(a).([]float32), lda, any(b).([]float32), ldb, float32(beta), c, ldc)
	case []float64:
		Dgemm(transA, transB, m, n, k, float64(alpha), any(a).([]float64), lda, any(b).([]float64), ldb, float64(beta), c, ldc)
	}
}

type shape struct{ m, n, k int }

// TestAgainstDefinition checks every transpose combination, alpha and beta
// (0 with NaN in c, which must not be read), padded leading dimensions, and
// sizes around every block edge (mr 6, nr 16, kc 256, mc 72, nc 1024) and
// across the parallel threshold, against a float64 sum by the definition,
// within rounding: |c - ref| <= 2 (k+2) u sum |terms|, u the unit roundoff,
// for float32 (Sgemm, nr 16) and float64 (Dgemm, nr 8).
func TestAgainstDefinition(t *testing.T) {
	skipUnavailable(t)
	t.Run("float32", againstDefinition[float32])
	t.Run("float64", againstDefinition[float64])
}

func againstDefinition[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	shapes := []shape{{1, 1, 1}, {6, 16, 1}, {5, 15, 3}, {7, 17, 9}, {12, 32, 256}, {13, 33, 257},
		{71, 40, 30}, {73, 47, 513}, {128, 256, 784}, {128, 10, 256}, {256, 10, 128}, {3, 1030, 20}, {150, 7, 300}}
	for _, sh := range shapes {
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			for _, ab := range [][2]T{{1, 0}, {1, 1}, {-0.5, 0.25}} {
				checkProduct(t, r, tr[0], tr[1], sh.m, sh.n, sh.k, ab[0], ab[1], 2, 1, 3)
			}
		}
	}
}

// checkProduct draws op(a), op(b) and c (with padA, padB, padC extra columns
// of padding), runs the kernel and requires the definition's result within
// rounding, |c - ref| <= 2 (k+2) u sum |terms|; when beta is 0, c starts as
// NaN (it must not be read); the padding of c is never written.
func checkProduct[T Float](t testing.TB, r *rand.Rand, ta, tb bool, m, n, k int, alpha, beta T, padA, padB, padC int) {
	t.Helper()
	ar, ac := stored(ta, m, k)
	br, bc := stored(tb, k, n)
	lda, ldb, ldc := max(1, ac)+padA, max(1, bc)+padB, n+padC
	a, b := fillT[T](r, max(0, (ar-1)*lda+ac)), fillT[T](r, max(0, (br-1)*ldb+bc))
	c := fillT[T](r, (m-1)*ldc+n)
	ref, mag := reference(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	if beta == 0 {
		for i := range c {
			c[i] = T(math.NaN())
		}
	}
	pad := append([]T(nil), c...)
	gemmT(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	tol := 2 * float64(k+2) * eps[T]()
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			got, want := float64(c[i*ldc+j]), ref[i*n+j]
			if !(math.Abs(got-want) <= tol*mag[i*n+j]+1e-30) {
				t.Fatalf("m=%d n=%d k=%d trans=%v,%v alpha,beta=%v,%v: c[%d][%d] = %v, want %v (bound %g)", m, n, k, ta, tb, alpha, beta, i, j, got, want, tol*mag[i*n+j])
			}
		}
		for j := n; j < ldc && i*ldc+j < len(c); j++ {
			if c[i*ldc+j] != pad[i*ldc+j] && !(c[i*ldc+j] != c[i*ldc+j] && pad[i*ldc+j] != pad[i*ldc+j]) {
				t.Fatalf("m=%d n=%d k=%d: wrote into the padding of row %d at column %d", m, n, k, i, j)
			}
		}
	}
}

// TestSplitIsBitIdentical: one worker and several give the same bits, for
// products split by columns and by rows, in float32 and float64.
func TestSplitIsBitIdentical(t *testing.T) {
	skipUnavailable(t)
	t.Run("float32", splitIsBitIdentical[float32])
	t.Run("float64", splitIsBitIdentical[float64])
}

func splitIsBitIdentical[T Float](t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, sh := range []shape{{128, 256, 784}, {300, 20, 200}, {50, 700, 100}} {
		a, b := fillT[T](r, sh.m*sh.k), fillT[T](r, sh.k*sh.n)
		run := func(procs int) []T {
			old := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(old)
			c := make([]T, sh.m*sh.n)
			gemmT(false, false, sh.m, sh.n, sh.k, 1, a, sh.k, b, sh.n, 0, c, sh.n)
			return c
		}
		one := run(1)
		for _, p := range []int{2, 3, 7} {
			many := run(p)
			for i := range one {
				// Equal values, NaN excluded (none here): the same bits up to the sign of zero.
				if one[i] != many[i] || math.Signbit(float64(one[i])) != math.Signbit(float64(many[i])) {
					t.Fatalf("%v: GOMAXPROCS %d differs from 1 at %d: %v vs %v", sh, p, i, many[i], one[i])
				}
			}
		}
	}
}

func TestZeroSizesAndScaling(t *testing.T) {
	skipUnavailable(t)
	c := []float32{1, 2, 3, 4}
	Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 3, c, 2)
	for i, want := range []float32{3, 6, 9, 12} {
		if c[i] != want {
			t.Fatalf("k=0 must scale c by beta: %v", c)
		}
	}
	c = []float32{float32(math.NaN()), 1}
	Sgemm(false, false, 1, 2, 1, 0, []float32{1}, 1, []float32{1, 1}, 2, 0, c, 2)
	if c[0] != 0 || c[1] != 0 {
		t.Fatalf("alpha=0, beta=0 must zero c without reading it: %v", c)
	}
}

func TestShortSlicesPanic(t *testing.T) {
	skipUnavailable(t)
	for name, f := range map[string]func(){
		"a": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		"b": func() {
			Sgemm(false, true, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 3), 2, 0, make([]float32, 4), 2)
		},
		"c": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
		},
		"ld": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 1, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic for a slice too short for its matrix", name)
				}
			}()
			f()
		}()
	}
}

// FuzzSgemm: any small shape, transposes, leading-dimension padding, alpha
// and beta give the definition's result within float32 rounding, without
// reading c when beta is 0 or writing its padding.
func FuzzSgemm(f *testing.F) {
	f.Add(uint8(7), uint8(17), uint8(9), uint8(0), uint8(3), int8(4), int8(0), uint64(1))
	f.Add(uint8(13), uint8(40), uint8(255), uint8(3), uint8(0), int8(-2), int8(3), uint64(2))
	f.Fuzz(func(t *testing.T, m8, n8, k8, flags, padding uint8, alpha8, beta8 int8, seed uint64) {
		if !Available {
			t.Skip("no AVX2/FMA")
		}
		m, n, k := int(m8%40)+1, int(n8%40)+1, int(k8)%300
		r := rand.New(rand.NewPCG(seed, 7))
		checkProduct(t, r, flags&1 != 0, flags&2 != 0, m, n, k, float32(alpha8)/4, float32(beta8)/4, int(padding%3), int(padding/3%3), int(padding/9%3))
	})
}
