package autodiff

import (
	"fmt"
	"math"

	"github.com/ablate-ml/ablate/core/tensor"
)

// ---- broadcasting ----

// bmap maps an output index to an operand index.
type bmode int

const (
	bSame bmode = iota
	bScalar
	bRow // operand holds Cols elements
	bCol // operand holds Rows elements
)

func bidx(m bmode, i, cols int) int {
	switch m {
	case bScalar:
		return 0
	case bRow:
		return i % cols
	case bCol:
		return i / cols
	}
	return i
}

// broadcast picks the output shape (the larger operand's) and how each operand maps onto it.
func broadcast[T Float](op string, a, b *tensor.Dense[T]) (shape []int, ma, mb bmode, cols int) {
	big := a
	if b.Len() > a.Len() {
		big = b
	}
	cols = big.Cols()
	mode := func(x *tensor.Dense[T]) bmode {
		switch {
		case x.Len() == big.Len():
			return bSame
		case x.Len() == 1:
			return bScalar
		case x.Len() == cols && (len(x.Shape) == 1 || x.Rows() == 1):
			return bRow
		case x.Len() == big.Rows() && x.Cols() == 1:
			return bCol
		}
		panic(fmt.Sprintf("autodiff: %s: shapes %v and %v do not broadcast", op, a.Shape, b.Shape))
	}
	return big.Shape, mode(a), mode(b), cols
}

func (tp *Tape[T]) binary(op string, a, b *Var[T], f func(x, y T) T, da, db func(x, y, z T) T) *Var[T] {
	shape, ma, mb, cols := broadcast(op, a.Value, b.Value)
	out := tp.alloc(shape...)
	av, bv := a.Value.Data, b.Value.Data
	for i := range out.Data {
		out.Data[i] = f(av[bidx(ma, i, cols)], bv[bidx(mb, i, cols)])
	}
	v := tp.record(out, nil, a, b)
	v.back = func() {
		g := v.Grad.Data
		for i, gi := range g {
			ia, ib := bidx(ma, i, cols), bidx(mb, i, cols)
			x, y, z := av[ia], bv[ib], out.Data[i]
			if a.grad {
				a.Grad.Data[ia] += gi * da(x, y, z)
			}
			if b.grad {
				b.Grad.Data[ib] += gi * db(x, y, z)
			}
		}
	}
	return v
}

// Add returns a + b with broadcasting: equal shapes, or one operand a scalar
// [1], a row vector [m] (or [1,m]) or a column [n,1] of the other.
func (tp *Tape[T]) Add(a, b *Var[T]) *Var[T] {
	if a.Value.Len() == b.Value.Len() {
		return tp.addSame(a, b, 1)
	}
	return tp.binary("Add", a, b, func(x, y T) T { return x + y },
		func(x, y, z T) T { return 1 }, func(x, y, z T) T { return 1 })
}

// Sub returns a - b with broadcasting (see Add).
func (tp *Tape[T]) Sub(a, b *Var[T]) *Var[T] {
	if a.Value.Len() == b.Value.Len() {
		return tp.addSame(a, b, -1)
	}
	return tp.binary("Sub", a, b, func(x, y T) T { return x - y },
		func(x, y, z T) T { return 1 }, func(x, y, z T) T { return -1 })
}

// Mul returns a * b elementwise with broadcasting (see Add).
func (tp *Tape[T]) Mul(a, b *Var[T]) *Var[T] {
	if a.Value.Len() == b.Value.Len() {
		return tp.mulSame(a, b)
	}
	return tp.binary("Mul", a, b, func(x, y T) T { return x * y },
		func(x, y, z T) T { return y }, func(x, y, z T) T { return x })
}

// Div returns a / b elementwise with broadcasting (see Add).
func (tp *Tape[T]) Div(a, b *Var[T]) *Var[T] {
	return tp.binary("Div", a, b, func(x, y T) T { return x / y },
		func(x, y, z T) T { return 1 / y }, func(x, y, z T) T { return -z / y })
}

// addSame is a + sign*b for operands of equal size (the output takes a's
// shape, as binary does when neither is larger), in plain loops: the common
// case (residual connections) without binary's per-element closures.
func (tp *Tape[T]) addSame(a, b *Var[T], sign T) *Var[T] {
	out := tp.alloc(a.Value.Shape...)
	av, bv, od := a.Value.Data, b.Value.Data, out.Data
	bv, od = bv[:len(av)], od[:len(av)]
	if sign == 1 {
		for i := range av {
			od[i] = av[i] + bv[i]
		}
	} else {
		for i := range av {
			od[i] = av[i] - bv[i]
		}
	}
	v := tp.record(out, nil, a, b)
	v.back = func() {
		g := v.Grad.Data[:len(av)]
		if a.grad {
			ga := a.Grad.Data[:len(g)]
			for i, gi := range g {
				ga[i] += gi
			}
		}
		if b.grad {
			gb := b.Grad.Data[:len(g)]
			if sign == 1 {
				for i, gi := range g {
					gb[i] += gi
				}
			} else {
				for i, gi := range g {
					gb[i] -= gi
				}
			}
		}
	}
	return v
}

// mulSame is a * b for operands of equal size, in plain loops.
func (tp *Tape[T]) mulSame(a, b *Var[T]) *Var[T] {
	out := tp.alloc(a.Value.Shape...)
	av, bv, od := a.Value.Data, b.Value.Data, out.Data
	bv, od = bv[:len(av)], od[:len(av)]
	for i := range av {
		od[i] = av[i] * bv[i]
	}
	v := tp.record(out, nil, a, b)
	v.back = func() {
		g := v.Grad.Data[:len(av)]
		if a.grad {
			ga := a.Grad.Data[:len(g)]
			for i, gi := range g {
				ga[i] += gi * bv[i]
			}
		}
		if b.grad {
			gb := b.Grad.Data[:len(g)]
			for i, gi := range g {
				gb[i] += gi * av[i]
			}
		}
	}
	return v
}

// unary applies f elementwise; d gives df/dx from x and the output y.
func (tp *Tape[T]) unary(a *Var[T], f func(x T) T, d func(x, y T) T) *Var[T] {
	out := tp.alloc(a.Value.Shape...)
	av := a.Value.Data
	for i, x := range av {
		out.Data[i] = f(x)
	}
	v := tp.record(out, nil, a)
	v.back = func() {
		for i, g := range v.Grad.Data {
			a.Grad.Data[i] += g * d(av[i], out.Data[i])
		}
	}
	return v
}

// Scale returns c * a.
func (tp *Tape[T]) Scale(a *Var[T], c T) *Var[T] {
	return tp.unary(a, func(x T) T { return c * x }, func(x, y T) T { return c })
}

// AddScalar returns a + c.
func (tp *Tape[T]) AddScalar(a *Var[T], c T) *Var[T] {
	return tp.unary(a, func(x T) T { return x + c }, func(x, y T) T { return 1 })
}

// Neg returns -a.
func (tp *Tape[T]) Neg(a *Var[T]) *Var[T] { return tp.Scale(a, -1) }

// Exp returns e^a.
func (tp *Tape[T]) Exp(a *Var[T]) *Var[T] {
	return tp.unary(a, func(x T) T { return T(math.Exp(float64(x))) }, func(x, y T) T { return y })
}

// Log returns the natural logarithm of a.
func (tp *Tape[T]) Log(a *Var[T]) *Var[T] {
	return tp.unary(a, func(x T) T { return T(math.Log(float64(x))) }, func(x, y T) T { return 1 / x })
}

// Tanh returns tanh(a).
func (tp *Tape[T]) Tanh(a *Var[T]) *Var[T] {
	return tp.unary(a, func(x T) T { return T(math.Tanh(float64(x))) }, func(x, y T) T { return 1 - y*y })
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Sigmoid returns 1/(1+e^-a).
func (tp *Tape[T]) Sigmoid(a *Var[T]) *Var[T] {
	return tp.unary(a, func(x T) T { return T(sigmoid(float64(x))) }, func(x, y T) T { return y * (1 - y) })
}

// ReLU returns max(a, 0) (gradient 0 at 0).
func (tp *Tape[T]) ReLU(a *Var[T]) *Var[T] {
	out := tp.alloc(a.Value.Shape...)
	av := a.Value.Data
	od := out.Data[:len(av)]
	for i, x := range av {
		od[i] = max(x, 0)
	}
	v := tp.record(out, nil, a)
	v.back = func() { reluBack(a.Grad.Data, v.Grad.Data, av) }
	return v
}

// reluBack adds g where x > 0 into ga. The float32 and float64 loops select
// by bit masks instead of branches: the sign of pre-activations is close to
// random, so a branch mispredicts about half the time.
func reluBack[T Float](ga, g, x []T) {
	switch xs := any(x).(type) {
	case []float32:
		ga, g := any(ga).([]float32)[:len(xs)], any(g).([]float32)[:len(xs)]
		for i, xi := range xs {
			// int32 bits > 0 exactly for x > 0 (and positive NaNs): -0 and
			// negatives are negative, +0 is zero.
			keep := ^uint32((int64(int32(math.Float32bits(xi))) - 1) >> 63)
			ga[i] += math.Float32frombits(math.Float32bits(g[i]) & keep)
		}
	case []float64:
		ga, g := any(ga).([]float64)[:len(xs)], any(g).([]float64)[:len(xs)]
		for i, xi := range xs {
			b := int64(math.Float64bits(xi))
			keep := ^uint64((b>>1 - int64(b&1^1)) >> 63) // b > 0 without overflow at MinInt64
			ga[i] += math.Float64frombits(math.Float64bits(g[i]) & keep)
		}
	default:
		for i, xi := range x {
			if xi > 0 {
				ga[i] += g[i]
			}
		}
	}
}

func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// Softplus returns log(1+e^a), computed stably.
func (tp *Tape[T]) Softplus(a *Var[T]) *Var[T] {
	return tp.unary(a, func(x T) T { return T(softplus(float64(x))) }, func(x, y T) T { return T(sigmoid(float64(x))) })
}

// Square returns a*a.
func (tp *Tape[T]) Square(a *Var[T]) *Var[T] {
	return tp.unary(a, func(x T) T { return x * x }, func(x, y T) T { return 2 * x })
}

// StopGrad returns a copy of a's value through which no gradient flows.
func (tp *Tape[T]) StopGrad(a *Var[T]) *Var[T] {
	out := tp.alloc(a.Value.Shape...)
	copy(out.Data, a.Value.Data)
	return &Var[T]{Value: out}
}

// MatMul returns a·b for 2-D a [n,k] and b [k,m].
func (tp *Tape[T]) MatMul(a, b *Var[T]) *Var[T] {
	if a.Value.Cols() != b.Value.Rows() {
		panic(fmt.Sprintf("autodiff: MatMul: shapes %v and %v do not match", a.Value.Shape, b.Value.Shape))
	}
	out := tp.alloc(a.Value.Rows(), b.Value.Cols())
	tensor.Gemm(false, false, 1, a.Value, b.Value, 0, out)
	v := tp.record(out, nil, a, b)
	v.back = func() {
		if a.grad {
			tensor.Gemm(false, true, 1, v.Grad, b.Value, 1, a.Grad)
		}
		if b.grad {
			tensor.Gemm(true, false, 1, a.Value, v.Grad, 1, b.Grad)
		}
	}
	return v
}

// Linear returns x·w + b for x [n,in], w [in,out] and bias b [out] (or nil),
// as one op (one GEMM, bias fused).
func (tp *Tape[T]) Linear(x, w, b *Var[T]) *Var[T] {
	n, in := x.Value.Rows(), x.Value.Cols()
	if in != w.Value.Rows() || (b != nil && b.Value.Len() != w.Value.Cols()) {
		bs := []int(nil)
		if b != nil {
			bs = b.Value.Shape
		}
		panic(fmt.Sprintf("autodiff: Linear: x %v, w %v, b %v do not match", x.Value.Shape, w.Value.Shape, bs))
	}
	nout := w.Value.Cols()
	out := tp.alloc(n, nout)
	if b != nil {
		for r := 0; r < n; r++ {
			copy(out.Data[r*nout:(r+1)*nout], b.Value.Data)
		}
	}
	tensor.Gemm(false, false, 1, x.Value, w.Value, 1, out)
	v := tp.record(out, nil, x, w, b)
	if tp.pe != nil && v.grad {
		tp.pe.ops = append(tp.pe.ops, linearRec[T]{x, w, b, v})
	}
	v.back = func() {
		if x.grad {
			tensor.Gemm(false, true, 1, v.Grad, w.Value, 1, x.Grad)
		}
		if tp.pe != nil && tp.pe.normsOnly {
			return
		}
		if w.grad {
			tensor.Gemm(true, false, 1, x.Value, v.Grad, 1, w.Grad)
		}
		if b != nil && b.grad {
			g := v.Grad.Data
			for r := 0; r < n; r++ {
				row := g[r*nout : (r+1)*nout]
				for j, gj := range row {
					b.Grad.Data[j] += gj
				}
			}
		}
	}
	return v
}

// Sum returns the sum of all elements, shape [1].
func (tp *Tape[T]) Sum(a *Var[T]) *Var[T] {
	out := tp.alloc(1)
	var s T
	for _, x := range a.Value.Data {
		s += x
	}
	out.Data[0] = s
	v := tp.record(out, nil, a)
	v.back = func() {
		g := v.Grad.Data[0]
		for i := range a.Grad.Data {
			a.Grad.Data[i] += g
		}
	}
	return v
}

// Mean returns the mean of all elements, shape [1].
func (tp *Tape[T]) Mean(a *Var[T]) *Var[T] {
	return tp.Scale(tp.Sum(a), 1/T(a.Value.Len()))
}

func splitAxis(op string, shape []int, axis int) (outer, mid, inner int) {
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

// SumAxis sums over axis, keeping it with size 1 (keepdims): [n,m] axis 1 -> [n,1].
func (tp *Tape[T]) SumAxis(a *Var[T], axis int) *Var[T] {
	outer, mid, inner := splitAxis("SumAxis", a.Value.Shape, axis)
	shape := append([]int(nil), a.Value.Shape...)
	shape[axis] = 1
	out := tp.alloc(shape...)
	av := a.Value.Data
	for o := 0; o < outer; o++ {
		for m := 0; m < mid; m++ {
			for i := 0; i < inner; i++ {
				out.Data[o*inner+i] += av[(o*mid+m)*inner+i]
			}
		}
	}
	v := tp.record(out, nil, a)
	v.back = func() {
		for o := 0; o < outer; o++ {
			for m := 0; m < mid; m++ {
				for i := 0; i < inner; i++ {
					a.Grad.Data[(o*mid+m)*inner+i] += v.Grad.Data[o*inner+i]
				}
			}
		}
	}
	return v
}

// MeanAxis averages over axis, keeping it with size 1 (see SumAxis).
func (tp *Tape[T]) MeanAxis(a *Var[T], axis int) *Var[T] {
	_, mid, _ := splitAxis("MeanAxis", a.Value.Shape, axis)
	return tp.Scale(tp.SumAxis(a, axis), 1/T(mid))
}

func lastDim[T Float](a *tensor.Dense[T]) (rows, c int) {
	if len(a.Shape) == 0 {
		return 1, 1
	}
	c = a.Shape[len(a.Shape)-1]
	if c == 0 {
		return 0, 0
	}
	return a.Len() / c, c
}

// LogSoftmax returns log-softmax over the last axis.
func (tp *Tape[T]) LogSoftmax(a *Var[T]) *Var[T] {
	rows, c := lastDim(a.Value)
	out := tp.alloc(a.Value.Shape...)
	for r := 0; r < rows; r++ {
		x, y := a.Value.Data[r*c:(r+1)*c], out.Data[r*c:(r+1)*c]
		lse := logSumExp(x)
		for j := range x {
			y[j] = x[j] - lse
		}
	}
	v := tp.record(out, nil, a)
	v.back = func() {
		for r := 0; r < rows; r++ {
			g, y, ga := v.Grad.Data[r*c:(r+1)*c], out.Data[r*c:(r+1)*c], a.Grad.Data[r*c:(r+1)*c]
			var s T
			for _, gj := range g {
				s += gj
			}
			for j := range g {
				ga[j] += g[j] - T(math.Exp(float64(y[j])))*s
			}
		}
	}
	return v
}

func logSumExp[T Float](x []T) T {
	m := T(math.Inf(-1))
	for _, v := range x {
		m = max(m, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v - m))
	}
	return m + T(math.Log(s))
}

// Softmax returns softmax over the last axis.
func (tp *Tape[T]) Softmax(a *Var[T]) *Var[T] {
	rows, c := lastDim(a.Value)
	out := tp.alloc(a.Value.Shape...)
	for r := 0; r < rows; r++ {
		x, y := a.Value.Data[r*c:(r+1)*c], out.Data[r*c:(r+1)*c]
		lse := logSumExp(x)
		for j := range x {
			y[j] = T(math.Exp(float64(x[j] - lse)))
		}
	}
	v := tp.record(out, nil, a)
	v.back = func() {
		for r := 0; r < rows; r++ {
			g, y, ga := v.Grad.Data[r*c:(r+1)*c], out.Data[r*c:(r+1)*c], a.Grad.Data[r*c:(r+1)*c]
			var s T
			for j := range g {
				s += g[j] * y[j]
			}
			for j := range g {
				ga[j] += y[j] * (g[j] - s)
			}
		}
	}
	return v
}

// crossEntropy fills probs (softmax of logits) and per-row losses.
func (tp *Tape[T]) crossEntropy(op string, logits *Var[T], targets []int) (probs, losses *tensor.Dense[T], n, c int) {
	n, c = logits.Value.Rows(), logits.Value.Cols()
	if len(targets) != n {
		panic(fmt.Sprintf("autodiff: %s: %d targets for logits %v", op, len(targets), logits.Value.Shape))
	}
	probs, losses = tp.alloc(n, c), tp.alloc(n)
	for r := 0; r < n; r++ {
		t := targets[r]
		if t < 0 || t >= c {
			panic(fmt.Sprintf("autodiff: %s: target %d of row %d outside [0,%d)", op, t, r, c))
		}
		x, p := logits.Value.Data[r*c:(r+1)*c], probs.Data[r*c:(r+1)*c]
		lse := logSumExp(x)
		for j := range x {
			p[j] = T(math.Exp(float64(x[j] - lse)))
		}
		losses.Data[r] = lse - x[t]
	}
	return probs, losses, n, c
}

// CrossEntropy returns the mean over rows of -log softmax(logits)[target],
// shape [1], as one fused op. logits is [n,c].
func (tp *Tape[T]) CrossEntropy(logits *Var[T], targets []int) *Var[T] {
	probs, losses, n, c := tp.crossEntropy("CrossEntropy", logits, targets)
	out := tp.alloc(1)
	var s T
	for _, l := range losses.Data {
		s += l
	}
	out.Data[0] = s / T(max(n, 1))
	v := tp.record(out, nil, logits)
	v.back = func() {
		g := v.Grad.Data[0] / T(n)
		ceBack(logits.Grad.Data, probs.Data, targets, c, func(int) T { return g })
	}
	return v
}

func ceBack[T Float](ga, p []T, targets []int, c int, g func(r int) T) {
	for r, t := range targets {
		gr := g(r)
		for j := 0; j < c; j++ {
			ga[r*c+j] += gr * p[r*c+j]
		}
		ga[r*c+t] -= gr
	}
}

// CrossEntropyRows returns the per-row losses -log softmax(logits)[r, target[r]], shape [n].
func (tp *Tape[T]) CrossEntropyRows(logits *Var[T], targets []int) *Var[T] {
	probs, losses, _, c := tp.crossEntropy("CrossEntropyRows", logits, targets)
	v := tp.record(losses, nil, logits)
	v.back = func() {
		ceBack(logits.Grad.Data, probs.Data, targets, c, func(r int) T { return v.Grad.Data[r] })
	}
	return v
}

// Reshape returns a with a new shape of the same size (values copied).
func (tp *Tape[T]) Reshape(a *Var[T], shape ...int) *Var[T] {
	out := tp.alloc(shape...)
	if out.Len() != a.Value.Len() {
		panic(fmt.Sprintf("autodiff: Reshape %v to %v: sizes differ", a.Value.Shape, shape))
	}
	copy(out.Data, a.Value.Data)
	v := tp.record(out, nil, a)
	v.back = func() {
		for i, g := range v.Grad.Data {
			a.Grad.Data[i] += g
		}
	}
	return v
}

// Slice returns a[..., from:to, ...] along axis.
func (tp *Tape[T]) Slice(a *Var[T], axis, from, to int) *Var[T] {
	outer, mid, inner := splitAxis("Slice", a.Value.Shape, axis)
	if from < 0 || to > mid || from > to {
		panic(fmt.Sprintf("autodiff: Slice: [%d:%d] out of range on axis %d of %v", from, to, axis, a.Value.Shape))
	}
	shape := append([]int(nil), a.Value.Shape...)
	shape[axis] = to - from
	out := tp.alloc(shape...)
	w := (to - from) * inner
	for o := 0; o < outer; o++ {
		copy(out.Data[o*w:(o+1)*w], a.Value.Data[(o*mid+from)*inner:])
	}
	v := tp.record(out, nil, a)
	v.back = func() {
		for o := 0; o < outer; o++ {
			dst := a.Grad.Data[(o*mid+from)*inner : (o*mid+to)*inner]
			for i, g := range v.Grad.Data[o*w : (o+1)*w] {
				dst[i] += g
			}
		}
	}
	return v
}

// Concat joins xs along axis; all other dimensions must agree.
func (tp *Tape[T]) Concat(axis int, xs ...*Var[T]) *Var[T] {
	if len(xs) == 0 {
		panic("autodiff: Concat: no inputs")
	}
	shape := append([]int(nil), xs[0].Value.Shape...)
	outer, _, inner := splitAxis("Concat", shape, axis)
	total := 0
	for _, x := range xs {
		s := x.Value.Shape
		if len(s) != len(shape) {
			panic(fmt.Sprintf("autodiff: Concat: shape %v vs %v", s, shape))
		}
		for i := range s {
			if i != axis && s[i] != shape[i] {
				panic(fmt.Sprintf("autodiff: Concat: shape %v vs %v on axis %d", s, shape, axis))
			}
		}
		total += s[axis]
	}
	shape[axis] = total
	out := tp.alloc(shape...)
	off := 0
	for _, x := range xs {
		m := x.Value.Shape[axis]
		for o := 0; o < outer; o++ {
			copy(out.Data[(o*total+off)*inner:(o*total+off+m)*inner], x.Value.Data[o*m*inner:(o+1)*m*inner])
		}
		off += m
	}
	v := tp.record(out, nil, xs...)
	v.back = func() {
		off := 0
		for _, x := range xs {
			m := x.Value.Shape[axis]
			if x.grad {
				for o := 0; o < outer; o++ {
					src := v.Grad.Data[(o*total+off)*inner : (o*total+off+m)*inner]
					dst := x.Grad.Data[o*m*inner : (o+1)*m*inner]
					for i, g := range src {
						dst[i] += g
					}
				}
			}
			off += m
		}
	}
	return v
}
