package preference

import (
	"context"
	"math"
	"math/rand/v2"

	ad "github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/optim"
	"github.com/ablate-ml/ablate/core/tensor"
)

// TrainConfig says how a language model is trained by next-token
// prediction.
type TrainConfig struct {
	Steps, Batch int
	LR           float64
	// Report, when set, is called every 50 steps and after the last with
	// the mean loss of that step's batch; an error stops training.
	Report func(step int, loss float64) error
}

// nextTokenLoss records on tp the mean cross-entropy of every token after
// the first of each sequence (padding excluded).
func (m *Model) nextTokenLoss(tp *ad.Tape[float64], seqs [][]int) *ad.Var[float64] {
	tokens, b, t := pad(seqs)
	targets := make([]int, b*t)
	w := make([]float64, b*t)
	n := 0
	for i, s := range seqs {
		for j := 0; j+1 < len(s); j++ {
			targets[i*t+j] = s[j+1]
			w[i*t+j] = 1
			n++
		}
	}
	for i := range w {
		w[i] /= float64(n)
	}
	logits := m.Forward(tp, tokens, b, t)
	return tp.Sum(tp.Mul(tp.CrossEntropyRows(logits, targets), tp.Const(tensor.FromSlice(w, b*t))))
}

// Train fits m to sequences drawn by next(rng) with Adam, one fresh batch a
// step, the learning rate decaying as a cosine to a tenth.
func (m *Model) Train(ctx context.Context, cfg TrainConfig, next func(*rand.Rand) []int, rng *rand.Rand) error {
	opt := &optim.Adam[float64]{LR: cfg.LR}
	tp := ad.NewTape[float64]()
	values, grads := m.slices()
	seqs := make([][]int, cfg.Batch)
	for step := 1; step <= cfg.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		for i := range seqs {
			seqs[i] = next(rng)
		}
		tp.Reset()
		ad.ZeroGrads(m.Params)
		loss := m.nextTokenLoss(tp, seqs)
		tp.Backward(loss)
		opt.LR = cfg.LR * (0.55 + 0.45*math.Cos(math.Pi*float64(step-1)/float64(cfg.Steps)))
		opt.StepSlices(values, grads)
		if cfg.Report != nil && (step%50 == 0 || step == cfg.Steps) {
			if err := cfg.Report(step, loss.Value.Data[0]); err != nil {
				return err
			}
		}
	}
	tp.Reset()
	return nil
}

func (m *Model) slices() (values, grads [][]float64) {
	for _, p := range m.Params {
		values = append(values, p.Value.Data)
		grads = append(grads, p.Grad.Data)
	}
	return values, grads
}
