package boundaries

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/tensor"
)

// Forced reports whether byte t of a sequence of T bytes always ends a
// token: the first and the last.
func Forced(t, T int) bool { return t == 0 || t == T-1 }

// Gater is the autoregressive Bernoulli policy of Dauncey & Wattenhofer:
// a_t ~ Bernoulli(sigmoid(l_t)) with
//
//	l_t = 6 tanh((s (V_t[W-1] + sum_{j<W-1} a_{t-W+1+j} V_t[j]) + logit(rho)) / 6),
//
// gates before the sequence counting as 0.
type Gater struct {
	Taps  int
	Scale float64
	Rate  float64
}

// coef is the row of A with l_t = bound(s * sum_j A[t][j] V_t[j] + logit rho).
func (g Gater) coef(dst []float64, gates []float64, t int) {
	w := g.Taps
	for j := 0; j < w-1; j++ {
		if k := t - w + 1 + j; k >= 0 {
			dst[j] = gates[k]
		} else {
			dst[j] = 0
		}
	}
	dst[w-1] = 1
}

func (g Gater) bound(pre float64) float64 { return 6 * math.Tanh((g.Scale*pre+logit(g.Rate))/6) }

// Sample draws the B x T gates from V ([B*T, Taps], row-major) one byte at
// a time; forced bytes are 1. It returns the gates and the logits.
func (g Gater) Sample(v []float64, B, T int, rng *rand.Rand) (gates, logits []float64) {
	gates, logits = make([]float64, B*T), make([]float64, B*T)
	a := make([]float64, g.Taps)
	for b := 0; b < B; b++ {
		seq := gates[b*T : (b+1)*T]
		for t := 0; t < T; t++ {
			g.coef(a, seq, t)
			pre := 0.0
			for j, c := range a {
				pre += c * v[(b*T+t)*g.Taps+j]
			}
			l := g.bound(pre)
			logits[b*T+t] = l
			if Forced(t, T) || rng.Float64() < sigmoid(l) {
				seq[t] = 1
			}
		}
	}
	return gates, logits
}

// Logits records on the tape the gater's logits [B*T, 1] given V and the
// (already sampled) gates: the same values Sample computed, now
// differentiable in V.
func Logits[T tensor.Float](tp *autodiff.Tape[T], g Gater, v *autodiff.Var[T], gates []float64, B, S int) *autodiff.Var[T] {
	a := tensor.New[T](B*S, g.Taps)
	row := make([]float64, g.Taps)
	for b := 0; b < B; b++ {
		for t := 0; t < S; t++ {
			g.coef(row, gates[b*S:(b+1)*S], t)
			for j, c := range row {
				a.Data[(b*S+t)*g.Taps+j] = T(c)
			}
		}
	}
	pre := tp.SumAxis(tp.Mul(v, tp.Const(a)), 1)
	x := tp.AddScalar(tp.Scale(pre, T(g.Scale)), T(logit(g.Rate)))
	return tp.Scale(tp.Tanh(tp.Scale(x, 1.0/6)), 6)
}

// LogProb records log pi(a_t) = log sigmoid((2 a_t - 1) l_t), [B*T, 1].
func LogProb[T tensor.Float](tp *autodiff.Tape[T], logits *autodiff.Var[T], gates []float64) *autodiff.Var[T] {
	s := tensor.New[T](len(gates), 1)
	for i, a := range gates {
		s.Data[i] = T(2*a - 1)
	}
	return tp.LogSigmoid(tp.Mul(logits, tp.Const(s)))
}

// WeightedSum records sum_i coef_i x_i for constant coefficients.
func WeightedSum[T tensor.Float](tp *autodiff.Tape[T], x *autodiff.Var[T], coef []float64) *autodiff.Var[T] {
	c := tensor.New[T](x.Value.Shape...)
	if len(c.Data) != len(coef) {
		panic(fmt.Sprintf("boundaries: %d coefficients for a %v value", len(coef), x.Value.Shape))
	}
	for i, v := range coef {
		c.Data[i] = T(v)
	}
	return tp.Sum(tp.Mul(x, tp.Const(c)))
}

// SurrogateCoef returns the coefficients of the score-function surrogate
// -lambda * mean over free bytes of A_t log pi(a_t): forced bytes get 0.
func SurrogateCoef(adv []float64, B, T int, lambda float64) []float64 {
	c := make([]float64, B*T)
	n := float64(B * (T - 2))
	for i := range c {
		if !Forced(i%T, T) {
			c[i] = -lambda * adv[i] / n
		}
	}
	return c
}

// RateCoef returns the coefficients of the rate loss
// lambda * mean(l) * stopgrad(mean(p) - rho) over free bytes, and mean(p).
func RateCoef(logits []float64, B, T int, lambda, rho float64) (coef []float64, meanP float64) {
	n := 0.0
	for i, l := range logits {
		if !Forced(i%T, T) {
			meanP += sigmoid(l)
			n++
		}
	}
	meanP /= n
	coef = make([]float64, len(logits))
	for i := range coef {
		if !Forced(i%T, T) {
			coef[i] = lambda * (meanP - rho) / n
		}
	}
	return coef, meanP
}

// EntropyCoef returns coefficients c, 0 on forced positions, such that
// sum_i c_i l_i has, at these logits, the gradient of the entropy bonus
// -lambda mean_free H(Bernoulli(sigmoid(l_i))): dH/dl = -l sigmoid(l)
// (1 - sigmoid(l)), so c_i = lambda l_i p_i (1 - p_i) / n over the n free
// positions. Its descent raises the entropy of the policy.
func EntropyCoef(logits []float64, B, T int, lambda float64) []float64 {
	n := 0.0
	for i := range logits {
		if !Forced(i%T, T) {
			n++
		}
	}
	coef := make([]float64, len(logits))
	for i, l := range logits {
		if !Forced(i%T, T) {
			p := sigmoid(l)
			coef[i] = lambda * l * p * (1 - p) / n
		}
	}
	return coef
}

// Baseline gates: fixed stride, uniform random, whitespace.

// Stride puts a boundary on every k-th byte (bytes k-1, 2k-1, ...).
func Stride(B, T, k int) []float64 {
	g := make([]float64, B*T)
	for i := range g {
		if t := i % T; Forced(t, T) || (t+1)%k == 0 {
			g[i] = 1
		}
	}
	return g
}

// Uniform draws each free byte's boundary with probability rate.
func Uniform(B, T int, rate float64, rng *rand.Rand) []float64 {
	g := make([]float64, B*T)
	for i := range g {
		if Forced(i%T, T) || rng.Float64() < rate {
			g[i] = 1
		}
	}
	return g
}

// Whitespace puts a boundary on every whitespace symbol (a token ends with
// its space, the space being the word's last byte); space[s] says whether
// symbol s is whitespace.
func Whitespace(tokens []int, space []bool, B, T int) []float64 {
	g := make([]float64, B*T)
	for i := range g {
		if Forced(i%T, T) || space[tokens[i]] {
			g[i] = 1
		}
	}
	return g
}

// STE is the straight-through boundary of Nawrot et al.: a Gumbel-sigmoid
// sample soft = sigmoid((l + log u - log(1-u)) / tau), hard = [soft > 0.5],
// and b = hard + soft - stopgrad(soft) (forced bytes: hard 1, no gradient).
// It returns b [B*T, 1] and the hard gates.
func STE[T tensor.Float](tp *autodiff.Tape[T], logits *autodiff.Var[T], tau float64, B, S int, rng *rand.Rand) (*autodiff.Var[T], []float64) {
	noise := tensor.New[T](B*S, 1)
	free := tensor.New[T](B*S, 1)
	hard := make([]float64, B*S)
	for i := range hard {
		u := rng.Float64()
		for u == 0 {
			u = rng.Float64()
		}
		noise.Data[i] = T(math.Log(u) - math.Log1p(-u))
		if Forced(i%S, S) {
			hard[i] = 1
			continue
		}
		free.Data[i] = 1
		if float64(logits.Value.Data[i])+float64(noise.Data[i]) > 0 {
			hard[i] = 1
		}
	}
	soft := tp.Sigmoid(tp.Scale(tp.Add(logits, tp.Const(noise)), T(1/tau)))
	h := tensor.New[T](B*S, 1)
	for i, v := range hard {
		h.Data[i] = T(v)
	}
	st := tp.Mul(tp.Sub(soft, tp.StopGrad(soft)), tp.Const(free))
	return tp.Add(st, tp.Const(h)), hard
}

// BinomialPriorCoef returns coefficients c with d/db sum(c * b) the
// gradient of lambda * mean over sequences of -log Binomial(k; n, rho) / n,
// k the sum of a sequence's free boundaries, and that loss's value.
func BinomialPriorCoef(hard []float64, B, T int, lambda, rho float64) (coef []float64, loss float64) {
	n := float64(T - 2)
	coef = make([]float64, B*T)
	for b := 0; b < B; b++ {
		k := 0.0
		for t := 1; t < T-1; t++ {
			k += hard[b*T+t]
		}
		lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
		nll := -(lg(n+1) - lg(k+1) - lg(n-k+1) + k*math.Log(rho) + (n-k)*math.Log1p(-rho))
		loss += lambda * nll / n / float64(B)
		d := lambda * (digamma(k+1) - digamma(n-k+1) - logit(rho)) / n / float64(B)
		for t := 1; t < T-1; t++ {
			coef[b*T+t] = d
		}
	}
	return coef, loss
}

// digamma is psi(x) for x > 0: the recurrence up to x >= 6, then the
// asymptotic series (error below 1e-10).
func digamma(x float64) float64 {
	r := 0.0
	for x < 6 {
		r -= 1 / x
		x++
	}
	f := 1 / (x * x)
	return r + math.Log(x) - 0.5/x - f*(1.0/12-f*(1.0/120-f*(1.0/252-f*(1.0/240-f/132))))
}
