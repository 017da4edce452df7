package optim

import (
	"fmt"
	"math"
	"runtime"
	"sync"
)

// Float is the element type of parameters and gradients.
type Float interface{ ~float32 | ~float64 }

// Optimizer updates parameter values in place from their gradients.
type Optimizer[T Float] interface {
	// StepSlices applies one update; values[i] and grads[i] must have the
	// same length, and slot i must name the same parameter on every call.
	StepSlices(values, grads [][]T)
}

func checkSlots[T Float](name string, values, grads [][]T, nstate int) {
	if len(values) != len(grads) {
		panic(fmt.Sprintf("optim: %s: %d value slices but %d gradient slices", name, len(values), len(grads)))
	}
	for i := range values {
		if len(values[i]) != len(grads[i]) {
			panic(fmt.Sprintf("optim: %s: slot %d: value length %d, gradient length %d", name, i, len(values[i]), len(grads[i])))
		}
	}
	if nstate != 0 && nstate != len(values) {
		panic(fmt.Sprintf("optim: %s: state for %d slots, called with %d", name, nstate, len(values)))
	}
}

// SGD is stochastic gradient descent with optional heavy-ball momentum:
// v <- Momentum*v + g; w <- w - LR*v. With Momentum 0 it is w <- w - LR*g.
type SGD[T Float] struct {
	LR, Momentum float64
	vel          [][]float64
}

// StepSlices implements Optimizer.
func (o *SGD[T]) StepSlices(values, grads [][]T) {
	checkSlots("sgd", values, grads, len(o.vel))
	if o.vel == nil && o.Momentum != 0 {
		o.vel = make([][]float64, len(values))
		for i := range values {
			o.vel[i] = make([]float64, len(values[i]))
		}
	}
	for i, w := range values {
		g := grads[i]
		if o.Momentum == 0 {
			for j := range w {
				w[j] = T(float64(w[j]) - o.LR*float64(g[j]))
			}
			continue
		}
		v := o.vel[i]
		for j := range w {
			v[j] = o.Momentum*v[j] + float64(g[j])
			w[j] = T(float64(w[j]) - o.LR*v[j])
		}
	}
}

// Adam is Kingma & Ba's optimizer with bias correction. Zero Beta1, Beta2
// and Eps take the defaults 0.9, 0.999 and 1e-8. WeightDecay > 0 makes it
// AdamW (decoupled decay: w <- w - LR*WeightDecay*w before the Adam step).
type Adam[T Float] struct {
	LR, Beta1, Beta2, Eps, WeightDecay float64
	t                                  int
	m, v                               [][]float64
}

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter).
type AdamW[T Float] = Adam[T]

func (o *Adam[T]) params() (b1, b2, eps float64) {
	b1, b2, eps = o.Beta1, o.Beta2, o.Eps
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	return
}

// Steps reports how many updates have been applied.
func (o *Adam[T]) Steps() int { return o.t }

// StepSlices implements Optimizer.
func (o *Adam[T]) StepSlices(values, grads [][]T) {
	checkSlots("adam", values, grads, len(o.m))
	if o.m == nil {
		o.m = make([][]float64, len(values))
		o.v = make([][]float64, len(values))
		for i := range values {
			o.m[i] = make([]float64, len(values[i]))
			o.v[i] = make([]float64, len(values[i]))
		}
	}
	b1, b2, eps := o.params()
	o.t++
	c1 := 1 - math.Pow(b1, float64(o.t))
	c2 := 1 - math.Pow(b2, float64(o.t))
	step := o.LR / c1
	// sqrt(v/c2) = sqrt(v)/sqrt(c2): one square root and one division per
	// element.
	k := adamKernel{b1: b1, b2: b2, eps: eps, step: step, is2: 1 / math.Sqrt(c2), decay: 1 - o.LR*o.WeightDecay, wd: o.WeightDecay != 0}
	for i, w := range values {
		g, m, v := grads[i], o.m[i], o.v[i]
		parallel(len(w), func(lo, hi int) { adamUpdate(k, w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]) })
	}
}

type adamKernel struct {
	b1, b2, eps, step, is2, decay float64
	wd                            bool
}

func adamUpdate[T Float](k adamKernel, w, g []T, m, v []float64) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	start := 0
	if w32, ok := any(w).([]float32); ok && adamVector && len(w) >= 4 {
		adamAVX(w32, any(g).([]float32), m, v, &k)
		start = len(w) &^ 3
	}
	for j := start; j < len(w); j++ {
		gj := float64(g[j])
		mj := k.b1*m[j] + (1-k.b1)*gj
		vj := k.b2*v[j] + (1-k.b2)*gj*gj
		m[j], v[j] = mj, vj
		wj := float64(w[j])
		if k.wd {
			wj *= k.decay
		}
		w[j] = T(wj - k.step*mj/(math.Sqrt(vj)*k.is2+k.eps))
	}
}

// parallelMin is the slot size from which elementwise updates are split
// across GOMAXPROCS goroutines; below it the goroutines cost more than they
// save.
const parallelMin = 1 << 15

// parallel calls f on contiguous chunks covering [0, n), concurrently when n
// is large. The chunks are disjoint and each element's update depends only
// on itself, so the result is the same bit for bit whatever the split.
func parallel(n int, f func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if n < parallelMin || p < 2 {
		f(0, n)
		return
	}
	p = min(p, n/(parallelMin/2))
	var wg sync.WaitGroup
	chunk := (n + p - 1) / p
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo int) {
			defer wg.Done()
			f(lo, min(lo+chunk, n))
		}(lo)
	}
	f(0, min(chunk, n))
	wg.Wait()
}

// ClipGlobalNorm scales every gradient by maxNorm/norm when the L2 norm of
// all gradients together exceeds maxNorm, and returns the norm before
// clipping. maxNorm must be positive.
func ClipGlobalNorm[T Float](grads [][]T, maxNorm float64) (norm float64) {
	if !(maxNorm > 0) {
		panic(fmt.Sprintf("optim: clip: maxNorm must be positive, got %v", maxNorm))
	}
	var s float64
	for _, g := range grads {
		for _, x := range g {
			s += float64(x) * float64(x)
		}
	}
	norm = math.Sqrt(s)
	if norm > maxNorm {
		f := maxNorm / norm
		for _, g := range grads {
			for j := range g {
				g[j] = T(float64(g[j]) * f)
			}
		}
	}
	return norm
}

var (
	_ Optimizer[float32] = (*SGD[float32])(nil)
	_ Optimizer[float64] = (*Adam[float64])(nil)
)
