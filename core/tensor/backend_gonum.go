//go:build !openblas

package tensor

// Backend names the BLAS implementation behind matrix products in this build.
const Backend = "gonum (pure Go)"
