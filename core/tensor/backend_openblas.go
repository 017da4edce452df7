//go:build openblas

package tensor

import (
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/netlib/blas/netlib"
)

// Backend names the BLAS implementation behind matrix products in this build.
var Backend = "OpenBLAS (cgo, gonum.org/v1/netlib)"

// kernelGemm: with OpenBLAS every product goes to OpenBLAS.
func kernelGemm(m, n, k int) bool { return false }

func init() {
	// gonum's blas32/blas64 dispatch through a replaceable implementation; the
	// openblas build tag swaps in netlib's cgo bindings once, before any use.
	blas32.Use(netlib.Implementation{})
	blas64.Use(netlib.Implementation{})
}
