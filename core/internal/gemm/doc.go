// Package gemm is a matrix product for amd64 processors with AVX2 and FMA:
// C = alpha*op(A)*op(B) + beta*C on row-major matrices, the operation of
// BLAS's sgemm (Sgemm, float32) and dgemm (Dgemm, float64).
//
// It is organised as in BLIS (Van Zee & van de Geijn, 2015): op(B) is packed
// in blocks of KC rows into panels NR columns wide (16 float32 or 8 float64:
// two YMM registers), op(A) in blocks of MC rows into panels MR = 6 rows
// tall, and an assembly micro-kernel keeps a 6 x NR block of C in twelve YMM
// registers while it runs down one pair of panels, one broadcast and two
// fused multiply-adds per row of A and step of k. Large products are split over GOMAXPROCS goroutines by blocks of C, so
// every element of C is summed in the same order whatever the number of
// workers: results are bit-identical from run to run and from machine to
// machine with the same instruction set.
//
// Available reports whether the running processor (and operating system)
// supports the kernel; on other processors and architectures, and with the
// build tag purego, Available is false and callers use gonum's pure-Go
// sgemm and dgemm instead.
package gemm
