//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

// Available reports whether the AVX2/FMA kernel can run here.
var Available = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel32 computes the 6 x 16 block c = alpha * (a-panel x b-panel) (+
// beta*c when accumulate is 1) over k steps: a points at k groups of 6
// values, b at k groups of 16, c at row 0 of the block, ldc its row stride in
// elements.
//
//go:noescape
func kernel32(k int, a, b, c *float32, ldc int, alpha, beta float32, accumulate int)

// kernel64 is kernel32 for float64 on a 6 x 8 block: b points at k groups of 8.
//
//go:noescape
func kernel64(k int, a, b, c *float64, ldc int, alpha, beta float64, accumulate int)
