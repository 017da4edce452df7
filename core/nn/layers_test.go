package nn

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/tensor"
)

// gradTol is the bar for finite-difference checks in float64:
// central differences with step 1e-6 are accurate to ~1e-9 on these smooth
// losses, so 1e-6 leaves room without hiding a wrong gradient (those are
// off by O(1)).
const gradTol = 1e-6

func randDense(rng *rand.Rand, shape ...int) *tensor.Dense[float64] {
	d := tensor.New[float64](shape...)
	for i := range d.Data {
		d.Data[i] = rng.NormFloat64()
	}
	return d
}

// weighted returns sum(out ∘ r) for a fixed random r of out's shape, so that
// every output element reaches the loss with its own weight.
func weighted(tp *autodiff.Tape[float64], out *autodiff.Var[float64], r *tensor.Dense[float64]) *autodiff.Var[float64] {
	return tp.Sum(tp.Mul(out, tp.Const(r)))
}

func TestLayersCheckGrad(t *testing.T) {
	const n, d = 6, 8
	for _, tc := range []struct {
		name string
		// build returns the module and its forward pass on input x.
		build   func(rng *rand.Rand) (Module[float64], func(tp *autodiff.Tape[float64], x *autodiff.Var[float64]) *autodiff.Var[float64])
		outCols int
	}{
		{"linear", func(rng *rand.Rand) (Module[float64], func(*autodiff.Tape[float64], *autodiff.Var[float64]) *autodiff.Var[float64]) {
			l := NewLinear[float64]("lin", d, 5, true, Glorot, rng)
			return l, l.Forward
		}, 5},
		{"linear-nobias", func(rng *rand.Rand) (Module[float64], func(*autodiff.Tape[float64], *autodiff.Var[float64]) *autodiff.Var[float64]) {
			l := NewLinear[float64]("lin", d, 3, false, He, rng)
			return l, l.Forward
		}, 3},
		{"masked-linear", func(rng *rand.Rand) (Module[float64], func(*autodiff.Tape[float64], *autodiff.Var[float64]) *autodiff.Var[float64]) {
			in, hid := MADEDegrees(d, []int{10})
			l := NewMaskedLinear[float64]("made.l0", in, hid[0], false, true, Glorot, rng)
			return l, l.Forward
		}, 10},
		{"layernorm", func(rng *rand.Rand) (Module[float64], func(*autodiff.Tape[float64], *autodiff.Var[float64]) *autodiff.Var[float64]) {
			l := NewLayerNorm[float64]("ln", d)
			perturb(l.Params(), rng) // away from gain 1, bias 0
			return l, l.Forward
		}, d},
		{"rmsnorm", func(rng *rand.Rand) (Module[float64], func(*autodiff.Tape[float64], *autodiff.Var[float64]) *autodiff.Var[float64]) {
			l := NewRMSNorm[float64]("rms", d)
			perturb(l.Params(), rng)
			return l, l.Forward
		}, d},
		{"mlp-relu", func(rng *rand.Rand) (Module[float64], func(*autodiff.Tape[float64], *autodiff.Var[float64]) *autodiff.Var[float64]) {
			m := NewMLP[float64]("mlp", []int{d, 7, 6, 4}, ReLU, rng)
			perturb(m.Params(), rng) // non-zero biases
			return m, m.Forward
		}, 4},
		{"mlp-gelu", func(rng *rand.Rand) (Module[float64], func(*autodiff.Tape[float64], *autodiff.Var[float64]) *autodiff.Var[float64]) {
			m := NewMLP[float64]("mlp", []int{d, 7, 4}, GELU, rng)
			return m, m.Forward
		}, 4},
		{"attention-window-rope", func(rng *rand.Rand) (Module[float64], func(*autodiff.Tape[float64], *autodiff.Var[float64]) *autodiff.Var[float64]) {
			a := NewSelfAttention[float64]("attn", AttnConfig{Dim: d, Heads: 2, Window: 2, RoPE: true}, rng)
			return a, func(tp *autodiff.Tape[float64], x *autodiff.Var[float64]) *autodiff.Var[float64] {
				return a.Forward(tp, x, 2, 3)
			}
		}, d},
		{"block-layernorm", func(rng *rand.Rand) (Module[float64], func(*autodiff.Tape[float64], *autodiff.Var[float64]) *autodiff.Var[float64]) {
			b := NewBlock[float64]("enc.block0", BlockConfig{Attn: AttnConfig{Dim: d, Heads: 2}, Hidden: 12}, rng)
			perturb(b.Params(), rng)
			return b, func(tp *autodiff.Tape[float64], x *autodiff.Var[float64]) *autodiff.Var[float64] {
				return b.Forward(tp, x, 2, 3)
			}
		}, d},
		{"block-rmsnorm-rope-window", func(rng *rand.Rand) (Module[float64], func(*autodiff.Tape[float64], *autodiff.Var[float64]) *autodiff.Var[float64]) {
			b := NewBlock[float64]("enc.block1", BlockConfig{Attn: AttnConfig{Dim: d, Heads: 2, Window: 2, RoPE: true}, RMSNorm: true}, rng)
			return b, func(tp *autodiff.Tape[float64], x *autodiff.Var[float64]) *autodiff.Var[float64] {
				return b.Forward(tp, x, 3, 2)
			}
		}, d},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 5))
			mod, fwd := tc.build(rng)
			x := autodiff.NewParam("x", randDense(rng, n, d))
			r := randDense(rng, n, tc.outCols)
			vars := append([]*autodiff.Var[float64]{x}, mod.Params()...)
			e := autodiff.CheckGrad(func(tp *autodiff.Tape[float64]) *autodiff.Var[float64] {
				return weighted(tp, fwd(tp, x), r)
			}, vars, 1e-6)
			if e > gradTol {
				t.Errorf("max relative gradient error %.3g > %g", e, gradTol)
			}
			// Every parameter must receive some gradient (catches a
			// parameter left out of the forward pass).
			for _, p := range mod.Params() {
				nz := false
				for _, g := range p.Grad.Data {
					nz = nz || g != 0
				}
				if !nz {
					t.Errorf("parameter %s got no gradient", p.Name)
				}
			}
		})
	}
}

func perturb(ps []*autodiff.Var[float64], rng *rand.Rand) {
	for _, p := range ps {
		for i := range p.Value.Data {
			p.Value.Data[i] += 0.3 * rng.NormFloat64()
		}
	}
}

func TestEmbeddingCheckGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	e := NewEmbedding[float64]("tok", 5, 4, rng)
	ids := []int{3, 0, 3, 4} // 3 repeats: its gradient is the sum of two rows
	r := randDense(rng, len(ids), 4)
	f := func(tp *autodiff.Tape[float64]) *autodiff.Var[float64] { return weighted(tp, e.Forward(tp, ids), r) }
	if err := autodiff.CheckGrad(f, e.Params(), 1e-6); err > gradTol {
		t.Errorf("max relative gradient error %.3g", err)
	}
	// closed form: row 3's gradient is r[0]+r[2], row 1's is zero.
	for j := 0; j < 4; j++ {
		if g, want := e.Table.Grad.Data[3*4+j], r.Data[j]+r.Data[2*4+j]; g != want {
			t.Errorf("grad[3][%d] = %v, want %v", j, g, want)
		}
		if g := e.Table.Grad.Data[1*4+j]; g != 0 {
			t.Errorf("grad[1][%d] = %v, want 0", j, g)
		}
	}
}

// TestMADEAutoregressive builds a two-hidden-layer MADE over 5 dimensions
// with 2 outputs per dimension and checks, by perturbing one input at a
// time, that outputs of dimension k are unchanged (bit for bit) by inputs
// k..5 and changed by at least one of inputs 1..k-1.
func TestMADEAutoregressive(t *testing.T) {
	const D, per = 5, 2
	rng := rand.New(rand.NewPCG(9, 9))
	in, hid := MADEDegrees(D, []int{12, 12})
	outDeg := MADEOutputDegrees(D, per)
	l0 := NewMaskedLinear[float64]("made.l0", in, hid[0], false, true, Glorot, rng)
	l1 := NewMaskedLinear[float64]("made.l1", hid[0], hid[1], false, true, Glorot, rng)
	l2 := NewMaskedLinear[float64]("made.l2", hid[1], outDeg, true, true, Glorot, rng)
	for _, l := range []*MaskedLinear[float64]{l0, l1, l2} {
		for i := range l.Weight.Value.Data { // dense weights: only the mask may cut a path
			l.Weight.Value.Data[i] = rng.NormFloat64()
		}
	}
	tp := autodiff.NewTape[float64]()
	tp.NoGrad(true)
	out := func(x []float64) []float64 {
		tp.Reset()
		h := tp.Tanh(l0.Forward(tp, tp.Const(tensor.FromSlice(x, 1, D))))
		h = tp.Tanh(l1.Forward(tp, h))
		return append([]float64(nil), l2.Forward(tp, h).Value.Data...)
	}
	x0 := []float64{0.3, -0.7, 1.1, 0.2, -0.4}
	base := out(x0)
	dependsOnEarlier := make([]bool, D*per)
	for i := 0; i < D; i++ {
		x := append([]float64(nil), x0...)
		x[i] += 1
		got := out(x)
		for j := range got {
			k := outDeg[j] // output j models dimension k (1-based); input i is dimension i+1
			if i+1 >= k && got[j] != base[j] {
				t.Errorf("output %d (dimension %d) changed with input %d", j, k, i+1)
			}
			if i+1 < k && got[j] != base[j] {
				dependsOnEarlier[j] = true
			}
		}
	}
	for j, dep := range dependsOnEarlier {
		if outDeg[j] > 1 && !dep {
			t.Errorf("output %d (dimension %d) depends on no earlier input", j, outDeg[j])
		}
	}
}

func TestParamPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	b := NewBlock[float32]("enc.block0", BlockConfig{Attn: AttnConfig{Dim: 4, Heads: 2}}, rng)
	var names []string
	for _, p := range b.Params() {
		names = append(names, p.Name)
	}
	want := "enc.block0.norm1.weight enc.block0.norm1.bias " +
		"enc.block0.attn.q.weight enc.block0.attn.q.bias enc.block0.attn.k.weight enc.block0.attn.k.bias " +
		"enc.block0.attn.v.weight enc.block0.attn.v.bias enc.block0.attn.o.weight enc.block0.attn.o.bias " +
		"enc.block0.norm2.weight enc.block0.norm2.bias " +
		"enc.block0.mlp.l0.weight enc.block0.mlp.l0.bias enc.block0.mlp.l1.weight enc.block0.mlp.l1.bias"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("paths\n got %s\nwant %s", got, want)
	}
	if got := b.MLP.Layers[0].Weight.Value.Shape; got[0] != 4 || got[1] != 16 {
		t.Errorf("default hidden width: weight shape %v, want [4 16]", got)
	}
	emb := NewEmbedding[float32]("tok", 3, 4, rng)
	if _, err := Collect[float32](b, emb); err != nil {
		t.Errorf("collect: %v", err)
	}
	if _, err := Collect[float32](b, b); err == nil || !strings.Contains(err.Error(), "enc.block0.norm1.weight") {
		t.Errorf("collect of a module twice: err %v, want a duplicate-name error", err)
	}
}

// TestSaveLoadVars saves a block, loads it into a block initialised from
// another seed and checks the two compute the same output.
func TestSaveLoadVars(t *testing.T) {
	cfg := BlockConfig{Attn: AttnConfig{Dim: 8, Heads: 2, Window: 3, RoPE: true}}
	a := NewBlock[float32]("enc.block0", cfg, rand.New(rand.NewPCG(1, 1)))
	b := NewBlock[float32]("enc.block0", cfg, rand.New(rand.NewPCG(2, 2)))
	perturbF32(a.Params())
	var buf bytes.Buffer
	if err := SaveVars(&buf, a.Params(), map[string]string{"model": "block"}); err != nil {
		t.Fatal(err)
	}
	meta, err := LoadVars(buf.Bytes(), b.Params())
	if err != nil {
		t.Fatal(err)
	}
	if meta["model"] != "block" {
		t.Errorf("metadata %v", meta)
	}
	x := tensor.New[float32](2*4, 8)
	for i := range x.Data {
		x.Data[i] = float32(i%7) - 3
	}
	run := func(m *Block[float32]) []float32 {
		tp := autodiff.NewTape[float32]()
		return m.Forward(tp, tp.Const(x), 2, 4).Value.Data
	}
	ya, yb := run(a), run(b)
	for i := range ya {
		if ya[i] != yb[i] {
			t.Fatalf("output %d: %v after load, want %v", i, yb[i], ya[i])
		}
	}

	// A model with another shape or other names is refused, naming the tensors.
	c := NewBlock[float32]("enc.block0", BlockConfig{Attn: AttnConfig{Dim: 8, Heads: 2}, Hidden: 16}, rand.New(rand.NewPCG(3, 3)))
	if _, err := LoadVars(buf.Bytes(), c.Params()); err == nil || !strings.Contains(err.Error(), "enc.block0.mlp.l0.weight (file [8 32], model [8 16])") {
		t.Errorf("shape mismatch: err %v", err)
	}
	d := NewBlock[float32]("enc.block1", cfg, rand.New(rand.NewPCG(3, 3)))
	if _, err := LoadVars(buf.Bytes(), d.Params()); err == nil || !strings.Contains(err.Error(), "missing from the file: enc.block1.") || !strings.Contains(err.Error(), "not in the model: enc.block0.") {
		t.Errorf("name mismatch: err %v", err)
	}
	if _, err := LoadVars(buf.Bytes()[:20], d.Params()); err == nil {
		t.Error("truncated file accepted")
	}
}

func perturbF32(ps []*autodiff.Var[float32]) {
	for _, p := range ps {
		for i := range p.Value.Data {
			p.Value.Data[i] += float32(i%5) * 0.01
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		cfg  BlockConfig
		want string // "" for a valid configuration
	}{
		{BlockConfig{Attn: AttnConfig{Dim: 8, Heads: 2, RoPE: true, Window: 4}}, ""},
		{BlockConfig{Attn: AttnConfig{Dim: 0, Heads: 2}}, "must be positive"},
		{BlockConfig{Attn: AttnConfig{Dim: 8, Heads: 3}}, "not a multiple of heads 3"},
		{BlockConfig{Attn: AttnConfig{Dim: 6, Heads: 2, RoPE: true}}, "even head size"},
		{BlockConfig{Attn: AttnConfig{Dim: 8, Heads: 2, Window: -1}}, "window -1"},
		{BlockConfig{Attn: AttnConfig{Dim: 8, Heads: 2}, Hidden: -4}, "hidden width -4"},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: err %v, want %q", tc.cfg, err, tc.want)
		}
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), `block "b"`) {
			t.Errorf("NewBlock with a bad config: panic %v", r)
		}
	}()
	NewBlock[float32]("b", BlockConfig{Attn: AttnConfig{Dim: 8, Heads: 3}}, rand.New(rand.NewPCG(1, 1)))
}
