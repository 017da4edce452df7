package autodiff

// The ops in this file are built on the tape's private recording hooks (see
// tape.go): tp.alloc for buffers and tp.record, through advRecord, to register
// a backward function.
// Every backward function accumulates into the Grad of those inputs that have
// one (advGrad returns nil for inputs that receive no gradient).

import (
	"fmt"
	"math"

	"github.com/ablate-ml/ablate/core/tensor"
)

// advNew wraps a value computed by an op of this file in a new Var.
func advNew[T tensor.Float](v *tensor.Dense[T]) *Var[T] { return &Var[T]{Value: v} }

// advGrad returns v's gradient buffer, or nil when v receives no gradient.
func advGrad[T tensor.Float](v *Var[T]) []T {
	if v == nil || !v.needsGrad() || v.Grad == nil {
		return nil
	}
	return v.Grad.Data
}

// advRecord records the op whose value out holds: the returned Var is the
// op's result, and out.Grad is set to its gradient buffer so that back can
// read it (nil when nothing is recorded).
func (tp *Tape[T]) advRecord(out *Var[T], back func(), inputs ...*Var[T]) *Var[T] {
	v := tp.record(out.Value, back, inputs...)
	out.Grad = v.Grad
	return v
}

// advUnary applies f elementwise; df(x, y) is the derivative at x where y = f(x).
func (tp *Tape[T]) advUnary(a *Var[T], f func(x float64) float64, df func(x, y float64) float64) *Var[T] {
	out := advNew(tp.alloc(a.Value.Shape...))
	x, y := a.Value.Data, out.Value.Data
	for i := range x {
		y[i] = T(f(float64(x[i])))
	}
	return tp.advRecord(out, func() {
		ga := advGrad(a)
		if ga == nil {
			return
		}
		gy := out.Grad.Data
		for i := range ga {
			ga[i] += gy[i] * T(df(float64(x[i]), float64(y[i])))
		}
	}, a)
}

// GELU is the Gaussian error linear unit x·Φ(x), with the exact normal CDF
// (erf), as PyTorch's default. When recording, the derivative Φ(x) + x·φ(x)
// is kept from the forward pass (one erf per element in all).
func (tp *Tape[T]) GELU(a *Var[T]) *Var[T] {
	out := advNew(tp.alloc(a.Value.Shape...))
	x, y := a.Value.Data, out.Value.Data
	var dy []T
	if !tp.noGrad && a.needsGrad() {
		dy = tp.alloc(a.Value.Shape...).Data
	}
	for i := range x {
		xi := float64(x[i])
		cdf := 0.5 * (1 + math.Erf(xi/math.Sqrt2))
		y[i] = T(xi * cdf)
		if dy != nil {
			dy[i] = T(cdf + xi*math.Exp(-0.5*xi*xi)/math.Sqrt(2*math.Pi))
		}
	}
	return tp.advRecord(out, func() {
		ga := advGrad(a)
		if ga == nil {
			return
		}
		gy := out.Grad.Data
		for i := range ga {
			ga[i] += gy[i] * dy[i]
		}
	}, a)
}

// Logit is log(x/(1-x)), the inverse of Sigmoid, for x in (0, 1).
func (tp *Tape[T]) Logit(a *Var[T]) *Var[T] {
	return tp.advUnary(a,
		func(x float64) float64 { return math.Log(x) - math.Log1p(-x) },
		func(x, _ float64) float64 { return 1 / (x * (1 - x)) })
}

// Sqrt is the elementwise square root, for x >= 0 (the gradient is infinite at 0).
func (tp *Tape[T]) Sqrt(a *Var[T]) *Var[T] {
	return tp.advUnary(a, math.Sqrt, func(_, y float64) float64 { return 0.5 / y })
}

// Abs is the elementwise absolute value; its gradient at 0 is taken as 0.
func (tp *Tape[T]) Abs(a *Var[T]) *Var[T] {
	return tp.advUnary(a, math.Abs, func(x, _ float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	})
}

// LogSigmoid is log(sigmoid(x)) = -softplus(-x), computed without overflow.
func (tp *Tape[T]) LogSigmoid(a *Var[T]) *Var[T] {
	return tp.advUnary(a,
		func(x float64) float64 { return math.Min(x, 0) - math.Log1p(math.Exp(-math.Abs(x))) },
		func(x, _ float64) float64 {
			// d/dx log σ(x) = σ(-x)
			if x >= 0 {
				e := math.Exp(-x)
				return e / (1 + e)
			}
			return 1 / (1 + math.Exp(x))
		})
}

// Gather looks up rows of a 2-D table [v, d]: the result is [len(idx), d] with
// row i equal to table row idx[i] (an embedding lookup). Gradients of repeated
// indices add up. It panics when table is not 2-D or an index is out of range.
func (tp *Tape[T]) Gather(table *Var[T], idx []int) *Var[T] {
	if len(table.Value.Shape) != 2 {
		panic(fmt.Sprintf("autodiff: Gather: table must be 2-D, got shape %v", table.Value.Shape))
	}
	return tp.rows("Gather", table, idx)
}

// SelectRows picks rows of x (viewed as [Rows, Cols]): the result is
// [len(idx), Cols] with row i equal to x's row idx[i]. Indices may repeat
// (gradients add up). It panics when an index is out of range.
func (tp *Tape[T]) SelectRows(x *Var[T], idx []int) *Var[T] {
	return tp.rows("SelectRows", x, idx)
}

func (tp *Tape[T]) rows(op string, x *Var[T], idx []int) *Var[T] {
	n, d := x.Value.Rows(), x.Value.Cols()
	for i, r := range idx {
		if r < 0 || r >= n {
			panic(fmt.Sprintf("autodiff: %s: index %d at position %d out of range [0, %d) for shape %v", op, r, i, n, x.Value.Shape))
		}
	}
	out := advNew(tp.alloc(len(idx), d))
	for i, r := range idx {
		copy(out.Value.Data[i*d:(i+1)*d], x.Value.Data[r*d:(r+1)*d])
	}
	return tp.advRecord(out, func() {
		gx := advGrad(x)
		if gx == nil {
			return
		}
		gy := out.Grad.Data
		for i, r := range idx {
			dst, src := gx[r*d:(r+1)*d], gy[i*d:(i+1)*d]
			for j := range dst {
				dst[j] += src[j]
			}
		}
	}, x)
}

// Transpose swaps the two axes of a 2-D value.
func (tp *Tape[T]) Transpose(a *Var[T]) *Var[T] {
	if len(a.Value.Shape) != 2 {
		panic(fmt.Sprintf("autodiff: Transpose: want a 2-D value, got shape %v", a.Value.Shape))
	}
	n, m := a.Value.Shape[0], a.Value.Shape[1]
	out := advNew(tp.alloc(m, n))
	x, y := a.Value.Data, out.Value.Data
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			y[j*n+i] = x[i*m+j]
		}
	}
	return tp.advRecord(out, func() {
		ga := advGrad(a)
		if ga == nil {
			return
		}
		gy := out.Grad.Data
		for i := 0; i < n; i++ {
			for j := 0; j < m; j++ {
				ga[i*m+j] += gy[j*n+i]
			}
		}
	}, a)
}

// lastAxis returns the size of the last axis of v and the number of vectors
// along it.
func lastAxis[T tensor.Float](op string, v *Var[T]) (rows, d int) {
	s := v.Value.Shape
	if len(s) == 0 || s[len(s)-1] == 0 {
		panic(fmt.Sprintf("autodiff: %s: need a non-empty last axis, got shape %v", op, s))
	}
	d = s[len(s)-1]
	return v.Value.Len() / d, d
}

func checkVec[T tensor.Float](op, name string, v *Var[T], d int) {
	if v != nil && v.Value.Len() != d {
		panic(fmt.Sprintf("autodiff: %s: %s has shape %v, want %d elements (the last axis)", op, name, v.Value.Shape, d))
	}
}

// LayerNorm normalises x over its last axis to zero mean and unit variance
// (biased variance, eps added to it), then scales by gain and adds bias, both
// of the last axis' size; either may be nil (gain 1, bias 0).
func (tp *Tape[T]) LayerNorm(x, gain, bias *Var[T], eps T) *Var[T] {
	return tp.norm("LayerNorm", x, gain, bias, eps, true)
}

// RMSNorm divides x by the root mean square of its last axis (eps added to
// the mean square) and scales by gain (nil: 1).
func (tp *Tape[T]) RMSNorm(x, gain *Var[T], eps T) *Var[T] {
	return tp.norm("RMSNorm", x, gain, nil, eps, false)
}

func (tp *Tape[T]) norm(op string, x, gain, bias *Var[T], eps T, center bool) *Var[T] {
	n, d := lastAxis(op, x)
	checkVec(op, "gain", gain, d)
	checkVec(op, "bias", bias, d)
	out := advNew(tp.alloc(x.Value.Shape...))
	xhat := tp.alloc(x.Value.Shape...)
	rstdBuf := tp.alloc(n)
	rstd := rstdBuf.Data
	xs, ys, hs := x.Value.Data, out.Value.Data, xhat.Data
	for r := 0; r < n; r++ {
		row := xs[r*d : (r+1)*d]
		mu := 0.0
		if center {
			for _, v := range row {
				mu += float64(v)
			}
			mu /= float64(d)
		}
		ms := 0.0
		for _, v := range row {
			c := float64(v) - mu
			ms += c * c
		}
		rs := 1 / math.Sqrt(ms/float64(d)+float64(eps))
		rstd[r] = T(rs)
		for j, v := range row {
			h := T((float64(v) - mu) * rs)
			hs[r*d+j] = h
			y := h
			if gain != nil {
				y *= gain.Value.Data[j]
			}
			if bias != nil {
				y += bias.Value.Data[j]
			}
			ys[r*d+j] = y
		}
	}
	return tp.advRecord(out, func() {
		gx, gg, gb := advGrad(x), advGrad(gain), advGrad(bias)
		gy := out.Grad.Data
		for r := 0; r < n; r++ {
			dy, h := gy[r*d:(r+1)*d], hs[r*d:(r+1)*d]
			var sdh, sdhh float64
			for j := range dy {
				if gg != nil {
					gg[j] += dy[j] * h[j]
				}
				if gb != nil {
					gb[j] += dy[j]
				}
				dh := float64(dy[j])
				if gain != nil {
					dh *= float64(gain.Value.Data[j])
				}
				sdh += dh
				sdhh += dh * float64(h[j])
			}
			if gx == nil {
				continue
			}
			mdh, mdhh := sdh/float64(d), sdhh/float64(d)
			if !center {
				mdh = 0
			}
			for j := range dy {
				dh := float64(dy[j])
				if gain != nil {
					dh *= float64(gain.Value.Data[j])
				}
				gx[r*d+j] += T(float64(rstd[r]) * (dh - mdh - float64(h[j])*mdhh))
			}
		}
	}, x, gain, bias)
}

// MaskedFill sets the elements of a where mask is true to value; they pass no
// gradient. The mask covers a's elements in order; a shorter mask whose length
// divides a.Len() repeats over the leading axes (e.g. an [s, s] mask over a
// [b, s, s] value).
func (tp *Tape[T]) MaskedFill(a *Var[T], mask []bool, value T) *Var[T] {
	n := a.Value.Len()
	if len(mask) == 0 || n%len(mask) != 0 {
		panic(fmt.Sprintf("autodiff: MaskedFill: mask of length %d does not tile shape %v", len(mask), a.Value.Shape))
	}
	out := advNew(tp.alloc(a.Value.Shape...))
	m := len(mask)
	for i, v := range a.Value.Data {
		if mask[i%m] {
			v = value
		}
		out.Value.Data[i] = v
	}
	return tp.advRecord(out, func() {
		ga := advGrad(a)
		if ga == nil {
			return
		}
		for i, g := range out.Grad.Data {
			if !mask[i%m] {
				ga[i] += g
			}
		}
	}, a)
}

// axisSplit returns the products of the dimensions before, at and after axis.
func axisSplit(op string, shape []int, axis int) (outer, n, inner int) {
	if axis < 0 || axis >= len(shape) {
		panic(fmt.Sprintf("autodiff: %s: axis %d out of range for shape %v", op, axis, shape))
	}
	outer, inner = 1, 1
	for _, s := range shape[:axis] {
		outer *= s
	}
	for _, s := range shape[axis+1:] {
		inner *= s
	}
	return outer, shape[axis], inner
}

// CumSum is the inclusive cumulative sum along axis: y[..., i, ...] is the
// sum of x[..., j, ...] over j <= i.
func (tp *Tape[T]) CumSum(a *Var[T], axis int) *Var[T] {
	outer, n, inner := axisSplit("CumSum", a.Value.Shape, axis)
	out := advNew(tp.alloc(a.Value.Shape...))
	x, y := a.Value.Data, out.Value.Data
	for o := 0; o < outer; o++ {
		base := o * n * inner
		for k := 0; k < inner; k++ {
			var s T
			for i := 0; i < n; i++ {
				p := base + i*inner + k
				s += x[p]
				y[p] = s
			}
		}
	}
	return tp.advRecord(out, func() {
		ga := advGrad(a)
		if ga == nil {
			return
		}
		gy := out.Grad.Data
		for o := 0; o < outer; o++ {
			base := o * n * inner
			for k := 0; k < inner; k++ {
				var s T
				for i := n - 1; i >= 0; i-- {
					p := base + i*inner + k
					s += gy[p]
					ga[p] += s
				}
			}
		}
	}, a)
}

// SegmentMean averages the rows of x (viewed as [Rows, Cols]) by segment:
// row i belongs to segment seg[i] in [0, nseg); the result is [nseg, Cols].
// A segment with no rows is a zero row (and passes no gradient).
func (tp *Tape[T]) SegmentMean(x *Var[T], seg []int, nseg int) *Var[T] {
	n, d := x.Value.Rows(), x.Value.Cols()
	if len(seg) != n {
		panic(fmt.Sprintf("autodiff: SegmentMean: %d segment ids for %d rows of shape %v", len(seg), n, x.Value.Shape))
	}
	count := make([]int, nseg)
	for i, s := range seg {
		if s < 0 || s >= nseg {
			panic(fmt.Sprintf("autodiff: SegmentMean: segment id %d of row %d out of range [0, %d)", s, i, nseg))
		}
		count[s]++
	}
	out := advNew(tp.alloc(nseg, d))
	xs, ys := x.Value.Data, out.Value.Data
	for i, s := range seg {
		w := 1 / T(count[s])
		for j := 0; j < d; j++ {
			ys[s*d+j] += w * xs[i*d+j]
		}
	}
	return tp.advRecord(out, func() {
		gx := advGrad(x)
		if gx == nil {
			return
		}
		gy := out.Grad.Data
		for i, s := range seg {
			w := 1 / T(count[s])
			for j := 0; j < d; j++ {
				gx[i*d+j] += w * gy[s*d+j]
			}
		}
	}, x)
}
