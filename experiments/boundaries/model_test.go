package boundaries

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/autodiff"
)

func smallConfig() Config {
	return Config{Vocab: 6, Dim: 8, Heads: 2, Down: 1, Mid: 1, Up: 1, Window: 4, UpWindow: 3, Taps: 4, Scale: 1, Rate: 0.25}
}

// forward runs the whole model on one batch and returns the final and
// early logits' values and the gates, with the gater sampled from a fixed
// stream (one draw per byte, so a change at byte t+k cannot shift the
// draws at <= t).
func forward(m *Model[float64], method string, in []int, B, S int, seed uint64) (final, early, gates []float64) {
	tp := autodiff.NewTape[float64]()
	h := m.Down(tp, in, B, S)
	early = append([]float64{}, m.EarlyLogits(tp, h).Value.Data...)
	rng := rand.New(rand.NewPCG(seed, 0))
	switch method {
	case Reinforce:
		gates, _ = Gater{Taps: m.Cfg.Taps, Scale: m.Cfg.Scale, Rate: m.Cfg.Rate}.Sample(m.GateV(tp, h).Value.Data, B, S, rng)
	case StraightTh:
		_, gates = STE(tp, m.STELogits(tp, h), 0.5, B, S, rng)
	default:
		space := make([]bool, m.Cfg.Vocab)
		space[0] = true
		gates = Whitespace(in, space, B, S)
	}
	final = append([]float64{}, m.Rest(tp, h, gates, B, S, nil).Value.Data...)
	return final, early, gates
}

// TestCausal: changing byte t+k changes nothing at positions <= t (logits
// of both heads and the gates), and does change something after, for the
// learned gater, the straight-through gates and the whitespace gates.
func TestCausal(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	cfg := smallConfig()
	m, err := NewModel[float64](cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	// A large gater so that its gates depend visibly on the bytes.
	for i := range m.wGate.Value.Data {
		m.wGate.Value.Data[i] *= 8
	}
	const B, S = 2, 30
	in := make([]int, B*S)
	for i := range in {
		in[i] = rng.IntN(cfg.Vocab)
	}
	V := cfg.Vocab
	for _, c := range []struct {
		method string
		dev    bool
	}{{Reinforce, false}, {StraightTh, false}, {WhiteSpace, false}, {Reinforce, true}} {
		method := c.method
		m.Cfg.Deviation = c.dev
		f0, e0, g0 := forward(m, method, in, B, S, 5)
		for _, pos := range []int{3, 11, 20, 29} {
			alt := append([]int{}, in...)
			alt[S+pos] = (alt[S+pos] + 1 + rng.IntN(V-1)) % V // second sequence
			f1, e1, g1 := forward(m, method, alt, B, S, 5)
			after := false
			for i := 0; i < B*S; i++ {
				t0 := i % S
				same := g0[i] == g1[i]
				for j := 0; j < V; j++ {
					same = same && f0[i*V+j] == f1[i*V+j] && e0[i*V+j] == e1[i*V+j]
				}
				if (i < S || t0 < pos) && !same {
					t.Fatalf("%s: changing byte %d of sequence 1 changed position %d of sequence %d", method, pos, t0, i/S)
				}
				if i >= S && t0 >= pos && !same {
					after = true
				}
			}
			if !after {
				t.Errorf("%s: changing byte %d changed nothing at all", method, pos)
			}
		}
	}
}

// TestModelGradients: central differences against the tape for the whole
// loss (final and early cross-entropy, the score-function surrogate and
// the rate loss for fixed gates, the straight-through scale) in float64.
func TestModelGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	cfg := smallConfig()
	m, err := NewModel[float64](cfg, rng)
	if err != nil {
		t.Fatal(err)
	}
	const B, S = 2, 14 // S > 2 w: the blocked attention path
	in, tgt := make([]int, B*S), make([]int, B*S)
	for i := range in {
		in[i], tgt[i] = rng.IntN(cfg.Vocab), rng.IntN(cfg.Vocab)
	}
	g := Gater{Taps: cfg.Taps, Scale: cfg.Scale, Rate: cfg.Rate}
	tp0 := autodiff.NewTape[float64]()
	gates, logits := g.Sample(m.GateV(tp0, m.Down(tp0, in, B, S)).Value.Data, B, S, rng)
	adv := make([]float64, B*S)
	for i := range adv {
		adv[i] = rng.NormFloat64()
	}
	rateCoef, _ := RateCoef(logits, B, S, 0.3, cfg.Rate)
	noise := randn[float64](rng, 1, B*S, 1)
	for _, c := range []struct{ ste, dev bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		ste := c.ste
		m.Cfg.Deviation = c.dev
		f := func(tp *autodiff.Tape[float64]) *autodiff.Var[float64] {
			h := m.Down(tp, in, B, S)
			var scale *autodiff.Var[float64]
			if ste {
				// A smooth stand-in for the straight-through value: the same
				// path (h rows scaled), differentiable everywhere.
				scale = tp.Sigmoid(tp.Add(m.STELogits(tp, h), tp.Const(noise)))
			}
			loss := tp.Add(tp.Mean(tp.CrossEntropyRows(m.Rest(tp, h, gates, B, S, scale), tgt)),
				tp.Scale(tp.Mean(tp.CrossEntropyRows(m.EarlyLogits(tp, h), tgt)), 0.1))
			lg := Logits(tp, g, m.GateV(tp, h), gates, B, S)
			loss = tp.Add(loss, WeightedSum(tp, LogProb(tp, lg, gates), SurrogateCoef(adv, B, S, 0.5)))
			return tp.Add(loss, WeightedSum(tp, lg, rateCoef))
		}
		// 1e-6: central differences at step 1e-5 in float64 (the core ops'
		// own tolerance).
		if e := autodiff.CheckGrad(f, m.Params(), 1e-5); e > 1e-6 {
			t.Errorf("ste path %v, deviation %v: largest relative error %.3g", ste, c.dev, e)
		}
	}
}

// TestChunks: the chunk rows and each byte's chunk on a hand-made example.
func TestChunks(t *testing.T) {
	gates := []float64{1, 0, 1, 0, 1, 1, 0, 0, 0, 1}
	rows, of, lens := Chunks(gates, 2, 5)
	want := []int{0, 2, 4, 5, 9}
	wantOf := []int{0, 0, 1, 1, 2, 3, 3, 3, 3, 4}
	for i := range want {
		if rows[i] != want[i] {
			t.Fatalf("rows %v, want %v", rows, want)
		}
	}
	for i := range wantOf {
		if of[i] != wantOf[i] {
			t.Fatalf("of %v, want %v", of, wantOf)
		}
	}
	if lens[0] != 3 || lens[1] != 2 {
		t.Errorf("lens %v, want [3 2]", lens)
	}
}

// TestZeroGate: with ZeroGate every logit of the fresh gater is the capped logit(rho)
// whatever the bytes and the earlier gates, and every other weight is the
// one the normal initialisation draws from the same seed.
func TestZeroGate(t *testing.T) {
	cfg := smallConfig()
	zc := cfg
	zc.ZeroGate = true
	m, err := NewModel[float64](cfg, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	z, err := NewModel[float64](zc, rand.New(rand.NewPCG(5, 5)))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range z.Params() {
		if p == z.wGate {
			continue
		}
		for j, v := range p.Value.Data {
			if v != m.Params()[i].Value.Data[j] {
				t.Fatalf("%s[%d] = %g, want %g as in the normal initialisation", p.Name, j, v, m.Params()[i].Value.Data[j])
			}
		}
	}
	const B, S = 2, 20
	rng := rand.New(rand.NewPCG(6, 6))
	in := make([]int, B*S)
	for i := range in {
		in[i] = rng.IntN(cfg.Vocab)
	}
	tp := autodiff.NewTape[float64]()
	g := Gater{Taps: cfg.Taps, Scale: cfg.Scale, Rate: cfg.Rate}
	_, logits := g.Sample(z.GateV(tp, z.Down(tp, in, B, S)).Value.Data, B, S, rng)
	want := 6 * math.Tanh(math.Log(cfg.Rate/(1-cfg.Rate))/6) // the soft cap of logit(rho)
	for i, l := range logits {
		if math.Abs(l-want) > 1e-12 {
			t.Fatalf("logit %d = %g, want 6 tanh(logit(rho)/6) = %g", i, l, want)
		}
	}
}
