package tensor

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/ablate-ml/ablate/core/internal/gemm"
)

// Float is the element type of a Dense array.
type Float interface{ ~float32 | ~float64 }

// Dense is a row-major array with a shape. Data holds exactly the product of
// Shape elements.
type Dense[T Float] struct {
	Shape []int
	Data  []T
}

func size(shape []int) int {
	n := 1
	for _, s := range shape {
		if s < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
		n *= s
	}
	return n
}

// New returns a zero-filled array of the given shape.
func New[T Float](shape ...int) *Dense[T] {
	return &Dense[T]{Shape: append([]int(nil), shape...), Data: make([]T, size(shape))}
}

// FromSlice wraps data (not copied) with the given shape. It panics when
// len(data) does not match the shape.
func FromSlice[T Float](data []T, shape ...int) *Dense[T] {
	if n := size(shape); n != len(data) {
		panic(fmt.Sprintf("tensor: FromSlice: %d elements for shape %v (needs %d)", len(data), shape, n))
	}
	return &Dense[T]{Shape: append([]int(nil), shape...), Data: data}
}

// Len returns the number of elements.
func (d *Dense[T]) Len() int { return len(d.Data) }

// Clone returns a deep copy.
func (d *Dense[T]) Clone() *Dense[T] {
	return &Dense[T]{Shape: append([]int(nil), d.Shape...), Data: append([]T(nil), d.Data...)}
}

// Zero sets every element to 0.
func (d *Dense[T]) Zero() { clear(d.Data) }

// Reshape returns a view sharing Data with a new shape; it panics when the
// element count differs.
func (d *Dense[T]) Reshape(shape ...int) *Dense[T] {
	if n := size(shape); n != len(d.Data) {
		panic(fmt.Sprintf("tensor: Reshape %v to %v: element counts differ", d.Shape, shape))
	}
	return &Dense[T]{Shape: append([]int(nil), shape...), Data: d.Data}
}

// Rows returns Shape[0] (1 for a 0-D array).
func (d *Dense[T]) Rows() int {
	if len(d.Shape) == 0 {
		return 1
	}
	return d.Shape[0]
}

// Cols returns the product of all dimensions after the first.
func (d *Dense[T]) Cols() int {
	if len(d.Shape) <= 1 {
		if len(d.Shape) == 1 && d.Shape[0] == 0 {
			return 0
		}
		return 1
	}
	return size(d.Shape[1:])
}

// SameShape reports whether a and b have identical shapes.
func SameShape[T Float](a, b *Dense[T]) bool {
	if len(a.Shape) != len(b.Shape) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	return true
}

// Gemm computes c = alpha*op(a)*op(b) + beta*c, with a, b, c seen as 2-D
// (Rows x Cols). It panics on mismatched shapes.
func Gemm[T Float](transA, transB bool, alpha T, a, b *Dense[T], beta T, c *Dense[T]) {
	ar, ac := a.Rows(), a.Cols()
	br, bc := b.Rows(), b.Cols()
	m, k := ar, ac
	if transA {
		m, k = ac, ar
	}
	k2, n := br, bc
	if transB {
		k2, n = bc, br
	}
	if k != k2 || c.Rows() != m || c.Cols() != n {
		panic(fmt.Sprintf("tensor: Gemm: shapes a %v (t=%v), b %v (t=%v), c %v do not match", a.Shape, transA, b.Shape, transB, c.Shape))
	}
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		ScaleTo(c, beta, c)
		return
	}
	switch cd := any(c.Data).(type) {
	case []float32:
		Sgemm(transA, transB, m, n, k, float32(alpha), any(a.Data).([]float32), ac, any(b.Data).([]float32), bc, float32(beta), cd, n)
	case []float64:
		Dgemm(transA, transB, m, n, k, float64(alpha), any(a.Data).([]float64), ac, any(b.Data).([]float64), bc, float64(beta), cd, n)
	default:
		// Named float types: a plain loop.
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var s T
				for p := 0; p < k; p++ {
					var x, y T
					if transA {
						x = a.Data[p*ac+i]
					} else {
						x = a.Data[i*ac+p]
					}
					if transB {
						y = b.Data[j*bc+p]
					} else {
						y = b.Data[p*bc+j]
					}
					s += x * y
				}
				c.Data[i*n+j] = alpha*s + beta*c.Data[i*n+j]
			}
		}
	}
}

// Sgemm is BLAS's sgemm on row-major slices, c = alpha*op(a)*op(b) + beta*c
// (op(a) m x k, op(b) k x n, c m x n; lda, ldb, ldc the row strides), routed
// as Gemm routes float32 products: to the AVX2/FMA kernel where the
// processor has it (core/internal/gemm), to gonum's sgemm for thin products
// and with the build tag purego, to OpenBLAS with the tag openblas. For code
// that keeps its own buffers (hand-written layers) and wants the same
// product as the framework.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if kernelGemm(m, n, k) {
		gemm.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	blas32.Implementation().Sgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm for float64.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if kernelGemm(m, n, k) {
		gemm.Dgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	blas64.Implementation().Dgemm(trans(transA), trans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func checkLen[T Float](op string, a, b *Dense[T]) {
	if len(a.Data) != len(b.Data) {
		panic(fmt.Sprintf("tensor: %s: shapes %v and %v differ in size", op, a.Shape, b.Shape))
	}
}

// AddTo sets dst = a + b elementwise (same sizes).
func AddTo[T Float](dst, a, b *Dense[T]) {
	checkLen("AddTo", a, b)
	checkLen("AddTo", dst, a)
	for i := range dst.Data {
		dst.Data[i] = a.Data[i] + b.Data[i]
	}
}

// MulTo sets dst = a * b elementwise (same sizes).
func MulTo[T Float](dst, a, b *Dense[T]) {
	checkLen("MulTo", a, b)
	checkLen("MulTo", dst, a)
	for i := range dst.Data {
		dst.Data[i] = a.Data[i] * b.Data[i]
	}
}

// ScaleTo sets dst = c * a.
func ScaleTo[T Float](dst *Dense[T], c T, a *Dense[T]) {
	checkLen("ScaleTo", dst, a)
	for i := range dst.Data {
		dst.Data[i] = c * a.Data[i]
	}
}

// AXPY sets y += alpha * x.
func AXPY[T Float](alpha T, x, y *Dense[T]) {
	checkLen("AXPY", x, y)
	for i := range y.Data {
		y.Data[i] += alpha * x.Data[i]
	}
}

// ApplyTo sets dst[i] = f(a[i]).
func ApplyTo[T Float](dst, a *Dense[T], f func(T) T) {
	checkLen("ApplyTo", dst, a)
	for i := range dst.Data {
		dst.Data[i] = f(a.Data[i])
	}
}

// Sum returns the sum of all elements, accumulated in float64.
func Sum[T Float](a *Dense[T]) float64 {
	var s float64
	for _, v := range a.Data {
		s += float64(v)
	}
	return s
}
