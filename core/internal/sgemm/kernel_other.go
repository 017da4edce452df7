//go:build !amd64 || purego

package sgemm

// Available reports whether the AVX2/FMA kernel can run here: never on
// this architecture or with the purego build tag.
var Available = false

func kernel(k int, a, b, c *float32, ldc int, alpha, beta float32, accumulate int) {
	panic("sgemm: no kernel on this architecture")
}
