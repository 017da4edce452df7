package boundaries

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/data"
	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/tensor"
)

// Discount is what the study needs of a variance reducer: B x T rewards in,
// advantages out (core/plugin.DiscountPlugin implements it over WASM).
type Discount = plugin.Discount

// The boundary methods.
const (
	Reinforce  = "reinforce"  // the learned gater, score-function estimator
	StraightTh = "ste"        // Gumbel-sigmoid straight-through, binomial prior
	FixedStr   = "stride"     // every round(1/rate)-th byte
	UniformRnd = "uniform"    // Bernoulli(rate) per byte
	WhiteSpace = "whitespace" // every whitespace byte (the oracle)
)

// Methods lists the boundary methods.
var Methods = []string{Reinforce, StraightTh, FixedStr, UniformRnd, WhiteSpace}

// Learned reports whether a method trains its boundaries.
func Learned(method string) bool { return method == Reinforce || method == StraightTh }

// Objective says how the boundaries are trained.
type Objective struct {
	Method      string
	Rate        float64 // rho
	Reward      string  // "early-exit" (r = CE_early - CE_final) or "plain" (r = -CE_final)
	GateWeight  float64 // lambda_g of the surrogate
	RateWeight  float64 // lambda_r; 0 turns the rate loss off
	EarlyWeight float64 // the early-exit head's loss weight
	Tau         float64 // the straight-through temperature
	PriorWeight float64 // the binomial prior's weight
	// EntropyWeight is lambda_H of the entropy bonus on the gater's policy
	// (reinforce), decaying linearly from the first step to 0 at Steps.
	EntropyWeight float64
	Steps         int
}

// Trainer computes a training step's gradients for a model.
type Trainer[T tensor.Float] struct {
	M     *Model[T]
	Obj   Objective
	Disc  Discount // needed by reinforce
	Alpha *data.Alphabet
	tp    *autodiff.Tape[T]
}

// Stats are a step's numbers.
type Stats struct {
	Final, Early float64 // mean cross-entropies, nats per byte
	Rate         float64 // fraction of free bytes with a boundary
	MeanP        float64 // the gater's mean probability (reinforce) or 0
	Prior        float64 // the binomial prior's loss (ste) or 0
	// Where the batch's sampled boundaries fell: the fraction of
	// whitespace bytes with a boundary, and the fractions of boundaries
	// (after a first whitespace) at offsets 0 and 1 from the last whitespace.
	Recall, Offset0, Offset1 float64
}

// NewTrainer returns a trainer over its own tape.
func NewTrainer[T tensor.Float](m *Model[T], obj Objective, disc Discount, alpha *data.Alphabet) *Trainer[T] {
	return &Trainer[T]{M: m, Obj: obj, Disc: disc, Alpha: alpha, tp: autodiff.NewTape[T]()}
}

func (tr *Trainer[T]) gater() Gater {
	c := tr.M.Cfg
	return Gater{Taps: c.Taps, Scale: c.Scale, Rate: c.Rate}
}

func floats[T tensor.Float](x []T) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// gates returns the method's boundaries for a batch, sampled without a
// gradient path (evaluation, and the fixed schemes in training); h is the
// encoder output.
func (tr *Trainer[T]) gates(tp *autodiff.Tape[T], h *autodiff.Var[T], in []int, B, S int, rng *rand.Rand) ([]float64, error) {
	switch tr.Obj.Method {
	case Reinforce:
		g, _ := tr.gater().Sample(floats(tr.M.GateV(tp, h).Value.Data), B, S, rng)
		return g, nil
	case StraightTh:
		l := tr.M.STELogits(tp, h)
		g := make([]float64, B*S)
		for i := range g {
			if Forced(i%S, S) || rng.Float64() < sigmoid(float64(l.Value.Data[i])) {
				g[i] = 1
			}
		}
		return g, nil
	case FixedStr:
		return Stride(B, S, max(1, int(math.Round(1/tr.Obj.Rate)))), nil
	case UniformRnd:
		return Uniform(B, S, tr.Obj.Rate, rng), nil
	case WhiteSpace:
		return Whitespace(in, tr.Alpha.Space, B, S), nil
	}
	return nil, fmt.Errorf("boundaries: unknown method %q", tr.Obj.Method)
}

// Step records the loss of one batch (in and tgt B x S bytes, row-major)
// and leaves its gradients in the parameters (zeroed first).
func (tr *Trainer[T]) Step(ctx context.Context, in, tgt []int, B, S int, step int64, rng *rand.Rand) (Stats, error) {
	tp, m, o := tr.tp, tr.M, tr.Obj
	tp.Reset()
	tp.NoGrad(false)
	autodiff.ZeroGrads(m.Params())
	h := m.Down(tp, in, B, S)
	early := tp.CrossEntropyRows(m.EarlyLogits(tp, h), tgt)
	var (
		st    Stats
		gates []float64
		lvals []float64
		v     *autodiff.Var[T]
		scale *autodiff.Var[T]
		err   error
	)
	switch o.Method {
	case Reinforce:
		v = m.GateV(tp, h)
		gates, lvals = tr.gater().Sample(floats(v.Value.Data), B, S, rng)
	case StraightTh:
		scale, gates = STE(tp, m.STELogits(tp, h), o.Tau, B, S, rng)
	default:
		if gates, err = tr.gates(tp, h, in, B, S, rng); err != nil {
			return st, err
		}
	}
	final := tp.CrossEntropyRows(m.Rest(tp, h, gates, B, S, scale), tgt)
	loss := tp.Add(tp.Mean(final), tp.Scale(tp.Mean(early), T(o.EarlyWeight)))
	st.Final, st.Early = mean(floats(final.Value.Data)), mean(floats(early.Value.Data))
	var oc offsetCounts
	oc.add(in, gates, B, S, tr.Alpha.Space)
	st.Rate = oc.rate()
	st.Recall = oc.recall()
	st.Offset0, st.Offset1 = oc.frac(0), oc.frac(1)
	switch o.Method {
	case Reinforce:
		r := make([]float64, B*S)
		for i := range r {
			r[i] = -float64(final.Value.Data[i])
			if o.Reward == "early-exit" {
				r[i] += float64(early.Value.Data[i])
			}
		}
		mask := make([]float64, B*S)
		for i := range mask {
			mask[i] = 1
		}
		adv := make([]float64, B*S)
		if tr.Disc == nil {
			return st, fmt.Errorf("boundaries: reinforce needs a discount")
		}
		if err := tr.Disc.Discount(ctx, adv, r, mask, nil, B, S, step); err != nil {
			return st, fmt.Errorf("boundaries: discount: %w", err)
		}
		lg := Logits(tp, tr.gater(), v, gates, B, S)
		loss = tp.Add(loss, WeightedSum(tp, LogProb(tp, lg, gates), SurrogateCoef(adv, B, S, o.GateWeight)))
		coef, mp := RateCoef(lvals, B, S, o.RateWeight, o.Rate)
		st.MeanP = mp
		if o.RateWeight > 0 {
			loss = tp.Add(loss, WeightedSum(tp, lg, coef))
		}
		if w := o.EntropyWeight * max(0, 1-float64(step)/float64(max(o.Steps, 1))); w > 0 {
			loss = tp.Add(loss, WeightedSum(tp, lg, EntropyCoef(lvals, B, S, w)))
		}
	case StraightTh:
		coef, prior := BinomialPriorCoef(gates, B, S, o.PriorWeight, o.Rate)
		st.Prior = prior
		loss = tp.Add(loss, WeightedSum(tp, scale, coef))
	}
	tp.Backward(loss)
	return st, nil
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Eval are the numbers of a model on held-out windows, boundaries sampled.
type Eval struct {
	BPB       float64   // bits per byte of the final head
	EarlyBPB  float64   // of the early-exit head
	Rate      float64   // boundaries per free byte
	Recall    float64   // fraction of whitespace bytes with a boundary (space recall)
	Precision float64   // fraction of boundaries on whitespace (alignment)
	Offsets   []float64 // P(boundary at offset k after the last whitespace), k = 0..len-1 (the last bin: k and above)
	Peak      float64   // the largest of Offsets
	PeakAt    int       // its k
	Gates     []float64 // the first window's gates (for a sample)
}

// OffsetBins is the length of Eval.Offsets.
const OffsetBins = 8

// offsetCounts counts where boundaries fall relative to whitespace.
type offsetCounts struct {
	free, bounds, spaces, hits float64
	offsets                    [OffsetBins]float64 // boundaries at offset k after the last whitespace (the last bin: k and above)
}

// add counts the free (not forced) bytes of a B x S batch of byte classes
// in and its gates.
func (oc *offsetCounts) add(in []int, gates []float64, B, S int, space []bool) {
	for s := 0; s < B; s++ {
		last := -1
		for t := 0; t < S; t++ {
			c, g := in[s*S+t], gates[s*S+t]
			if space[c] {
				last = t
			}
			if Forced(t, S) {
				continue
			}
			oc.free++
			oc.bounds += g
			if space[c] {
				oc.spaces++
				oc.hits += g
			}
			if g != 0 && last >= 0 {
				oc.offsets[min(t-last, OffsetBins-1)]++
			}
		}
	}
}

// rate is the fraction of free (not forced) bytes with a boundary.
func (oc *offsetCounts) rate() float64 { return oc.bounds / oc.free }

// recall is the fraction of whitespace bytes with a boundary (0 if none).
func (oc *offsetCounts) recall() float64 {
	if oc.spaces == 0 {
		return 0
	}
	return oc.hits / oc.spaces
}

// frac is P(boundary at offset k after the last whitespace) (0 if no
// boundary follows a whitespace).
func (oc *offsetCounts) frac(k int) float64 {
	tot := 0.0
	for _, v := range oc.offsets {
		tot += v
	}
	if tot == 0 {
		return 0
	}
	return oc.offsets[k] / tot
}

// Evaluate scores the windows (each S+1 bytes) in batches of B.
func (tr *Trainer[T]) Evaluate(windows [][]byte, B int, rng *rand.Rand) (Eval, error) {
	tp, m := tr.tp, tr.M
	var e Eval
	e.Offsets = make([]float64, OffsetBins)
	var nll, nllEarly, nbytes float64
	var oc offsetCounts
	for lo := 0; lo < len(windows); lo += B {
		ws := windows[lo:min(lo+B, len(windows))]
		b := len(ws)
		S := len(ws[0]) - 1
		in, tgt := tr.Alpha.Tokens(ws)
		tp.Reset()
		tp.NoGrad(true)
		h := m.Down(tp, in, b, S)
		early := tp.CrossEntropyRows(m.EarlyLogits(tp, h), tgt)
		gates, err := tr.gates(tp, h, in, b, S, rng)
		if err != nil {
			tp.NoGrad(false)
			return e, err
		}
		final := tp.CrossEntropyRows(m.Rest(tp, h, gates, b, S, nil), tgt)
		for i := range tgt {
			nll += float64(final.Value.Data[i])
			nllEarly += float64(early.Value.Data[i])
		}
		nbytes += float64(len(tgt))
		if lo == 0 {
			e.Gates = append([]float64{}, gates[:S]...)
		}
		oc.add(in, gates, b, S, tr.Alpha.Space)
	}
	tp.NoGrad(false)
	e.BPB = nll / nbytes / math.Ln2
	e.EarlyBPB = nllEarly / nbytes / math.Ln2
	e.Rate = oc.rate()
	e.Recall = oc.recall()
	if oc.bounds > 0 {
		e.Precision = oc.frac(0)
	}
	for k := range e.Offsets {
		e.Offsets[k] = oc.frac(k)
		if e.Offsets[k] > e.Peak {
			e.Peak, e.PeakAt = e.Offsets[k], k
		}
	}
	return e, nil
}

// GateGradVariance resamples the boundaries K times on one batch at fixed
// parameters and returns trace(Cov(g)) / ||E g||^2 of the gradient g of
// the boundary parameters (the gater for reinforce, the straight-through
// head for ste): the estimator's relative variance.
func (tr *Trainer[T]) GateGradVariance(ctx context.Context, in, tgt []int, B, S, K int, step int64, rng *rand.Rand) (float64, error) {
	ps := tr.M.GateParams()[:2]
	if tr.Obj.Method == StraightTh {
		ps = tr.M.GateParams()[2:]
	}
	var gs [][]float64
	for k := 0; k < K; k++ {
		if _, err := tr.Step(ctx, in, tgt, B, S, step, rng); err != nil {
			return 0, err
		}
		var g []float64
		for _, p := range ps {
			g = append(g, floats(p.Grad.Data)...)
		}
		gs = append(gs, g)
	}
	autodiff.ZeroGrads(tr.M.Params())
	return RelativeVariance(gs), nil
}

// RelativeVariance is trace of the sample covariance of the vectors over
// the squared norm of their mean.
func RelativeVariance(gs [][]float64) float64 {
	K, d := len(gs), len(gs[0])
	mu := make([]float64, d)
	for _, g := range gs {
		for j, v := range g {
			mu[j] += v / float64(K)
		}
	}
	tr, nm := 0.0, 0.0
	for j := range mu {
		nm += mu[j] * mu[j]
		for _, g := range gs {
			tr += (g[j] - mu[j]) * (g[j] - mu[j]) / float64(K-1)
		}
	}
	return tr / nm
}
