package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// The products of one step of the 784-256-10 MLP at batch 128 (forward,
// backward), the per-example loop's matrix-vector products, and a square
// product: the kernel against gonum's pure-Go sgemm on the same operands.
var benchShapes = []struct {
	name    string
	ta, tb  bool
	m, n, k int
}{
	{"fwd1_128x256x784", false, false, 128, 256, 784},
	{"fwd2_128x10x256", false, false, 128, 10, 256},
	{"dw1_784x256x128_tA", true, false, 784, 256, 128},
	{"dw2_256x10x128_tA", true, false, 256, 10, 128},
	{"dx2_128x256x10_tB", false, true, 128, 256, 10},
	{"vec_1x256x784", false, false, 1, 256, 784},
	{"outer_784x256x1_tA", true, false, 784, 256, 1},
	{"sq_512", false, false, 512, 512, 512},
}

func BenchmarkSgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range benchShapes {
		lda, ldb := s.k, s.n
		if s.ta {
			lda = s.m
		}
		if s.tb {
			ldb = s.k
		}
		a, bb, c := fill(r, s.m*s.k), fill(r, s.k*s.n), make([]float32, s.m*s.n)
		flops := 2 * float64(s.m*s.n*s.k)
		b.Run(fmt.Sprintf("%s/kernel", s.name), func(b *testing.B) {
			skipUnavailable(b)
			for b.Loop() {
				Sgemm(s.ta, s.tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(fmt.Sprintf("%s/gonum", s.name), func(b *testing.B) {
			ta, tb := blas.NoTrans, blas.NoTrans
			if s.ta {
				ta = blas.Trans
			}
			if s.tb {
				tb = blas.Trans
			}
			for b.Loop() {
				gonum.Implementation{}.Sgemm(ta, tb, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkDgemm: the float64 kernel against gonum's dgemm on the MLP's
// first-layer shape and a square product.
func BenchmarkDgemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range []struct {
		name    string
		m, n, k int
	}{{"fwd1_128x256x784", 128, 256, 784}, {"sq_512", 512, 512, 512}} {
		a, bb, c := fillT[float64](r, s.m*s.k), fillT[float64](r, s.k*s.n), make([]float64, s.m*s.n)
		flops := 2 * float64(s.m*s.n*s.k)
		b.Run(s.name+"/kernel", func(b *testing.B) {
			skipUnavailable(b)
			for b.Loop() {
				Dgemm(false, false, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(s.name+"/gonum", func(b *testing.B) {
			for b.Loop() {
				gonum.Implementation{}.Dgemm(blas.NoTrans, blas.NoTrans, s.m, s.n, s.k, 1, a, s.k, bb, s.n, 0, c, s.n)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
