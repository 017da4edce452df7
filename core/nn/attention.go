package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/autodiff"
)

// AttnConfig shapes a causal self-attention layer.
type AttnConfig struct {
	Dim, Heads int // model width; Dim must be a multiple of Heads
	Window     int // 0: full causal attention; w > 0: each query sees its w most recent positions, itself included
	RoPE       bool
	RoPEBase   float64 // 0 means 10000
}

// SelfAttention is multi-head causal self-attention: projections Q, K, V and
// O (paths name.q, name.k, name.v, name.o; Dim x Dim with bias) around
// autodiff's Attention (optional sliding window and rotary embeddings).
type SelfAttention[T Float] struct {
	Q, K, V, O *Linear[T]
	Cfg        AttnConfig
}

// Validate reports what is wrong with the configuration, if anything: Dim
// and Heads must be positive with Dim a multiple of Heads, Window not
// negative, and with RoPE the head size Dim/Heads must be even.
func (c AttnConfig) Validate() error {
	switch {
	case c.Dim <= 0 || c.Heads <= 0:
		return fmt.Errorf("nn: attention: dim %d and heads %d must be positive", c.Dim, c.Heads)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("nn: attention: dim %d is not a multiple of heads %d", c.Dim, c.Heads)
	case c.Window < 0:
		return fmt.Errorf("nn: attention: window %d is negative", c.Window)
	case c.RoPE && (c.Dim/c.Heads)%2 != 0:
		return fmt.Errorf("nn: attention: RoPE needs an even head size, dim %d / heads %d = %d", c.Dim, c.Heads, c.Dim/c.Heads)
	case c.RoPEBase < 0:
		return fmt.Errorf("nn: attention: RoPE base %v is negative", c.RoPEBase)
	}
	return nil
}

// NewSelfAttention returns a causal self-attention layer. It panics when
// cfg.Validate fails: check configurations that come from users first.
func NewSelfAttention[T Float](name string, cfg AttnConfig, rng *rand.Rand) *SelfAttention[T] {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("%v (layer %q)", err, name))
	}
	d := cfg.Dim
	return &SelfAttention[T]{
		Q:   NewLinear[T](Path(name, "q"), d, d, true, Glorot, rng),
		K:   NewLinear[T](Path(name, "k"), d, d, true, Glorot, rng),
		V:   NewLinear[T](Path(name, "v"), d, d, true, Glorot, rng),
		O:   NewLinear[T](Path(name, "o"), d, d, true, Glorot, rng),
		Cfg: cfg,
	}
}

// Forward attends over x [batch*seq, Dim], the seq rows of each sequence
// contiguous, and returns the same shape.
func (a *SelfAttention[T]) Forward(tp *autodiff.Tape[T], x *autodiff.Var[T], batch, seq int) *autodiff.Var[T] {
	q, k, v := a.Q.Forward(tp, x), a.K.Forward(tp, x), a.V.Forward(tp, x)
	opts := autodiff.AttnOpts{
		Batch: batch, Seq: seq, Heads: a.Cfg.Heads, Causal: true,
		Window: a.Cfg.Window, RoPE: a.Cfg.RoPE, RoPEBase: a.Cfg.RoPEBase,
	}
	var h *autodiff.Var[T]
	if opts.Window > 0 {
		// On blocks of 2*Window rows: the same values, without a
		// seq x seq score matrix.
		h = tp.WindowAttention(q, k, v, opts)
	} else {
		h = tp.Attention(q, k, v, opts)
	}
	return a.O.Forward(tp, h)
}

// Params implements Module.
func (a *SelfAttention[T]) Params() []*autodiff.Var[T] {
	var ps []*autodiff.Var[T]
	for _, l := range []*Linear[T]{a.Q, a.K, a.V, a.O} {
		ps = append(ps, l.Params()...)
	}
	return ps
}

// BlockConfig shapes a transformer block.
type BlockConfig struct {
	Attn    AttnConfig
	Hidden  int  // width of the feed-forward layer; 0 means 4*Dim
	RMSNorm bool // RMSNorm instead of LayerNorm
}

// Block is a pre-norm transformer block:
//
//	x = x + Attn(Norm1(x)); x = x + MLP(Norm2(x))
//
// with paths name.norm1, name.attn, name.norm2, name.mlp (a Dim-Hidden-Dim
// GELU MLP).
type Block[T Float] struct {
	Norm1, Norm2 Norm[T]
	Attn         *SelfAttention[T]
	MLP          *MLP[T]
}

// Validate reports what is wrong with the configuration, if anything (see
// AttnConfig.Validate; Hidden must not be negative).
func (c BlockConfig) Validate() error {
	if c.Hidden < 0 {
		return fmt.Errorf("nn: block: hidden width %d is negative", c.Hidden)
	}
	return c.Attn.Validate()
}

// NewBlock returns a transformer block. It panics when cfg.Validate fails.
func NewBlock[T Float](name string, cfg BlockConfig, rng *rand.Rand) *Block[T] {
	if err := cfg.Validate(); err != nil {
		panic(fmt.Sprintf("%v (block %q)", err, name))
	}
	d := cfg.Attn.Dim
	hid := cfg.Hidden
	if hid == 0 {
		hid = 4 * d
	}
	norm := func(n string) Norm[T] {
		if cfg.RMSNorm {
			return NewRMSNorm[T](Path(name, n), d)
		}
		return NewLayerNorm[T](Path(name, n), d)
	}
	return &Block[T]{
		Norm1: norm("norm1"),
		Attn:  NewSelfAttention[T](Path(name, "attn"), cfg.Attn, rng),
		Norm2: norm("norm2"),
		MLP:   NewMLP[T](Path(name, "mlp"), []int{d, hid, d}, GELU, rng),
	}
}

// Forward applies the block to x [batch*seq, Dim].
func (b *Block[T]) Forward(tp *autodiff.Tape[T], x *autodiff.Var[T], batch, seq int) *autodiff.Var[T] {
	x = tp.Add(x, b.Attn.Forward(tp, b.Norm1.Forward(tp, x), batch, seq))
	return tp.Add(x, b.MLP.Forward(tp, b.Norm2.Forward(tp, x)))
}

// Params implements Module.
func (b *Block[T]) Params() []*autodiff.Var[T] {
	var ps []*autodiff.Var[T]
	for _, m := range []Module[T]{b.Norm1, b.Attn, b.Norm2, b.MLP} {
		ps = append(ps, m.Params()...)
	}
	return ps
}

var (
	_ Module[float32] = (*Linear[float32])(nil)
	_ Module[float32] = (*MaskedLinear[float32])(nil)
	_ Module[float32] = (*Embedding[float32])(nil)
	_ Norm[float32]   = (*LayerNorm[float32])(nil)
	_ Norm[float32]   = (*RMSNorm[float32])(nil)
	_ Module[float32] = (*MLP[float32])(nil)
	_ Module[float32] = (*SelfAttention[float32])(nil)
	_ Module[float32] = (*Block[float32])(nil)
)
