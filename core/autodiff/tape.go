package autodiff

// Extending the tape from inside the package (e.g. ops_advanced*.go):
//
//	out := tp.alloc(shape...)            // zeroed buffer, pooled: handed out again after Reset
//	... compute out.Data from the inputs' Value.Data ...
//	v := tp.record(out, nil, a, b)       // returns the output Var; Grad allocated when needed
//	v.back = func() { ... read v.Grad.Data, add into a.Grad.Data if a.needsGrad() ... }
//
// or pass the backward closure directly as record's second argument when it
// does not need the output Var. record returns a Var whose needsGrad() is false
// (and whose backward is never run) in NoGrad mode or when no input needs a
// gradient. Backward closures must ACCUMULATE (+=) into input gradients and
// must check in.needsGrad() first (Const inputs have no Grad).

import (
	"fmt"

	"github.com/ablate-ml/ablate/core/tensor"
)

// Float is the element type of tensors and variables.
type Float = tensor.Float

// Var is a value in a computation, with its gradient once Backward has run.
type Var[T Float] struct {
	Value, Grad *tensor.Dense[T]
	Name        string

	grad  bool // receives a gradient
	param bool // persistent leaf (NewParam)
	back  func()
}

func (v *Var[T]) needsGrad() bool { return v.grad }

// NewParam returns a persistent leaf (a model parameter) with a zero gradient
// buffer. Backward accumulates into Grad; ZeroGrads clears it.
func NewParam[T Float](name string, value *tensor.Dense[T]) *Var[T] {
	return &Var[T]{Value: value, Grad: tensor.New[T](value.Shape...), Name: name, grad: true, param: true}
}

// ZeroGrads sets every parameter's gradient to zero.
func ZeroGrads[T Float](params []*Var[T]) {
	for _, p := range params {
		if p.Grad != nil {
			p.Grad.Zero()
		}
	}
}

// Tape records operations for reverse-mode differentiation. It is not safe
// for concurrent use.
type Tape[T Float] struct {
	nodes  []*Var[T]
	pool   map[int][]*tensor.Dense[T]
	used   []*tensor.Dense[T]
	noGrad bool
	pe     *perExample[T]
}

// NewTape returns an empty tape.
func NewTape[T Float]() *Tape[T] {
	return &Tape[T]{pool: map[int][]*tensor.Dense[T]{}}
}

// NoGrad turns evaluation mode on or off: with it on, ops compute values only
// and record nothing.
func (tp *Tape[T]) NoGrad(on bool) { tp.noGrad = on }

// Reset forgets all recorded operations. Buffers handed out since the last
// Reset return to the tape's pool and are reused by later ops, so values and
// gradients of non-parameter Vars from before the Reset must not be used.
func (tp *Tape[T]) Reset() {
	for _, d := range tp.used {
		tp.pool[len(d.Data)] = append(tp.pool[len(d.Data)], d)
	}
	clear(tp.used)
	tp.used = tp.used[:0]
	clear(tp.nodes)
	tp.nodes = tp.nodes[:0]
	if tp.pe != nil {
		clear(tp.pe.ops)
		tp.pe.ops = tp.pe.ops[:0]
	}
}

// alloc returns a zeroed buffer of the given shape, from the pool when possible.
func (tp *Tape[T]) alloc(shape ...int) *tensor.Dense[T] {
	n := 1
	for _, s := range shape {
		n *= s
	}
	var d *tensor.Dense[T]
	if free := tp.pool[n]; len(free) > 0 {
		d = free[len(free)-1]
		tp.pool[n] = free[:len(free)-1]
		d.Shape = append(d.Shape[:0], shape...)
		d.Zero()
	} else {
		d = tensor.New[T](shape...)
	}
	tp.used = append(tp.used, d)
	return d
}

// record makes the output Var of an op over inputs. The output gets a
// gradient (and back is kept) only when recording and some input needs one.
func (tp *Tape[T]) record(out *tensor.Dense[T], back func(), inputs ...*Var[T]) *Var[T] {
	v := &Var[T]{Value: out}
	if tp.noGrad {
		return v
	}
	for _, in := range inputs {
		if in != nil && in.grad {
			v.grad = true
			break
		}
	}
	if !v.grad {
		return v
	}
	v.Grad = tp.alloc(out.Shape...)
	v.back = back
	tp.nodes = append(tp.nodes, v)
	return v
}

// Const wraps x as a value that receives no gradient.
func (tp *Tape[T]) Const(x *tensor.Dense[T]) *Var[T] { return &Var[T]{Value: x} }

// Input wraps x as a leaf that receives a gradient (for input gradients and
// gradient checks). Its Grad is a tape buffer, valid until Reset.
func (tp *Tape[T]) Input(x *tensor.Dense[T]) *Var[T] {
	return &Var[T]{Value: x, Grad: tp.alloc(x.Shape...), grad: true}
}

// Backward seeds d loss = 1 and propagates gradients through every recorded
// op in reverse order, accumulating into parameters' and inputs' Grad. loss
// must hold exactly one element.
func (tp *Tape[T]) Backward(loss *Var[T]) {
	if loss.Value.Len() != 1 {
		panic(fmt.Sprintf("autodiff: Backward: loss has shape %v, want one element", loss.Value.Shape))
	}
	if !loss.grad {
		return
	}
	loss.Grad.Data[0] += 1
	for i := len(tp.nodes) - 1; i >= 0; i-- {
		if b := tp.nodes[i].back; b != nil {
			b()
		}
	}
}
