//go:build !amd64 || purego

package gemm

// Available reports whether the AVX2/FMA kernel can run here: never on
// this architecture or with the purego build tag.
var Available = false

func kernel32(k int, a, b, c *float32, ldc int, alpha, beta float32, accumulate int) {
	panic("gemm: no kernel on this architecture")
}

func kernel64(k int, a, b, c *float64, ldc int, alpha, beta float64, accumulate int) {
	panic("gemm: no kernel on this architecture")
}
