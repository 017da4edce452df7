//go:build amd64 && !purego

package optim

import "golang.org/x/sys/cpu"

// adamVector reports whether adamUpdate's float32 loop runs four elements
// at a time in AVX registers. The vector loop does the same IEEE operations
// in the same order as the scalar one (no fused multiply-adds; square root
// and division are correctly rounded in both), so the results are the same
// bit for bit.
var adamVector = cpu.X86.HasAVX

// adamAVX applies the Adam update to the first len(w) &^ 3 elements.
//
//go:noescape
func adamAVX(w, g []float32, m, v []float64, k *adamKernel)
