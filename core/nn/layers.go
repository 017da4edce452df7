package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/tensor"
)

// Module is anything that owns parameters: a layer or a model.
type Module[T Float] interface {
	// Params lists the module's parameters, each named by dotted path.
	Params() []*autodiff.Var[T]
}

// newVar makes a named autodiff parameter of the given shape, initialised
// with scheme (Init) from rng.
func newVar[T Float](name string, scheme Init, rng *rand.Rand, shape ...int) *autodiff.Var[T] {
	p := NewParam[T](name, shape...)
	Fill(p, scheme, rng)
	return autodiff.NewParam(name, p.Dense())
}

// ones makes a named parameter filled with 1 (norm gains).
func ones[T Float](name string, n int) *autodiff.Var[T] {
	p := NewParam[T](name, n)
	for i := range p.Data {
		p.Data[i] = 1
	}
	return autodiff.NewParam(name, p.Dense())
}

// Collect concatenates the parameters of modules and checks that their names
// are unique and not empty.
func Collect[T Float](mods ...Module[T]) ([]*autodiff.Var[T], error) {
	var out []*autodiff.Var[T]
	seen := map[string]bool{}
	for _, m := range mods {
		for _, p := range m.Params() {
			if p.Name == "" {
				return nil, fmt.Errorf("nn: collect: parameter with empty name (shape %v)", p.Value.Shape)
			}
			if seen[p.Name] {
				return nil, fmt.Errorf("nn: collect: duplicate parameter name %q", p.Name)
			}
			seen[p.Name] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// Activation is an elementwise nonlinearity between layers.
type Activation int

const (
	ReLU Activation = iota
	GELU
	Tanh
	Identity
)

func activate[T Float](tp *autodiff.Tape[T], a Activation, x *autodiff.Var[T]) *autodiff.Var[T] {
	switch a {
	case ReLU:
		return tp.ReLU(x)
	case GELU:
		return tp.GELU(x)
	case Tanh:
		return tp.Tanh(x)
	case Identity:
		return x
	}
	panic(fmt.Sprintf("nn: unknown activation %d", a))
}

// ---- Linear ----

// Linear is y = x·Weight + Bias for x [n, in]: Weight [in, out] (path
// name.weight), Bias [out] (name.bias) or nil.
type Linear[T Float] struct {
	Weight, Bias *autodiff.Var[T]
}

// NewLinear returns a Linear layer whose weight is drawn with init from rng
// and whose bias, if any, is zero.
func NewLinear[T Float](name string, in, out int, bias bool, init Init, rng *rand.Rand) *Linear[T] {
	l := &Linear[T]{Weight: newVar[T](Path(name, "weight"), init, rng, in, out)}
	if bias {
		l.Bias = newVar[T](Path(name, "bias"), Zeros, rng, out)
	}
	return l
}

// Forward returns x·Weight + Bias.
func (l *Linear[T]) Forward(tp *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	return tp.Linear(x, l.Weight, l.Bias)
}

// Params implements Module.
func (l *Linear[T]) Params() []*autodiff.Var[T] {
	if l.Bias == nil {
		return []*autodiff.Var[T]{l.Weight}
	}
	return []*autodiff.Var[T]{l.Weight, l.Bias}
}

// ---- MaskedLinear (MADE) ----

// MaskedLinear is a Linear layer whose weight is multiplied elementwise by a
// fixed 0/1 mask before use, as in MADE (Germain et al., 2015): the masks
// follow from degrees given to the units, so that output d depends only on
// inputs 1..d-1.
type MaskedLinear[T Float] struct {
	Linear[T]
	Mask *tensor.Dense[T] // [in, out], 1 where the connection exists
}

// NewMaskedLinear returns a masked layer from the degrees of its inputs and
// outputs: a hidden layer (output false) connects input i to unit j when
// degOut[j] >= degIn[i]; an output layer (output true) when degOut[j] >
// degIn[i]. Masked weights are stored as zero.
func NewMaskedLinear[T Float](name string, degIn, degOut []int, output, bias bool, init Init, rng *rand.Rand) *MaskedLinear[T] {
	in, out := len(degIn), len(degOut)
	l := &MaskedLinear[T]{Linear: *NewLinear[T](name, in, out, bias, init, rng), Mask: tensor.New[T](in, out)}
	for i, di := range degIn {
		for j, dj := range degOut {
			if dj > di || (!output && dj == di) {
				l.Mask.Data[i*out+j] = 1
			}
		}
	}
	tensor.MulTo(l.Weight.Value, l.Weight.Value, l.Mask)
	return l
}

// Forward returns x·(Weight∘Mask) + Bias.
func (l *MaskedLinear[T]) Forward(tp *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	return tp.Linear(x, tp.Mul(l.Weight, tp.Const(l.Mask)), l.Bias)
}

// MADEDegrees returns the degrees of a MADE network over d inputs in their
// natural order: inputs 1..d, then each hidden layer's units cycling through
// 1..d-1 (all 0 when d is 1, so that no input reaches them).
func MADEDegrees(d int, hidden []int) (in []int, hid [][]int) {
	in = make([]int, d)
	for i := range in {
		in[i] = i + 1
	}
	for _, h := range hidden {
		deg := make([]int, h)
		for k := range deg {
			if d > 1 {
				deg[k] = k%(d-1) + 1
			}
		}
		hid = append(hid, deg)
	}
	return in, hid
}

// MADEOutputDegrees returns the degrees of an output layer with per units for
// each of d dimensions, laid out as [d, per]: unit j models dimension j/per+1.
func MADEOutputDegrees(d, per int) []int {
	deg := make([]int, d*per)
	for j := range deg {
		deg[j] = j/per + 1
	}
	return deg
}

// ---- Embedding ----

// Embedding maps token ids to rows of Table [vocab, dim] (path name.weight),
// drawn from N(0, 0.02²).
type Embedding[T Float] struct {
	Table *autodiff.Var[T]
}

// NewEmbedding returns an embedding table.
func NewEmbedding[T Float](name string, vocab, dim int, rng *rand.Rand) *Embedding[T] {
	return &Embedding[T]{Table: newVar[T](Path(name, "weight"), Normal, rng, vocab, dim)}
}

// Forward returns the rows of ids, [len(ids), dim]. An id outside [0, vocab)
// is an error in the caller and panics.
func (e *Embedding[T]) Forward(tp *autodiff.Tape[T], ids []int) *autodiff.Var[T] {
	return tp.Gather(e.Table, ids)
}

// Params implements Module.
func (e *Embedding[T]) Params() []*autodiff.Var[T] { return []*autodiff.Var[T]{e.Table} }

// ---- norms ----

// Norm is a normalisation layer over the last axis.
type Norm[T Float] interface {
	Module[T]
	Forward(tp *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T]
}

// LayerNorm normalises over the last axis, then scales by Gain (name.weight,
// ones) and shifts by Bias (name.bias, zeros). Eps is added to the variance.
type LayerNorm[T Float] struct {
	Gain, Bias *autodiff.Var[T]
	Eps        T
}

// NewLayerNorm returns a layer norm over dim features with eps 1e-5.
func NewLayerNorm[T Float](name string, dim int) *LayerNorm[T] {
	return &LayerNorm[T]{Gain: ones[T](Path(name, "weight"), dim), Bias: newVar[T](Path(name, "bias"), Zeros, nil, dim), Eps: 1e-5}
}

// Forward implements Norm.
func (l *LayerNorm[T]) Forward(tp *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	return tp.LayerNorm(x, l.Gain, l.Bias, l.Eps)
}

// Params implements Module.
func (l *LayerNorm[T]) Params() []*autodiff.Var[T] { return []*autodiff.Var[T]{l.Gain, l.Bias} }

// RMSNorm divides by the root mean square of the last axis and scales by Gain
// (name.weight, ones). Eps is added to the mean square.
type RMSNorm[T Float] struct {
	Gain *autodiff.Var[T]
	Eps  T
}

// NewRMSNorm returns an RMS norm over dim features with eps 1e-5.
func NewRMSNorm[T Float](name string, dim int) *RMSNorm[T] {
	return &RMSNorm[T]{Gain: ones[T](Path(name, "weight"), dim), Eps: 1e-5}
}

// Forward implements Norm.
func (l *RMSNorm[T]) Forward(tp *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	return tp.RMSNorm(x, l.Gain, l.Eps)
}

// Params implements Module.
func (l *RMSNorm[T]) Params() []*autodiff.Var[T] { return []*autodiff.Var[T]{l.Gain} }

// ---- MLP ----

// MLP is a stack of Linear layers (paths name.l0, name.l1, ...) with Act
// between them and none after the last.
type MLP[T Float] struct {
	Layers []*Linear[T]
	Act    Activation
}

// NewMLP returns an MLP with the given layer sizes (inputs first, at least
// two sizes). Hidden layers are initialised with He for ReLU and GELU and
// with Glorot otherwise; the output layer with Glorot. Biases start at zero.
func NewMLP[T Float](name string, sizes []int, act Activation, rng *rand.Rand) *MLP[T] {
	if len(sizes) < 2 {
		panic(fmt.Sprintf("nn: MLP %q: needs at least 2 sizes, got %v", name, sizes))
	}
	m := &MLP[T]{Act: act}
	for i := 0; i+1 < len(sizes); i++ {
		init := Glorot
		if i+2 < len(sizes) && (act == ReLU || act == GELU) {
			init = He
		}
		m.Layers = append(m.Layers, NewLinear[T](Path(name, fmt.Sprintf("l%d", i)), sizes[i], sizes[i+1], true, init, rng))
	}
	return m
}

// Forward returns the MLP's output for x [n, sizes[0]].
func (m *MLP[T]) Forward(tp *autodiff.Tape[T], x *autodiff.Var[T]) *autodiff.Var[T] {
	for i, l := range m.Layers {
		if i > 0 {
			x = activate(tp, m.Act, x)
		}
		x = l.Forward(tp, x)
	}
	return x
}

// Params implements Module.
func (m *MLP[T]) Params() []*autodiff.Var[T] {
	var ps []*autodiff.Var[T]
	for _, l := range m.Layers {
		ps = append(ps, l.Params()...)
	}
	return ps
}
