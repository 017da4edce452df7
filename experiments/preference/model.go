package preference

import (
	"fmt"
	"math"
	"math/rand/v2"

	ad "github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/tensor"
)

// ModelConfig is the shape of the language model.
type ModelConfig struct {
	Kind   string // "transformer" (the default) or "mlp" (the ablation: an MLP over a fixed window)
	Vocab  int
	D      int // embedding width
	Layers int // transformer blocks (mlp: hidden layers)
	Heads  int // attention heads; D/Heads must be even (RoPE)
	FF     int // MLP hidden width
	Window int // mlp only: how many previous tokens the MLP sees
}

// Model is a causal language model over token ids. Params are its
// parameters, in a fixed order.
type Model struct {
	Cfg    ModelConfig
	Params []*ad.Var[float64]

	emb, out, outB, lnfG, lnfB *ad.Var[float64]
	blocks                     []block
}

type block struct {
	ln1G, ln1B, qkv, wo, bo, ln2G, ln2B, w1, b1, w2, b2 *ad.Var[float64]
}

// Validate reports a configuration the model cannot be built with.
func (c ModelConfig) Validate() error {
	switch {
	case c.Kind != "transformer" && c.Kind != "mlp":
		return fmt.Errorf("preference: model kind %q, want transformer or mlp", c.Kind)
	case c.Vocab < 2 || c.D < 2 || c.Layers < 1 || c.FF < 1:
		return fmt.Errorf("preference: model vocab %d, d %d, layers %d, ff %d: want vocab, d >= 2 and layers, ff >= 1", c.Vocab, c.D, c.Layers, c.FF)
	case c.Kind == "transformer" && (c.Heads < 1 || c.D%c.Heads != 0 || (c.D/c.Heads)%2 != 0):
		return fmt.Errorf("preference: model d %d and heads %d: d must be a multiple of heads with an even head width", c.D, c.Heads)
	case c.Kind == "mlp" && c.Window < 1:
		return fmt.Errorf("preference: mlp window %d, want at least 1", c.Window)
	}
	return nil
}

// NewModel initialises a model from rng: normal weights with standard
// deviation 1/sqrt(fan-in), unit layer-norm gains, zero biases.
func NewModel(cfg ModelConfig, rng *rand.Rand) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Model{Cfg: cfg}
	param := func(name string, std float64, shape ...int) *ad.Var[float64] {
		t := tensor.New[float64](shape...)
		for i := range t.Data {
			t.Data[i] = std * rng.NormFloat64()
		}
		p := ad.NewParam(name, t)
		m.Params = append(m.Params, p)
		return p
	}
	ones := func(name string, n int) *ad.Var[float64] {
		t := tensor.New[float64](n)
		for i := range t.Data {
			t.Data[i] = 1
		}
		p := ad.NewParam(name, t)
		m.Params = append(m.Params, p)
		return p
	}
	d := cfg.D
	m.emb = param("emb", 1, cfg.Vocab, d)
	if cfg.Kind == "mlp" {
		in := cfg.Window * d
		for l := 0; l < cfg.Layers; l++ {
			w := param(fmt.Sprintf("h%d.w", l), 1/math.Sqrt(float64(in)), in, cfg.FF)
			b := param(fmt.Sprintf("h%d.b", l), 0, cfg.FF)
			m.blocks = append(m.blocks, block{w1: w, b1: b})
			in = cfg.FF
		}
		m.out = param("out", 1/math.Sqrt(float64(in)), in, cfg.Vocab)
		m.outB = param("out.b", 0, cfg.Vocab)
		return m, nil
	}
	for l := 0; l < cfg.Layers; l++ {
		p := fmt.Sprintf("b%d.", l)
		var b block
		b.ln1G, b.ln1B = ones(p+"ln1.g", d), param(p+"ln1.b", 0, d)
		b.qkv = param(p+"qkv", 1/math.Sqrt(float64(d)), d, 3*d)
		b.wo, b.bo = param(p+"wo", 1/math.Sqrt(float64(d)), d, d), param(p+"bo", 0, d)
		b.ln2G, b.ln2B = ones(p+"ln2.g", d), param(p+"ln2.b", 0, d)
		b.w1, b.b1 = param(p+"w1", 1/math.Sqrt(float64(d)), d, cfg.FF), param(p+"b1", 0, cfg.FF)
		b.w2, b.b2 = param(p+"w2", 1/math.Sqrt(float64(cfg.FF)), cfg.FF, d), param(p+"b2", 0, d)
		m.blocks = append(m.blocks, b)
	}
	m.lnfG, m.lnfB = ones("lnf.g", d), param("lnf.b", 0, d)
	m.out = param("out", 1/math.Sqrt(float64(d)), d, cfg.Vocab)
	m.outB = param("out.b", 0, cfg.Vocab)
	return m, nil
}

// NumParams is the number of scalar parameters.
func (m *Model) NumParams() int {
	n := 0
	for _, p := range m.Params {
		n += p.Value.Len()
	}
	return n
}

// Clone returns a deep copy (same configuration, copied values, zero
// gradients).
func (m *Model) Clone() *Model {
	c, err := NewModel(m.Cfg, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		panic(err) // m was built from the same, valid, configuration
	}
	c.CopyFrom(m)
	return c
}

// CopyFrom sets m's parameter values to src's.
func (m *Model) CopyFrom(src *Model) {
	for i, p := range m.Params {
		copy(p.Value.Data, src.Params[i].Value.Data)
	}
}

// Forward returns the logits [b*t, vocab] of b sequences of length t
// (tokens row-major, b*t of them): row i*t+j predicts token j+1 of
// sequence i from tokens 0..j.
func (m *Model) Forward(tp *ad.Tape[float64], tokens []int, b, t int) *ad.Var[float64] {
	if len(tokens) != b*t {
		panic(fmt.Sprintf("preference: Forward: %d tokens for %d x %d", len(tokens), b, t))
	}
	if m.Cfg.Kind == "mlp" {
		return m.forwardMLP(tp, tokens, b, t)
	}
	x := tp.Gather(m.emb, tokens)
	d := m.Cfg.D
	opts := ad.AttnOpts{Batch: b, Seq: t, Heads: m.Cfg.Heads, Causal: true, RoPE: true}
	for _, bl := range m.blocks {
		h := tp.LayerNorm(x, bl.ln1G, bl.ln1B, 1e-5)
		qkv := tp.Linear(h, bl.qkv, nil)
		a := tp.Attention(tp.Slice(qkv, 1, 0, d), tp.Slice(qkv, 1, d, 2*d), tp.Slice(qkv, 1, 2*d, 3*d), opts)
		x = tp.Add(x, tp.Linear(a, bl.wo, bl.bo))
		h = tp.LayerNorm(x, bl.ln2G, bl.ln2B, 1e-5)
		x = tp.Add(x, tp.Linear(tp.GELU(tp.Linear(h, bl.w1, bl.b1)), bl.w2, bl.b2))
	}
	return tp.Linear(tp.LayerNorm(x, m.lnfG, m.lnfB, 1e-5), m.out, m.outB)
}

// forwardMLP: position j sees the embeddings of tokens j-Window+1..j
// (EOS before the start), concatenated, through tanh layers.
func (m *Model) forwardMLP(tp *ad.Tape[float64], tokens []int, b, t int) *ad.Var[float64] {
	w := m.Cfg.Window
	parts := make([]*ad.Var[float64], w)
	idx := make([]int, b*t)
	for k := 0; k < w; k++ {
		for i := 0; i < b; i++ {
			for j := 0; j < t; j++ {
				src := j - (w - 1 - k)
				idx[i*t+j] = EOS
				if src >= 0 {
					idx[i*t+j] = tokens[i*t+src]
				}
			}
		}
		parts[k] = tp.Gather(m.emb, idx)
	}
	x := tp.Concat(1, parts...)
	for _, bl := range m.blocks {
		x = tp.Tanh(tp.Linear(x, bl.w1, bl.b1))
	}
	return tp.Linear(x, m.out, m.outB)
}

// pad lays out ragged sequences as a b x t row-major batch padded with EOS.
func pad(seqs [][]int) (tokens []int, b, t int) {
	for _, s := range seqs {
		t = max(t, len(s))
	}
	b = len(seqs)
	tokens = make([]int, b*t)
	for i, s := range seqs {
		copy(tokens[i*t:], s)
	}
	return tokens, b, t
}

// SeqLogProbs returns, for each sequence seqs[i], the sum of
// log p(seqs[i][j] | seqs[i][:j]) over j in [from[i], len(seqs[i])): the
// log-probability of the continuation that starts at from[i] (>= 1). It
// runs without a gradient, in chunks of at most chunk sequences.
func (m *Model) SeqLogProbs(tp *ad.Tape[float64], seqs [][]int, from []int, chunk int) []float64 {
	out := make([]float64, len(seqs))
	tp.NoGrad(true)
	defer tp.NoGrad(false)
	for lo := 0; lo < len(seqs); lo += chunk {
		hi := min(lo+chunk, len(seqs))
		tp.Reset()
		tokens, b, t := pad(seqs[lo:hi])
		logits := m.Forward(tp, tokens, b, t).Value
		v := m.Cfg.Vocab
		for i := 0; i < b; i++ {
			s := seqs[lo+i]
			var sum float64
			for j := from[lo+i]; j < len(s); j++ {
				row := logits.Data[(i*t+j-1)*v : (i*t+j)*v]
				sum += float64(row[s[j]]) - lse(row)
			}
			out[lo+i] = sum
		}
	}
	tp.Reset()
	return out
}

func lse(x []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range x {
		mx = max(mx, v)
	}
	var s float64
	for _, v := range x {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s)
}

// NextDist returns the softmax of the logits after each prefix (every
// prefix non-empty), without a gradient.
func (m *Model) NextDist(tp *ad.Tape[float64], prefixes [][]int) [][]float64 {
	tp.NoGrad(true)
	defer tp.NoGrad(false)
	tp.Reset()
	defer tp.Reset()
	tokens, b, t := pad(prefixes)
	logits := m.Forward(tp, tokens, b, t).Value
	v := m.Cfg.Vocab
	out := make([][]float64, b)
	for i, p := range prefixes {
		row := logits.Data[(i*t+len(p)-1)*v : (i*t+len(p))*v]
		l := lse(row)
		out[i] = make([]float64, v)
		for j, x := range row {
			out[i][j] = math.Exp(x - l)
		}
	}
	return out
}
