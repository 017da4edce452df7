// Package tensor provides dense float32 and float64 arrays with shapes, and the
// matrix products and elementwise kernels the rest of ablate is built on.
//
// Matrix products go through gonum's BLAS; building with the openblas tag
// swaps in OpenBLAS through gonum.org/v1/netlib (cgo). The default build is
// pure Go and needs no cgo.
package tensor
