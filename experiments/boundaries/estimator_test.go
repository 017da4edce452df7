package boundaries

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/optim"
	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/tensor"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

// loadDiscount builds the named built-in discount plugin and loads it with
// params (the study's advantage computation goes through these plugins).
func loadDiscount(t *testing.T, name string, params map[string]any) Discount {
	t.Helper()
	wasm := sdkplugintest.Build(t, "../../plugins/discount/"+name)
	ctx := context.Background()
	p, err := plugin.LoadFile(ctx, wasm, plugin.Config{Kind: "discount", Trust: plugin.Trusted, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	d, err := plugin.NewDiscount(p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func ones64(n int) []float64 {
	m := make([]float64, n)
	for i := range m {
		m[i] = 1
	}
	return m
}

// TestDiscountScan: through the plugins, gamma 0 gives the rewards back,
// gamma 1 gives suffix sums (both uncentred), and a horizon h gives the
// scan with gamma 1 - 1/h computed here by brute force.
func TestDiscountScan(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	const B, T = 3, 300
	r := make([]float64, B*T)
	for i := range r {
		r[i] = rng.NormFloat64()
	}
	brute := func(gamma float64) []float64 {
		out := make([]float64, B*T)
		for b := 0; b < B; b++ {
			for t := 0; t < T; t++ {
				for k := t; k < T; k++ {
					out[b*T+t] += math.Pow(gamma, float64(k-t)) * r[b*T+k]
				}
			}
		}
		return out
	}
	cases := []struct {
		name, plugin string
		params       map[string]any
		want         []float64
	}{
		{"gamma 0", "exponential", map[string]any{"gamma": 0.0, "center": false}, r},
		{"gamma 1 (none)", "none", map[string]any{"center": false}, brute(1)},
		{"gamma 1 (exponential)", "exponential", map[string]any{"gamma": 1.0, "center": false}, brute(1)},
		{"horizon 10", "exponential", map[string]any{"horizon": 10.0, "center": false}, brute(0.9)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := loadDiscount(t, c.plugin, c.params)
			got := make([]float64, B*T)
			if err := d.Discount(ctx, got, r, ones64(B*T), nil, B, T, 0); err != nil {
				t.Fatal(err)
			}
			for i := range got {
				// 1e-9: sums of 300 terms of size ~1 in two orders.
				if math.Abs(got[i]-c.want[i]) > 1e-9 {
					t.Fatalf("position %d: %v, want %v", i, got[i], c.want[i])
				}
			}
		})
	}
}

// TestCentering: with centring on, the advantages sum to zero over the
// batch at every position, at any gamma (the scan is linear).
func TestCentering(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(5, 6))
	const B, T = 6, 64
	r := make([]float64, B*T)
	for i := range r {
		r[i] = rng.NormFloat64() + 3
	}
	for _, h := range []float64{4, 20} {
		d := loadDiscount(t, "exponential", map[string]any{"horizon": h})
		adv := make([]float64, B*T)
		if err := d.Discount(ctx, adv, r, ones64(B*T), nil, B, T, 0); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < T; j++ {
			s, a := 0.0, 0.0
			for b := 0; b < B; b++ {
				s += adv[b*T+j]
				a += math.Abs(adv[b*T+j])
			}
			if math.Abs(s) > 1e-12*max(1, a) || a == 0 {
				t.Fatalf("horizon %g, position %d: advantages sum to %v (sum of |A| %v)", h, j, s, a)
			}
		}
	}
}

// bernoulliProblem is T = 10 independent gates a_t ~ Bernoulli(sigmoid
// theta_t) with per-position rewards r_t(a) = w_t a_t + u_t a_t a_{t-1} +
// c_t (r_t depends on a_{<=t} only, as in the model). J = E sum_t r_t.
type bernoulliProblem struct {
	theta, w, u, c []float64
}

const bT = 10

func (p bernoulliProblem) gates(code int) []float64 {
	a := make([]float64, bT)
	for t := range a {
		a[t] = float64(code >> t & 1)
	}
	return a
}

func (p bernoulliProblem) prob(a []float64) float64 {
	pr := 1.0
	for t, x := range a {
		s := sigmoid(p.theta[t])
		if x == 1 {
			pr *= s
		} else {
			pr *= 1 - s
		}
	}
	return pr
}

func (p bernoulliProblem) rewards(a []float64) []float64 {
	r := make([]float64, bT)
	for t := range r {
		r[t] = p.w[t]*a[t] + p.c[t]
		if t > 0 {
			r[t] += p.u[t] * a[t] * a[t-1]
		}
	}
	return r
}

// exactGrad is dJ/dtheta by enumeration: sum_a R(a) dP(a)/dtheta, with
// dP/dtheta_t = P(a) (a_t - sigmoid(theta_t)).
func (p bernoulliProblem) exactGrad() []float64 {
	g := make([]float64, bT)
	for code := 0; code < 1<<bT; code++ {
		a := p.gates(code)
		R := 0.0
		for _, v := range p.rewards(a) {
			R += v
		}
		pr := p.prob(a)
		for t := range g {
			g[t] += R * pr * (a[t] - sigmoid(p.theta[t]))
		}
	}
	return g
}

// TestScoreFunctionEnumerated: on T = 10 independent Bernoulli gates,
// every one of the 2^10 gate vectors is a row of one batch; the plugin
// discounts their rewards (no centring), the study's LogProb and
// SurrogateCoef give each row's score-function gradient through the tape,
// and the probability-weighted mean is the estimator's exact expectation.
// At gamma = 1 it equals the exact gradient; its variance (exact too)
// falls as gamma falls.
func TestScoreFunctionEnumerated(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 8))
	p := bernoulliProblem{make([]float64, bT), make([]float64, bT), make([]float64, bT), make([]float64, bT)}
	for i := 0; i < bT; i++ {
		p.theta[i], p.w[i], p.u[i], p.c[i] = rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), 1+rng.Float64()
	}
	const N = 1 << bT
	rew, gates, probs := make([]float64, N*bT), make([]float64, N*bT), make([]float64, N)
	for code := 0; code < N; code++ {
		a := p.gates(code)
		copy(gates[code*bT:], a)
		copy(rew[code*bT:], p.rewards(a))
		probs[code] = p.prob(a)
	}
	// Per-row gradients of sum_t A_t log pi(a_t) in theta, through the tape:
	// theta broadcast as the logits of every row.
	perRow := func(adv []float64) [][]float64 {
		out := make([][]float64, N)
		th := autodiff.NewParam("theta", tensor.FromSlice(append([]float64{}, p.theta...), bT, 1))
		tp := autodiff.NewTape[float64]()
		for n := 0; n < N; n++ {
			tp.Reset()
			autodiff.ZeroGrads([]*autodiff.Var[float64]{th})
			lp := LogProb(tp, th, gates[n*bT:(n+1)*bT])
			tp.Backward(WeightedSum(tp, lp, adv[n*bT:(n+1)*bT]))
			out[n] = append([]float64{}, th.Grad.Data...)
		}
		return out
	}
	moments := func(gs [][]float64) (mean []float64, variance float64) {
		mean = make([]float64, bT)
		for n, g := range gs {
			for t, v := range g {
				mean[t] += probs[n] * v
			}
		}
		for n, g := range gs {
			for t, v := range g {
				variance += probs[n] * (v - mean[t]) * (v - mean[t])
			}
		}
		return mean, variance
	}
	exact := p.exactGrad()
	var prev float64
	for i, h := range []float64{math.Inf(1), 10, 4, 2, 1} {
		params := map[string]any{"center": false, "horizon": h}
		if math.IsInf(h, 1) {
			params = map[string]any{"center": false, "gamma": 1.0}
		}
		d := loadDiscount(t, "exponential", params)
		adv := make([]float64, N*bT)
		if err := d.Discount(ctx, adv, rew, ones64(N*bT), nil, N, bT, 0); err != nil {
			t.Fatal(err)
		}
		mean, v := moments(perRow(adv))
		if i == 0 {
			for k := range exact {
				// 1e-12: both are exact sums of 1024 terms of size ~10.
				if math.Abs(mean[k]-exact[k]) > 1e-12 {
					t.Errorf("gamma 1: E[estimate]_%d = %.15g, exact gradient %.15g", k, mean[k], exact[k])
				}
			}
		} else if v >= prev {
			t.Errorf("horizon %g: variance %.6g, not below %.6g at the longer horizon", h, v, prev)
		}
		t.Logf("horizon %g: total variance %.5g", h, v)
		prev = v
	}
}

// TestRateLossAlone: with every advantage 0 the rate loss alone moves a
// gater that starts far from the target (rate about 0.6) to the target
// rate 0.2 within 0.01 (the realised rate over 64 x 256 fresh gates).
func TestRateLossAlone(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const B, S, d = 16, 256, 8
	g := Gater{Taps: 8, Scale: 1.0 / 16, Rate: 0.2}
	w := autodiff.NewParam("w", randn[float64](rng, 1, d, g.Taps))
	bias := autodiff.NewParam("b", tensor.New[float64](g.Taps))
	bias.Value.Data[g.Taps-1] = 30 // l ≈ 6 tanh((30/16 - 1.386)/6): rate ≈ 0.62
	feats := tensor.New[float64](B*S, d)
	for i := range feats.Data {
		feats.Data[i] = rng.NormFloat64()
	}
	ps := []*autodiff.Var[float64]{w, bias}
	opt := &optim.Adam[float64]{}
	tp := autodiff.NewTape[float64]()
	rate := func(n int) float64 {
		tp.Reset()
		v := tp.Linear(tp.Const(feats), w, bias)
		s := 0.0
		for i := 0; i < n; i++ {
			gates, _ := g.Sample(v.Value.Data, B, S, rng)
			s += freeRate(gates, B, S)
		}
		return s / float64(n)
	}
	if r0 := rate(4); r0 < 0.5 {
		t.Fatalf("starting rate %.3f, want far above the target", r0)
	}
	for step := 0; step < 300; step++ {
		tp.Reset()
		autodiff.ZeroGrads(ps)
		v := tp.Linear(tp.Const(feats), w, bias)
		gates, logits := g.Sample(v.Value.Data, B, S, rng)
		lg := Logits(tp, g, v, gates, B, S)
		adv := make([]float64, B*S) // rewards at zero
		coef, _ := RateCoef(logits, B, S, 0.01, g.Rate)
		loss := tp.Add(WeightedSum(tp, LogProb(tp, lg, gates), SurrogateCoef(adv, B, S, 0.01)), WeightedSum(tp, lg, coef))
		tp.Backward(loss)
		opt.LR = 0.5 * (1 - float64(step)/300) // Adam moves each weight by about LR; s = 1/16 needs large moves
		opt.StepSlices([][]float64{w.Value.Data, bias.Value.Data}, [][]float64{w.Grad.Data, bias.Grad.Data})
	}
	if r := rate(4); math.Abs(r-0.2) > 0.01 {
		t.Errorf("rate after the rate loss alone %.4f, want 0.2 ± 0.01", r)
	} else {
		t.Logf("rate %.4f", r)
	}
}

// TestForcedGatesNoGradient: the first and last bytes' gates are always on
// and pass no gradient, through the surrogate, the rate loss and the
// straight-through boundaries; free bytes do receive one.
func TestForcedGatesNoGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const B, S = 3, 12
	g := Gater{Taps: 4, Scale: 1.0 / 16, Rate: 0.3}
	tp := autodiff.NewTape[float64]()
	v := tp.Input(randn[float64](rng, 4, B*S, g.Taps))
	gates, logits := g.Sample(v.Value.Data, B, S, rng)
	adv := make([]float64, B*S)
	for i := range adv {
		adv[i] = 1 + rng.Float64()
	}
	lg := Logits(tp, g, v, gates, B, S)
	coef, _ := RateCoef(logits, B, S, 0.5, 0.3)
	tp.Backward(tp.Add(WeightedSum(tp, LogProb(tp, lg, gates), SurrogateCoef(adv, B, S, 1)), WeightedSum(tp, lg, coef)))
	for i := 0; i < B*S; i++ {
		if !Forced(i%S, S) {
			if gates[i] != 0 && gates[i] != 1 {
				t.Fatalf("gate %v", gates[i])
			}
			continue
		}
		if gates[i] != 1 {
			t.Errorf("forced gate %d is %v", i, gates[i])
		}
	}
	// V_t receives gradient only through l_t; the forced rows' gradient is 0.
	for i := 0; i < B*S; i++ {
		nz := false
		for j := 0; j < g.Taps; j++ {
			if v.Grad.Data[i*g.Taps+j] != 0 {
				nz = true
			}
		}
		if nz == Forced(i%S, S) {
			t.Errorf("row %d (forced %v): gradient %v", i, Forced(i%S, S), v.Grad.Data[i*g.Taps:(i+1)*g.Taps])
		}
	}
	tp.Reset()
	l := tp.Input(randn[float64](rng, 1, B*S, 1))
	b, hard := STE(tp, l, 0.5, B, S, rng)
	pc, _ := BinomialPriorCoef(hard, B, S, 1, 0.3)
	w := make([]float64, B*S)
	for i := range w {
		w[i] = rng.NormFloat64() + pc[i]
	}
	tp.Backward(WeightedSum(tp, b, w))
	for i := 0; i < B*S; i++ {
		if Forced(i%S, S) != (l.Grad.Data[i] == 0) || (Forced(i%S, S) && (hard[i] != 1 || b.Value.Data[i] != 1)) {
			t.Errorf("ste row %d (forced %v): hard %v, b %v, gradient %v", i, Forced(i%S, S), hard[i], b.Value.Data[i], l.Grad.Data[i])
		}
		if b.Value.Data[i] != hard[i] {
			t.Errorf("ste row %d: forward value %v, want the hard gate %v", i, b.Value.Data[i], hard[i])
		}
	}
}

// TestDigamma: against central differences of log Gamma (the binomial
// prior's gradient in k).
func TestDigamma(t *testing.T) {
	for _, x := range []float64{0.5, 1, 2.5, 7, 40, 250} {
		h := 1e-5
		lp, _ := math.Lgamma(x + h)
		lm, _ := math.Lgamma(x - h)
		if num := (lp - lm) / (2 * h); math.Abs(digamma(x)-num) > 1e-7 {
			t.Errorf("digamma(%g) = %.12g, numeric %.12g", x, digamma(x), num)
		}
	}
}

// TestEntropyCoef: the coefficients are the gradient of
// -lambda mean_free H(sigmoid(l)) by central differences in each logit, and
// 0 on forced positions; the bonus pushes logits toward 0 (higher entropy).
func TestEntropyCoef(t *testing.T) {
	const B, S, lambda = 2, 9, 0.3
	rng := rand.New(rand.NewPCG(5, 6))
	logits := make([]float64, B*S)
	for i := range logits {
		logits[i] = 4 * rng.NormFloat64()
	}
	bonus := func(l []float64) float64 {
		h, n := 0.0, 0.0
		for i, x := range l {
			if Forced(i%S, S) {
				continue
			}
			p := 1 / (1 + math.Exp(-x))
			h -= p*math.Log(p) + (1-p)*math.Log(1-p)
			n++
		}
		return -lambda * h / n
	}
	coef := EntropyCoef(logits, B, S, lambda)
	for i := range logits {
		if Forced(i%S, S) {
			if coef[i] != 0 {
				t.Errorf("forced position %d has coefficient %g", i, coef[i])
			}
			continue
		}
		const eps = 1e-6
		lp := append([]float64{}, logits...)
		lm := append([]float64{}, logits...)
		lp[i] += eps
		lm[i] -= eps
		fd := (bonus(lp) - bonus(lm)) / (2 * eps)
		if math.Abs(fd-coef[i]) > 1e-7*math.Max(1, math.Abs(fd)) {
			t.Errorf("logit %d (%g): coefficient %g, finite difference %g", i, logits[i], coef[i], fd)
		}
		if coef[i]*logits[i] < 0 {
			t.Errorf("logit %d (%g): descent moves it away from 0", i, logits[i])
		}
	}
}

// freeRate is the fraction of free (not forced) bytes with a boundary,
// counted here apart from the trainer's offsetCounts.
func freeRate(gates []float64, B, S int) float64 {
	n, k := 0, 0.0
	for i, g := range gates {
		if !Forced(i%S, S) {
			n++
			k += g
		}
	}
	return k / float64(n)
}
