//go:build !openblas

package tensor

import "github.com/ablate-ml/ablate/core/internal/gemm"

// Backend names the BLAS implementation behind matrix products in this build.
var Backend = backendName()

func backendName() string {
	if gemm.Available {
		return "gonum (pure Go) + ablate's AVX2/FMA gemm kernel"
	}
	return "gonum (pure Go)"
}

// kernelGemm reports whether a product of this size goes to the AVX2/FMA
// kernel rather than gonum: on processors that have it, for every product
// but the thin ones (a row or column of a few vectors), where the kernel's
// 6 x 16 (6 x 8 in float64) blocks would be mostly padding and gonum's
// vector loops are faster.
func kernelGemm(m, n, k int) bool {
	return gemm.Available && m >= 4 && n >= 8
}
