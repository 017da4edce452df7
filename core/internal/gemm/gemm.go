package gemm

import (
	"fmt"
	"runtime"
	"sync"
)

const (
	mr    = 6   // rows of the micro-kernel's block of C
	maxNR = 16  // columns of the micro-kernel's block of C: two YMM registers, 16 float32 or 8 float64
	kc    = 256 // depth of a packed block: a 6 x 256 panel of A and a 256 x nr panel of B fit in L1
	mc    = 72  // rows of A packed at once (12 panels, held in L2)
	nc    = 1024
)

// Float is an element type with a kernel.
type Float interface{ float32 | float64 }

// spec is one element type's kernel and block width.
type spec[T Float] struct {
	name   string
	nr     int
	kernel func(k int, a, b, c *T, ldc int, alpha, beta T, accumulate int)
	pool   sync.Pool
}

var (
	s32 = &spec[float32]{name: "sgemm", nr: 16, kernel: kernel32}
	s64 = &spec[float64]{name: "dgemm", nr: 8, kernel: kernel64}
)

func (s *spec[T]) buffers() *buffers[T] {
	if b, ok := s.pool.Get().(*buffers[T]); ok {
		return b
	}
	return &buffers[T]{a: make([]T, mc*kc), b: make([]T, kc*nc)}
}

// parallelFlops is the size (m*n*k) from which a product is split over
// goroutines; below it the cost of starting them is not repaid.
const parallelFlops = 1 << 18

type buffers[T Float] struct {
	a, b []T
	edge [mr * maxNR]T
}

// Sgemm computes c = alpha*op(a)*op(b) + beta*c for row-major float32
// matrices: op(a) is m x k (a is k x m with leading dimension lda if
// transA), op(b) is k x n, c is m x n with leading dimension ldc. When beta
// is 0, c is not read. It must only be called when Available is true; it
// panics otherwise, and on slices too short for their matrices.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm(s32, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Dgemm is Sgemm for float64.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gemm(s64, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// stored is the shape in which op(X), an r x c matrix, is stored: r x c,
// or c x r when op transposes.
func stored(trans bool, r, c int) (rows, cols int) {
	if trans {
		return c, r
	}
	return r, c
}

func gemm[T Float](s *spec[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if !Available {
		panic(s.name + ": the processor does not support the AVX2/FMA kernel")
	}
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("%s: negative size m=%d n=%d k=%d", s.name, m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	// The kernel does not check bounds: every slice is checked here.
	ar, ac := stored(transA, m, k)
	br, bc := stored(transB, k, n)
	check(s.name, "a", a, ar, ac, lda)
	check(s.name, "b", b, br, bc, ldb)
	check(s.name, "c", c, m, n, ldc)
	if k == 0 || alpha == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	workers := runtime.GOMAXPROCS(0)
	if workers == 1 || m*n*k < parallelFlops {
		serial(s, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// Split C into column blocks (whole panels of nr) when it is wider than
	// tall, into row blocks (whole panels of mr) otherwise. Each worker runs
	// the serial algorithm on its block; the blocks' sums do not depend on
	// the split.
	var wg sync.WaitGroup
	if n >= m {
		parts := split(n, s.nr, workers)
		for w := 0; w+1 < len(parts); w++ {
			j0, j1 := parts[w], parts[w+1]
			bo := j0 * ldb // op(b) columns j0..: rows of b if transB
			if !transB {
				bo = j0
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				serial(s, transA, transB, m, j1-j0, k, alpha, a, lda, b[bo:], ldb, beta, c[j0:], ldc)
			}()
		}
	} else {
		parts := split(m, mr, workers)
		for w := 0; w+1 < len(parts); w++ {
			i0, i1 := parts[w], parts[w+1]
			ao := i0 * lda
			if transA {
				ao = i0
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				serial(s, transA, transB, i1-i0, n, k, alpha, a[ao:], lda, b, ldb, beta, c[i0*ldc:], ldc)
			}()
		}
	}
	wg.Wait()
}

func check[T Float](op, name string, s []T, rows, cols, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("%s: leading dimension of %s is %d, below its %d columns", op, name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("%s: %s has %d elements; a %d x %d matrix with leading dimension %d needs %d", op, name, len(s), rows, cols, ld, (rows-1)*ld+cols))
	}
}

// split divides [0, n) into at most workers ranges whose boundaries are
// multiples of unit.
func split(n, unit, workers int) []int {
	units := (n + unit - 1) / unit
	if workers > units {
		workers = units
	}
	parts := make([]int, 0, workers+1)
	for w := 0; w <= workers; w++ {
		parts = append(parts, min(n, (units*w/workers)*unit))
	}
	return parts
}

func scale[T Float](m, n int, beta T, c []T, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// serial is the blocked algorithm on one goroutine.
func serial[T Float](s *spec[T], transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	buf := s.buffers()
	defer s.pool.Put(buf)
	for j0 := 0; j0 < n; j0 += nc {
		nb := min(nc, n-j0)
		for p0 := 0; p0 < k; p0 += kc {
			kb := min(kc, k-p0)
			// The first block of k applies beta; later ones add to it.
			bet := T(1)
			if p0 == 0 {
				bet = beta
			}
			pack(!transB, b, ldb, p0, kb, j0, nb, s.nr, buf.b)
			for i0 := 0; i0 < m; i0 += mc {
				mb := min(mc, m-i0)
				pack(transA, a, lda, p0, kb, i0, mb, mr, buf.a)
				macro(s, mb, nb, kb, alpha, buf.a, buf.b, bet, c[i0*ldc+j0:], ldc, &buf.edge)
			}
		}
	}
}

// macro runs the micro-kernel over an mb x nb block of C from packed panels.
func macro[T Float](s *spec[T], mb, nb, kb int, alpha T, ap, bp []T, beta T, c []T, ldc int, edge *[mr * maxNR]T) {
	nr := s.nr
	accumulate := 0
	if beta != 0 {
		accumulate = 1
	}
	for jr := 0; jr < nb; jr += nr {
		nw := min(nr, nb-jr)
		bpan := bp[jr*kb:]
		for ir := 0; ir < mb; ir += mr {
			mh := min(mr, mb-ir)
			apan := ap[ir*kb:]
			if mh == mr && nw == nr {
				s.kernel(kb, &apan[0], &bpan[0], &c[ir*ldc+jr], ldc, alpha, beta, accumulate)
				continue
			}
			// A partial block: the kernel writes a full 6 x nr block into
			// edge, and the part inside C is combined here.
			s.kernel(kb, &apan[0], &bpan[0], &edge[0], nr, alpha, 0, 0)
			for i := 0; i < mh; i++ {
				row := c[(ir+i)*ldc+jr : (ir+i)*ldc+jr+nw]
				src := edge[i*nr : i*nr+nw]
				if beta == 0 {
					copy(row, src)
					continue
				}
				for j := range row {
					row[j] = beta*row[j] + src[j]
				}
			}
		}
	}
}

// pack copies depths p0..p0+kb and lanes q0..q0+nq of a matrix into panels
// width lanes wide stored depth by depth (dst[panel*width*kb + p*width + q]),
// padding the last panel with zeros. Element (p, q) is x[p*ld+q] when
// depthMajor, x[q*ld+p] otherwise. op(b) is packed with its rows as depths
// (depth-major unless transposed), op(a) with its columns as depths
// (depth-major when transposed), into panels nr and mr lanes wide.
func pack[T Float](depthMajor bool, x []T, ld, p0, kb, q0, nq, width int, dst []T) {
	for qr := 0; qr < nq; qr += width {
		pan := dst[qr*kb : qr*kb+width*kb]
		nw := min(width, nq-qr)
		if depthMajor {
			// Each depth gives nw contiguous values.
			for p := 0; p < kb; p++ {
				d := pan[p*width : p*width+width]
				o := (p0+p)*ld + q0 + qr
				copy(d, x[o:o+nw])
				clear(d[nw:])
			}
			continue
		}
		// Each lane gives kb contiguous values.
		o := (q0+qr)*ld + p0
		if width == mr && nw == mr {
			// A's full panels, six lanes at once: each group of six in the
			// panel is written whole.
			r0, r1, r2 := x[o:o+kb], x[o+ld:o+ld+kb], x[o+2*ld:o+2*ld+kb]
			r3, r4, r5 := x[o+3*ld:o+3*ld+kb], x[o+4*ld:o+4*ld+kb], x[o+5*ld:o+5*ld+kb]
			for p := range r0 {
				d := pan[p*mr : p*mr+mr : p*mr+mr]
				d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
			continue
		}
		if nw < width {
			clear(pan)
		}
		for q := 0; q < nw; q++ {
			for p, v := range x[o+q*ld : o+q*ld+kb] {
				pan[p*width+q] = v
			}
		}
	}
}
