//go:build !openblas

package tensor

import "github.com/ablate-ml/ablate/core/internal/sgemm"

// Backend names the BLAS implementation behind matrix products in this build.
var Backend = backendName()

func backendName() string {
	if sgemm.Available {
		return "gonum (pure Go) + ablate's AVX2/FMA sgemm kernel"
	}
	return "gonum (pure Go)"
}

// kernelSgemm reports whether a float32 product of this size goes to the
// AVX2/FMA kernel rather than gonum's sgemm: on processors that have it, for
// every product but the thin ones (a row or column of a few vectors), where
// the kernel's 6 x 16 blocks would be mostly padding and gonum's
// vector loops are faster.
func kernelSgemm(m, n, k int) bool {
	return sgemm.Available && m >= 4 && n >= 8
}
