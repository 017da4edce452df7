package boundaries

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/tensor"
)

// Config sizes the hourglass model and its gater.
type Config struct {
	Vocab         int // symbols (bytes mapped to a compact alphabet)
	Dim, Heads    int
	Down, Mid, Up int     // blocks in each stage
	Window        int     // the down layers' sliding attention window, in bytes
	UpWindow      int     // the up layers' window; 0 makes them pointwise (MLP only)
	Taps          int     // W: the gater's taps (the last W-1 gates and a bias)
	Scale         float64 // s: the gater's scale
	Rate          float64 // rho: the target boundary rate (the gater's prior logit)
	// Deviation: each byte receives its chunk's change through the middle
	// layers (output minus input) rather than the chunk's output.
	Deviation bool
	// ZeroGate starts the gater's weights at 0 (the policy Bernoulli(rho) at
	// every byte) instead of normal with sd 1/sqrt(Dim).
	ZeroGate bool
}

// Validate reports the first bad size.
func (c Config) Validate() error {
	switch {
	case c.Dim < 2 || c.Heads < 1 || c.Dim%c.Heads != 0 || (c.Dim/c.Heads)%2 != 0:
		return fmt.Errorf("boundaries: dim %d and heads %d: want dim a multiple of heads with an even head size", c.Dim, c.Heads)
	case c.Down < 1 || c.Mid < 0 || c.Up < 0:
		return fmt.Errorf("boundaries: blocks down %d, mid %d, up %d: want down >= 1, mid, up >= 0", c.Down, c.Mid, c.Up)
	case c.Window < 1 || c.UpWindow < 0:
		return fmt.Errorf("boundaries: window %d, up window %d: want >= 1 and >= 0", c.Window, c.UpWindow)
	case c.Vocab < 2 || c.Vocab > 256:
		return fmt.Errorf("boundaries: vocabulary %d, want 2..256", c.Vocab)
	case c.Taps < 1:
		return fmt.Errorf("boundaries: taps %d, want >= 1", c.Taps)
	case !(c.Rate > 0 && c.Rate < 1):
		return fmt.Errorf("boundaries: rate %v, want (0, 1)", c.Rate)
	}
	return nil
}

type block[T tensor.Float] struct {
	attn        bool
	n1, qkv, wo *autodiff.Var[T]
	n2, w1, b1  *autodiff.Var[T]
	w2, b2      *autodiff.Var[T]
}

// Model is the hourglass language model with its boundary heads.
type Model[T tensor.Float] struct {
	Cfg             Config
	emb             *autodiff.Var[T]
	down, mid, up   []*block[T]
	nEarly, wEarly  *autodiff.Var[T]
	bEarly          *autodiff.Var[T]
	nFinal, wFinal  *autodiff.Var[T]
	bFinal          *autodiff.Var[T]
	wGate, bGate    *autodiff.Var[T] // the REINFORCE gater: V_t = h_t wGate + bGate, [Taps]
	wSTE, bSTE      *autodiff.Var[T] // the straight-through boundary logit
	params, gateSet []*autodiff.Var[T]
}

func randn[T tensor.Float](rng *rand.Rand, sd float64, shape ...int) *tensor.Dense[T] {
	d := tensor.New[T](shape...)
	for i := range d.Data {
		d.Data[i] = T(rng.NormFloat64() * sd)
	}
	return d
}

func ones[T tensor.Float](n int) *tensor.Dense[T] {
	d := tensor.New[T](n)
	for i := range d.Data {
		d.Data[i] = 1
	}
	return d
}

// NewModel initialises a model from rng.
func NewModel[T tensor.Float](c Config, rng *rand.Rand) (*Model[T], error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	d := c.Dim
	m := &Model[T]{Cfg: c}
	p := func(name string, v *tensor.Dense[T]) *autodiff.Var[T] {
		x := autodiff.NewParam(name, v)
		m.params = append(m.params, x)
		return x
	}
	sd := 1 / math.Sqrt(float64(d))
	m.emb = p("emb", randn[T](rng, 1, c.Vocab, d))
	mk := func(stage string, n int, attn bool) []*block[T] {
		var bs []*block[T]
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("%s%d.", stage, i)
			b := &block[T]{attn: attn}
			if attn {
				b.n1 = p(name+"n1", ones[T](d))
				b.qkv = p(name+"qkv", randn[T](rng, sd, d, 3*d))
				b.wo = p(name+"wo", randn[T](rng, sd/math.Sqrt(2*float64(n)), d, d))
			}
			b.n2 = p(name+"n2", ones[T](d))
			b.w1 = p(name+"w1", randn[T](rng, sd, d, 2*d))
			b.b1 = p(name+"b1", tensor.New[T](2*d))
			b.w2 = p(name+"w2", randn[T](rng, 1/math.Sqrt(2*float64(d))/math.Sqrt(2*float64(n)), 2*d, d))
			b.b2 = p(name+"b2", tensor.New[T](d))
			bs = append(bs, b)
		}
		return bs
	}
	m.down = mk("down", c.Down, true)
	m.mid = mk("mid", c.Mid, true)
	m.up = mk("up", c.Up, c.UpWindow > 0)
	m.nEarly = p("early.n", ones[T](d))
	m.wEarly = p("early.w", randn[T](rng, sd, d, c.Vocab))
	m.bEarly = p("early.b", tensor.New[T](c.Vocab))
	m.nFinal = p("final.n", ones[T](d))
	m.wFinal = p("final.w", randn[T](rng, sd, d, c.Vocab))
	m.bFinal = p("final.b", tensor.New[T](c.Vocab))
	m.wGate = p("gate.w", randn[T](rng, sd, d, c.Taps))
	m.bGate = p("gate.b", tensor.New[T](c.Taps))
	if c.ZeroGate {
		// Drawn and then cleared, so that every other weight is initialised
		// as with the normal gater.
		clear(m.wGate.Value.Data)
	}
	m.wSTE = p("ste.w", randn[T](rng, sd, d, 1))
	m.bSTE = p("ste.b", tensor.New[T](1))
	m.gateSet = []*autodiff.Var[T]{m.wGate, m.bGate, m.wSTE, m.bSTE}
	return m, nil
}

// Params returns every parameter.
func (m *Model[T]) Params() []*autodiff.Var[T] { return m.params }

// GateParams returns the gater's and the straight-through head's parameters.
func (m *Model[T]) GateParams() []*autodiff.Var[T] { return m.gateSet }

// NumParams counts the parameters with the REINFORCE gater and without
// the straight-through head (the two are alternatives; the head is the
// smaller by taps*dim + taps - dim - 1).
func (m *Model[T]) NumParams() int {
	n := 0
	for _, p := range m.params {
		n += len(p.Value.Data)
	}
	return n - len(m.wSTE.Value.Data) - len(m.bSTE.Value.Data)
}

func (m *Model[T]) run(tp *autodiff.Tape[T], b *block[T], x *autodiff.Var[T], attn func(q, k, v *autodiff.Var[T]) *autodiff.Var[T]) *autodiff.Var[T] {
	d := m.Cfg.Dim
	if b.attn {
		qkv := tp.Linear(tp.RMSNorm(x, b.n1, 1e-5), b.qkv, nil)
		q, k, v := tp.Slice(qkv, 1, 0, d), tp.Slice(qkv, 1, d, 2*d), tp.Slice(qkv, 1, 2*d, 3*d)
		x = tp.Add(x, tp.Linear(attn(q, k, v), b.wo, nil))
	}
	h := tp.ReLU(tp.Linear(tp.RMSNorm(x, b.n2, 1e-5), b.w1, b.b1))
	return tp.Add(x, tp.Linear(h, b.w2, b.b2))
}

// Down embeds the B x T tokens (row-major) and runs the down layers: the
// encoder output h, [B*T, Dim].
func (m *Model[T]) Down(tp *autodiff.Tape[T], tokens []int, B, S int) *autodiff.Var[T] {
	x := tp.Gather(m.emb, tokens)
	for _, b := range m.down {
		x = m.run(tp, b, x, func(q, k, v *autodiff.Var[T]) *autodiff.Var[T] {
			return windowAttention(tp, q, k, v, B, S, m.Cfg.Heads, m.Cfg.Window)
		})
	}
	return x
}

// EarlyLogits is the early-exit head on the down layers' output.
func (m *Model[T]) EarlyLogits(tp *autodiff.Tape[T], h *autodiff.Var[T]) *autodiff.Var[T] {
	return tp.Linear(tp.RMSNorm(h, m.nEarly, 1e-5), m.wEarly, m.bEarly)
}

// GateV is the gater's per-byte vector V_t, [B*T, Taps].
func (m *Model[T]) GateV(tp *autodiff.Tape[T], h *autodiff.Var[T]) *autodiff.Var[T] {
	return tp.Linear(h, m.wGate, m.bGate)
}

// STELogits is the straight-through estimator's boundary logit, [B*T, 1],
// offset by logit(rho) so that it starts near the target rate.
func (m *Model[T]) STELogits(tp *autodiff.Tape[T], h *autodiff.Var[T]) *autodiff.Var[T] {
	return tp.AddScalar(tp.Linear(h, m.wSTE, m.bSTE), T(logit(m.Cfg.Rate)))
}

// Chunks lists, from B x T gates, the rows of h that end a token (in order)
// and, for every byte, the chunk whose output it receives: the last chunk
// ending at or before it, in the same sequence. lens are the chunks per
// sequence. The first gate of each sequence must be on.
func Chunks(gates []float64, B, T int) (rows, of, lens []int) {
	of = make([]int, B*T)
	lens = make([]int, B)
	for b := 0; b < B; b++ {
		if gates[b*T] == 0 {
			panic(fmt.Sprintf("boundaries: sequence %d does not start a chunk at byte 0", b))
		}
		for t := 0; t < T; t++ {
			if gates[b*T+t] != 0 {
				rows = append(rows, b*T+t)
				lens[b]++
			}
			of[b*T+t] = len(rows) - 1
		}
	}
	return rows, of, lens
}

// Rest runs the model from the encoder output h and the gates to the
// next-symbol logits [B*T, Vocab]: every byte adds to its h the output of
// its chunk (or, with Cfg.Deviation, that output minus the chunk's input). scale, when not nil ([B*T, 1], value 1 at
// every boundary), multiplies the rows of h picked as chunks: the
// straight-through path by which the boundaries receive a gradient.
func (m *Model[T]) Rest(tp *autodiff.Tape[T], h *autodiff.Var[T], gates []float64, B, S int, scale *autodiff.Var[T]) *autodiff.Var[T] {
	rows, of, lens := Chunks(gates, B, S)
	src := h
	if scale != nil {
		src = tp.Mul(h, scale)
	}
	c0 := tp.SelectRows(src, rows)
	c := c0
	for _, b := range m.mid {
		c = m.run(tp, b, c, func(q, k, v *autodiff.Var[T]) *autodiff.Var[T] {
			var outs []*autodiff.Var[T]
			at := 0
			for _, n := range lens {
				outs = append(outs, tp.Attention(tp.Slice(q, 0, at, at+n), tp.Slice(k, 0, at, at+n), tp.Slice(v, 0, at, at+n),
					autodiff.AttnOpts{Batch: 1, Seq: n, Heads: m.Cfg.Heads, Causal: true, RoPE: true}))
				at += n
			}
			if len(outs) == 1 {
				return outs[0]
			}
			return tp.Concat(0, outs...)
		})
	}
	if m.Cfg.Deviation {
		c = tp.Sub(c, c0)
	}
	x := tp.Add(h, tp.SelectRows(c, of))
	for _, b := range m.up {
		x = m.run(tp, b, x, func(q, k, v *autodiff.Var[T]) *autodiff.Var[T] {
			return windowAttention(tp, q, k, v, B, S, m.Cfg.Heads, m.Cfg.UpWindow)
		})
	}
	return tp.Linear(tp.RMSNorm(x, m.nFinal, 1e-5), m.wFinal, m.bFinal)
}

func logit(p float64) float64 { return math.Log(p) - math.Log1p(-p) }

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// windowAttention is causal sliding-window attention with RoPE (a window of
// w keys, the query's own included), computed on blocks of 2w rows.
func windowAttention[T tensor.Float](tp *autodiff.Tape[T], q, k, v *autodiff.Var[T], B, S, heads, w int) *autodiff.Var[T] {
	return tp.WindowAttention(q, k, v, autodiff.AttnOpts{Batch: B, Seq: S, Heads: heads, Causal: true, Window: w, RoPE: true})
}
