package plugin

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// Groups is a ragged batch of g groups, each a prompt and k >= 2 candidate
// completions: prompt i is PromptTok[PromptOff[i]:PromptOff[i+1]],
// candidate c is CandTok[CandOff[c]:CandOff[c+1]], and group i owns
// candidates GroupOff[i] to GroupOff[i+1]-1.
type Groups struct {
	PromptTok, PromptOff []int32
	CandTok, CandOff     []int32
	GroupOff             []int32
}

// Len returns the number of groups.
func (g Groups) Len() int { return len(g.GroupOff) - 1 }

// Candidates returns the number of candidates: the length of a judge's or
// bias's output.
func (g Groups) Candidates() int { return len(g.CandOff) - 1 }

// Validate checks the offsets: every array n+1 long, starting at 0, never
// decreasing, ending at its token count; at least two candidates a group.
func (g Groups) Validate() error {
	if len(g.GroupOff) == 0 {
		return fmt.Errorf("%w: groups: group_off is empty, want g+1 offsets", ErrInput)
	}
	n := g.Len()
	if len(g.PromptOff) != n+1 {
		return fmt.Errorf("%w: groups: %d prompt offsets for %d groups, want %d", ErrInput, len(g.PromptOff), n, n+1)
	}
	if err := checkOffsets("prompt_off", g.PromptOff, len(g.PromptTok)); err != nil {
		return err
	}
	if err := checkOffsets("cand_off", g.CandOff, len(g.CandTok)); err != nil {
		return err
	}
	if err := checkOffsets("group_off", g.GroupOff, g.Candidates()); err != nil {
		return err
	}
	for i := range n {
		if k := g.GroupOff[i+1] - g.GroupOff[i]; k < 2 {
			return fmt.Errorf("%w: groups: group %d has %d candidates, want at least 2", ErrInput, i, k)
		}
	}
	return nil
}

// Judge scores candidates: dst[c] for candidate c, higher = preferred.
// len(dst) must be g.Candidates().
type Judge interface {
	Judge(ctx context.Context, dst []float64, g Groups) error
}

// Bias adjusts a judge's scores (one per candidate) into dst.
type Bias interface {
	Bias(ctx context.Context, dst []float64, g Groups, scores []float64) error
}

// Discount turns b x t per-position rewards (row-major) into advantages in
// dst. mask is on where not 0; control may be nil; step is the training step.
type Discount interface {
	Discount(ctx context.Context, dst, rewards, mask, control []float64, b, t int, step int64) error
}

// Estimator is a density estimator for OOD detection. Score writes one
// score per row of the m x d matrix x, higher = more in-distribution. Save
// returns the fitted state; Load restores one.
type Estimator interface {
	Fit(ctx context.Context, x []float64, n, d int) error
	Score(ctx context.Context, dst, x []float64, m, d int) error
	Save(ctx context.Context) ([]byte, error)
	Load(ctx context.Context, state []byte) error
}

func (p *Plugin) asKind(k abi.Kind) error {
	if p.manifest.Kind != k {
		return &Error{Plugin: p.name, Digest: p.digest, Call: "load",
			Err: fmt.Errorf("%w: the module is a %s, used as a %s", ErrKind, p.manifest.Kind, k)}
	}
	return nil
}

func (p *Plugin) inputErr(export string, err error) error {
	return &Error{Plugin: p.name, Digest: p.digest, Call: export, Err: err}
}

// JudgePlugin is a judge running in WebAssembly.
type JudgePlugin struct{ p *Plugin }

// NewJudge returns p as a judge; it fails unless p's manifest says judge.
func NewJudge(p *Plugin) (*JudgePlugin, error) {
	if err := p.asKind(abi.KindJudge); err != nil {
		return nil, err
	}
	return &JudgePlugin{p}, nil
}

// Plugin returns the underlying plugin.
func (j *JudgePlugin) Plugin() *Plugin { return j.p }

func groupArrays(g Groups) []array {
	return []array{i32In(g.PromptTok), i32In(g.PromptOff), i32In(g.CandTok), i32In(g.CandOff), i32In(g.GroupOff)}
}

// Judge implements Judge.
func (j *JudgePlugin) Judge(ctx context.Context, dst []float64, g Groups) error {
	if err := g.Validate(); err != nil {
		return j.p.inputErr(abi.ExportJudge, err)
	}
	c := g.Candidates()
	if len(dst) != c {
		return j.p.inputErr(abi.ExportJudge, fmt.Errorf("%w: dst has %d scores for %d candidates", ErrInput, len(dst), c))
	}
	arrays := append(groupArrays(g), f64Out(c))
	return j.p.invoke(ctx, abi.ExportJudge, arrays, func(ptr []uint32) []uint64 {
		return []uint64{uint64(ptr[0]), uint64(ptr[1]), uint64(ptr[2]), uint64(ptr[3]), uint64(ptr[4]), uint64(g.Len()), uint64(ptr[5])}
	}, func(outs [][]byte) error {
		tmp := make([]float64, c)
		readF64s(tmp, outs[0])
		if err := checkFloats("scores", tmp, true); err != nil {
			return j.p.outErr(abi.ExportJudge, err)
		}
		copy(dst, tmp)
		return nil
	}, nil)
}

// BiasPlugin is a reward bias running in WebAssembly.
type BiasPlugin struct{ p *Plugin }

// NewBias returns p as a bias; it fails unless p's manifest says bias.
func NewBias(p *Plugin) (*BiasPlugin, error) {
	if err := p.asKind(abi.KindBias); err != nil {
		return nil, err
	}
	return &BiasPlugin{p}, nil
}

// Plugin returns the underlying plugin.
func (b *BiasPlugin) Plugin() *Plugin { return b.p }

// Bias implements Bias.
func (b *BiasPlugin) Bias(ctx context.Context, dst []float64, g Groups, scores []float64) error {
	if err := g.Validate(); err != nil {
		return b.p.inputErr(abi.ExportBias, err)
	}
	c := g.Candidates()
	if len(dst) != c || len(scores) != c {
		return b.p.inputErr(abi.ExportBias, fmt.Errorf("%w: %d scores and %d outputs for %d candidates", ErrInput, len(scores), len(dst), c))
	}
	arrays := append(groupArrays(g), f64In(scores), f64Out(c))
	return b.p.invoke(ctx, abi.ExportBias, arrays, func(ptr []uint32) []uint64 {
		return []uint64{uint64(ptr[0]), uint64(ptr[1]), uint64(ptr[2]), uint64(ptr[3]), uint64(ptr[4]), uint64(g.Len()),
			uint64(ptr[5]), uint64(ptr[6])}
	}, func(outs [][]byte) error {
		tmp := make([]float64, c)
		readF64s(tmp, outs[0])
		if err := checkFloats("scores", tmp, true); err != nil {
			return b.p.outErr(abi.ExportBias, err)
		}
		copy(dst, tmp)
		return nil
	}, nil)
}

// DiscountPlugin is a discount (variance reducer) running in WebAssembly.
type DiscountPlugin struct{ p *Plugin }

// NewDiscount returns p as a discount; it fails unless p's manifest says so.
func NewDiscount(p *Plugin) (*DiscountPlugin, error) {
	if err := p.asKind(abi.KindDiscount); err != nil {
		return nil, err
	}
	return &DiscountPlugin{p}, nil
}

// Plugin returns the underlying plugin.
func (d *DiscountPlugin) Plugin() *Plugin { return d.p }

// Discount implements Discount.
func (d *DiscountPlugin) Discount(ctx context.Context, dst, rewards, mask, control []float64, b, t int, step int64) error {
	n := b * t
	switch {
	case b < 1 || t < 1 || b > 1<<30/t:
		return d.p.inputErr(abi.ExportDiscount, fmt.Errorf("%w: batch is %d x %d, want at least 1 x 1", ErrInput, b, t))
	case len(rewards) != n || len(mask) != n || len(dst) != n || (control != nil && len(control) != n):
		return d.p.inputErr(abi.ExportDiscount, fmt.Errorf("%w: rewards %d, mask %d, control %d, dst %d values for %d x %d",
			ErrInput, len(rewards), len(mask), len(control), len(dst), b, t))
	case step < 0:
		return d.p.inputErr(abi.ExportDiscount, fmt.Errorf("%w: step is %d, want >= 0", ErrInput, step))
	}
	arrays := []array{f64In(rewards), f64In(mask)}
	if control != nil {
		arrays = append(arrays, f64In(control))
	}
	arrays = append(arrays, f64Out(n))
	return d.p.invoke(ctx, abi.ExportDiscount, arrays, func(ptr []uint32) []uint64 {
		ctl, out := uint64(0), ptr[2]
		if control != nil {
			ctl, out = uint64(ptr[2]), ptr[3]
		}
		return []uint64{uint64(ptr[0]), uint64(ptr[1]), ctl, uint64(b), uint64(t), uint64(step), uint64(out)}
	}, func(outs [][]byte) error {
		tmp := make([]float64, n)
		readF64s(tmp, outs[0])
		if err := checkFloats("advantages", tmp, false); err != nil {
			return d.p.outErr(abi.ExportDiscount, err)
		}
		copy(dst, tmp)
		return nil
	}, nil)
}

// EstimatorPlugin is a density estimator running in WebAssembly. After a
// Fit or Load the host keeps the fitted state and loads it into any
// instance that has not seen it, so every instance of the pool scores alike.
type EstimatorPlugin struct {
	p     *Plugin
	mu    sync.Mutex
	state []byte
	gen   uint64 // increases with every new state; 0 = not fitted
}

// NewEstimator returns p as an estimator; it fails unless p's manifest
// says estimator.
func NewEstimator(p *Plugin) (*EstimatorPlugin, error) {
	if err := p.asKind(abi.KindEstimator); err != nil {
		return nil, err
	}
	return &EstimatorPlugin{p: p}, nil
}

// Plugin returns the underlying plugin.
func (e *EstimatorPlugin) Plugin() *Plugin { return e.p }

func checkMatrix(what string, x []float64, n, d int) error {
	if n < 0 || d < 1 || (n > 0 && d > math32/n) || len(x) != n*d {
		return fmt.Errorf("%w: %s has %d values for %d x %d", ErrInput, what, len(x), n, d)
	}
	return nil
}

const math32 = 1 << 31 / 8

// Fit implements Estimator: it fits on the n x d row-major matrix x.
func (e *EstimatorPlugin) Fit(ctx context.Context, x []float64, n, d int) error {
	if err := checkMatrix("fit input", x, n, d); err != nil {
		return e.p.inputErr(abi.ExportFit, err)
	}
	return e.p.do(ctx, abi.ExportFit, func(inst *instance) error {
		inst.stateGen = 0 // whatever it held is gone once fit starts
		err := e.p.invokeOn(ctx, inst, abi.ExportFit, []array{f64In(x)}, func(ptr []uint32) []uint64 {
			return []uint64{uint64(ptr[0]), uint64(n), uint64(d)}
		}, func([][]byte) error { return nil })
		if err != nil {
			return err
		}
		state, err := e.p.saveState(ctx, inst)
		if err != nil {
			return err
		}
		e.mu.Lock()
		e.gen++
		e.state = state
		inst.stateGen = e.gen
		e.mu.Unlock()
		return nil
	})
}

// Score implements Estimator.
func (e *EstimatorPlugin) Score(ctx context.Context, dst, x []float64, m, d int) error {
	if err := checkMatrix("score input", x, m, d); err != nil {
		return e.p.inputErr(abi.ExportScore, err)
	}
	if len(dst) != m {
		return e.p.inputErr(abi.ExportScore, fmt.Errorf("%w: dst has %d values for %d rows", ErrInput, len(dst), m))
	}
	e.mu.Lock()
	state, gen := e.state, e.gen
	e.mu.Unlock()
	if gen == 0 {
		return e.p.inputErr(abi.ExportScore, ErrNotFitted)
	}
	return e.p.invoke(ctx, abi.ExportScore, []array{f64In(x), f64Out(m)}, func(ptr []uint32) []uint64 {
		return []uint64{uint64(ptr[0]), uint64(m), uint64(d), uint64(ptr[1])}
	}, func(outs [][]byte) error {
		tmp := make([]float64, m)
		readF64s(tmp, outs[0])
		if err := checkFloats("scores", tmp, true); err != nil {
			return e.p.outErr(abi.ExportScore, err)
		}
		copy(dst, tmp)
		return nil
	}, e.loader(state, gen))
}

// loader makes an instance hold state generation gen.
func (e *EstimatorPlugin) loader(state []byte, gen uint64) func(context.Context, *instance) error {
	return func(ctx context.Context, inst *instance) error {
		if inst.stateGen == gen {
			return nil
		}
		if err := e.p.loadState(ctx, inst, state); err != nil {
			return err
		}
		inst.stateGen = gen
		return nil
	}
}

// Save implements Estimator: the state of the last Fit or Load.
func (e *EstimatorPlugin) Save(ctx context.Context) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen == 0 {
		return nil, e.p.inputErr(abi.ExportSave, ErrNotFitted)
	}
	return slices.Clone(e.state), nil
}

// Load implements Estimator: it restores a state from Save (of this plugin
// with the same parameters), checked by the guest's ablate_load.
func (e *EstimatorPlugin) Load(ctx context.Context, state []byte) error {
	state = slices.Clone(state)
	return e.p.do(ctx, abi.ExportLoad, func(inst *instance) error {
		inst.stateGen = 0
		if err := e.p.loadState(ctx, inst, state); err != nil {
			return err
		}
		e.mu.Lock()
		e.gen++
		e.state = state
		inst.stateGen = e.gen
		e.mu.Unlock()
		return nil
	})
}

// interface guards
var (
	_ Judge     = (*JudgePlugin)(nil)
	_ Bias      = (*BiasPlugin)(nil)
	_ Discount  = (*DiscountPlugin)(nil)
	_ Estimator = (*EstimatorPlugin)(nil)
)
