package preference

import (
	"context"
	"fmt"
	"math/rand/v2"

	ad "github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/optim"
	"github.com/ablate-ml/ablate/core/tensor"
)

// Pair is one preference: a prompt (system token first) and the chosen and
// rejected completions.
type Pair struct {
	Prompt, Chosen, Rejected []int
}

// DPOConfig says how a round aligns the policy on its pairs.
type DPOConfig struct {
	// Loss is "sigmoid" (Rafailov et al.; with Smoothing, the conservative
	// variant), "robust" (Chowdhury et al.: unbiased under label noise of
	// rate Smoothing), "hinge" (SLiC) or "ipo" (Azar et al., on
	// per-token mean log-ratios as TRL does).
	Loss      string
	Beta      float64
	Smoothing float64
	Epochs    int
	Batch     int
	LR        float64
}

// Losses lists the DPO losses.
var Losses = []string{"sigmoid", "robust", "hinge", "ipo"}

// Validate reports a bad configuration.
func (c DPOConfig) Validate() error {
	switch c.Loss {
	case "sigmoid", "robust", "hinge", "ipo":
	default:
		return fmt.Errorf("preference: dpo loss %q, want one of %v", c.Loss, Losses)
	}
	if !(c.Beta > 0) || !(c.Smoothing >= 0 && c.Smoothing < 0.5) || c.Epochs < 0 || c.Batch < 1 || !(c.LR > 0) {
		return fmt.Errorf("preference: dpo beta %g (want > 0), smoothing %g (want [0, 0.5)), epochs %d, batch %d, lr %g", c.Beta, c.Smoothing, c.Epochs, c.Batch, c.LR)
	}
	return nil
}

// DPOLoss records on tp the mean loss over n pairs given the policy's
// log-probabilities of the chosen and rejected completions (pc, pr: [n,1]
// vars) and the reference's (rc, rr: n values). With h = (pc - rc) - (pr -
// rr) and z = beta*h:
//
//	sigmoid: -(1-e) log s(z) - e log s(-z)
//	robust:  (-(1-e) log s(z) + e log s(-z)) / (1 - 2e)
//	hinge:   max(0, 1 - z)
//	ipo:     (h - 1/(2 beta))^2
//
// where s is the logistic function and e the label smoothing.
func DPOLoss(tp *ad.Tape[float64], loss string, beta, eps float64, pc, pr *ad.Var[float64], rc, rr []float64) *ad.Var[float64] {
	n := len(rc)
	ref := make([]float64, n)
	for i := range ref {
		ref[i] = rc[i] - rr[i]
	}
	h := tp.Sub(tp.Sub(pc, pr), tp.Const(tensor.FromSlice(ref, n, 1)))
	z := tp.Scale(h, beta)
	var l *ad.Var[float64]
	switch loss {
	case "sigmoid":
		l = tp.Neg(tp.Add(tp.Scale(tp.LogSigmoid(z), 1-eps), tp.Scale(tp.LogSigmoid(tp.Neg(z)), eps)))
	case "robust":
		l = tp.Scale(tp.Sub(tp.Scale(tp.LogSigmoid(tp.Neg(z)), eps), tp.Scale(tp.LogSigmoid(z), 1-eps)), 1/(1-2*eps))
	case "hinge":
		l = tp.ReLU(tp.AddScalar(tp.Neg(z), 1))
	case "ipo":
		l = tp.Square(tp.AddScalar(h, -1/(2*beta)))
	default:
		panic(fmt.Sprintf("preference: DPOLoss: unknown loss %q", loss))
	}
	return tp.Mean(l)
}

// completionLogProbs records the policy's log-probability of each
// completion given its prompt, [len(seqs), 1], summed over the completion's
// tokens (averaged when mean is set).
func (m *Model) completionLogProbs(tp *ad.Tape[float64], prompts, comps [][]int, mean bool) *ad.Var[float64] {
	seqs := make([][]int, len(prompts))
	for i := range prompts {
		seqs[i] = append(append([]int(nil), prompts[i]...), comps[i]...)
	}
	tokens, b, t := pad(seqs)
	targets := make([]int, b*t)
	w := make([]float64, b*t)
	for i, s := range seqs {
		for j := len(prompts[i]); j < len(s); j++ {
			targets[i*t+j-1] = s[j]
			w[i*t+j-1] = -1
			if mean {
				w[i*t+j-1] = -1 / float64(len(comps[i]))
			}
		}
	}
	logits := m.Forward(tp, tokens, b, t)
	nll := tp.Mul(tp.CrossEntropyRows(logits, targets), tp.Const(tensor.FromSlice(w, b*t)))
	return tp.SumAxis(tp.Reshape(nll, b, t), 1)
}

// pairLoss records the DPO loss of pairs under m given the reference's
// log-probabilities.
func (m *Model) pairLoss(tp *ad.Tape[float64], c DPOConfig, pairs []Pair, rc, rr []float64) *ad.Var[float64] {
	n := len(pairs)
	prompts := make([][]int, 0, 2*n)
	comps := make([][]int, 0, 2*n)
	for _, p := range pairs {
		prompts, comps = append(prompts, p.Prompt), append(comps, p.Chosen)
	}
	for _, p := range pairs {
		prompts, comps = append(prompts, p.Prompt), append(comps, p.Rejected)
	}
	lp := m.completionLogProbs(tp, prompts, comps, c.Loss == "ipo")
	return DPOLoss(tp, c.Loss, c.Beta, c.Smoothing, tp.Slice(lp, 0, 0, n), tp.Slice(lp, 0, n, 2*n), rc, rr)
}

// referenceLogProbs are a frozen model's log-probabilities of each pair's
// chosen and rejected completions (per-token means for ipo).
func referenceLogProbs(ref *Model, c DPOConfig, pairs []Pair) (rc, rr []float64) {
	tp := ad.NewTape[float64]()
	tp.NoGrad(true)
	for lo := 0; lo < len(pairs); lo += 256 {
		hi := min(lo+256, len(pairs))
		tp.Reset()
		var prompts, comps [][]int
		for _, p := range pairs[lo:hi] {
			prompts, comps = append(prompts, p.Prompt, p.Prompt), append(comps, p.Chosen, p.Rejected)
		}
		v := ref.completionLogProbs(tp, prompts, comps, c.Loss == "ipo").Value.Data
		for i := 0; i < hi-lo; i++ {
			rc, rr = append(rc, v[2*i]), append(rr, v[2*i+1])
		}
	}
	return rc, rr
}

// DPOStats summarises a round of DPO.
type DPOStats struct {
	FirstLoss float64 // the mean loss of the first batch (ln 2 for sigmoid: policy = reference)
	LastLoss  float64 // the mean loss over the last epoch
	Steps     int
}

// DPO aligns policy on pairs against the frozen reference ref (the policy's
// copy from before the round), Epochs passes over shuffled batches with a
// fresh Adam.
func (m *Model) DPO(ctx context.Context, ref *Model, c DPOConfig, pairs []Pair, rng *rand.Rand) (DPOStats, error) {
	var st DPOStats
	if len(pairs) == 0 {
		return st, nil
	}
	rc, rr := referenceLogProbs(ref, c, pairs)
	opt := &optim.Adam[float64]{LR: c.LR}
	values, grads := m.slices()
	tp := ad.NewTape[float64]()
	order := make([]int, len(pairs))
	for i := range order {
		order[i] = i
	}
	batch := make([]Pair, 0, c.Batch)
	var brc, brr []float64
	for ep := 0; ep < c.Epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		var sum float64
		var nb int
		for lo := 0; lo < len(order); lo += c.Batch {
			if err := ctx.Err(); err != nil {
				return st, err
			}
			batch, brc, brr = batch[:0], brc[:0], brr[:0]
			for _, i := range order[lo:min(lo+c.Batch, len(order))] {
				batch, brc, brr = append(batch, pairs[i]), append(brc, rc[i]), append(brr, rr[i])
			}
			tp.Reset()
			ad.ZeroGrads(m.Params)
			loss := m.pairLoss(tp, c, batch, brc, brr)
			tp.Backward(loss)
			opt.StepSlices(values, grads)
			l := loss.Value.Data[0]
			if st.Steps == 0 {
				st.FirstLoss = l
			}
			st.Steps++
			sum += l
			nb++
		}
		st.LastLoss = sum / float64(nb)
	}
	tp.Reset()
	return st, nil
}
