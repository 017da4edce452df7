package boundaries

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/optim"
	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/sdk/abi"
)

// Settings are the study's experiment-file keys.
type Settings struct {
	Data struct {
		Corpus       string  `toml:"corpus"`        // skip, prefix, opticks, fortunes, go-source
		Seed         int     `toml:"seed"`          // the synthetic language's seed
		Lag          int     `toml:"lag"`           // synthetic: word i depends on word i-lag
		Follow       float64 `toml:"follow"`        // synthetic: probability of following the rule
		TrainBytes   int     `toml:"train_bytes"`   // synthetic: generated; go-source: read
		ValidWindows int     `toml:"valid_windows"` // held-out windows scored at the end
	} `toml:"data"`
	Model struct {
		Dim      int     `toml:"dim"`
		Heads    int     `toml:"heads"`
		Down     int     `toml:"down"`
		Mid      int     `toml:"mid"`
		Up       int     `toml:"up"`
		Window   int     `toml:"window"`    // the down layers' sliding window, bytes
		UpWindow int     `toml:"up_window"` // 0: pointwise up layers
		Taps     int     `toml:"taps"`      // W
		Scale    float64 `toml:"scale"`     // s
		Upsample string  `toml:"upsample"`  // "output" (a byte adds its chunk's output) or "deviation" (output minus input)
		GateInit string  `toml:"gate_init"` // "normal" (sd 1/sqrt(dim)) or "zero" (the gater starts as Bernoulli(rate))
	} `toml:"model"`
	Boundaries struct {
		Method      string  `toml:"method"` // reinforce, ste, stride, uniform, whitespace
		Rate        float64 `toml:"rate"`   // rho
		Reward      string  `toml:"reward"` // early-exit or plain
		GateWeight  float64 `toml:"gate_weight"`
		RateWeight  float64 `toml:"rate_weight"` // 0: no rate loss
		EarlyWeight float64 `toml:"early_weight"`
		Tau         float64 `toml:"tau"`
		PriorWeight float64 `toml:"prior_weight"`
		// EntropyWeight is lambda_H of an entropy bonus on the gater's
		// policy, -lambda_H (1 - step/steps) mean H(pi_t) over the free bytes,
		// decaying to 0 by the last step (0: none, the paper's objective).
		// omitzero keeps the runs made before the setting existed at their
		// identities.
		EntropyWeight float64 `toml:"entropy_weight,omitzero"`
	} `toml:"boundaries"`
	Train struct {
		Steps  int     `toml:"steps"`
		Batch  int     `toml:"batch"`
		Seq    int     `toml:"seq"` // bytes per sequence
		LR     float64 `toml:"lr"`
		Warmup int     `toml:"warmup"`
		Clip   float64 `toml:"clip"`
		GateLR float64 `toml:"gate_lr"` // the boundary heads' learning rate as a multiple of lr
		// GateHold is how many steps the boundary heads wait before they
		// learn (0: from the start); until then the rest of the model trains
		// on the boundaries of the starting policy.
		GateHold int `toml:"gate_hold"`
	} `toml:"train"`
	Eval struct {
		Every     int `toml:"every"`      // steps between logged training metrics
		VarianceK int `toml:"variance_k"` // gate resamples per variance checkpoint (0: none)
		Variance  int `toml:"variance"`   // variance checkpoints, evenly spread
	} `toml:"eval"`
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// Validate checks ranges; each problem names its key.
func (s *Settings) Validate() error {
	var ps experiment.Problems
	if !oneOf(s.Data.Corpus, Corpora) {
		ps.Addf("data.corpus", "want one of %s, got %q", strings.Join(Corpora, ", "), s.Data.Corpus)
	}
	if s.Data.Lag < 1 || s.Data.Lag > 64 {
		ps.Addf("data.lag", "want 1..64 words, got %d", s.Data.Lag)
	}
	if !(s.Data.Follow >= 0 && s.Data.Follow <= 1) {
		ps.Addf("data.follow", "want [0, 1], got %g", s.Data.Follow)
	}
	if s.Data.TrainBytes < 10000 || s.Data.TrainBytes > 1<<30 {
		ps.Addf("data.train_bytes", "want 10000..2^30, got %d", s.Data.TrainBytes)
	}
	if s.Data.ValidWindows < 1 || s.Data.ValidWindows > 100000 {
		ps.Addf("data.valid_windows", "want 1..100000, got %d", s.Data.ValidWindows)
	}
	m := s.Model
	if m.Dim < 2 || m.Dim > 1024 {
		ps.Addf("model.dim", "want 2..1024, got %d", m.Dim)
	}
	if m.Heads < 1 || m.Dim%m.Heads != 0 || (m.Dim/max(m.Heads, 1))%2 != 0 {
		ps.Addf("model.heads", "want a divisor of model.dim (%d) leaving an even head size, got %d", m.Dim, m.Heads)
	}
	if m.Down < 1 || m.Down > 16 {
		ps.Addf("model.down", "want 1..16 blocks, got %d", m.Down)
	}
	if m.Mid < 0 || m.Mid > 16 {
		ps.Addf("model.mid", "want 0..16 blocks, got %d", m.Mid)
	}
	if m.Up < 0 || m.Up > 16 {
		ps.Addf("model.up", "want 0..16 blocks, got %d", m.Up)
	}
	if m.Window < 1 || m.Window > 4096 {
		ps.Addf("model.window", "want 1..4096 bytes, got %d", m.Window)
	}
	if m.UpWindow < 0 || m.UpWindow > 4096 {
		ps.Addf("model.up_window", "want 0..4096 bytes (0: pointwise), got %d", m.UpWindow)
	}
	if m.Taps < 1 || m.Taps > 64 {
		ps.Addf("model.taps", "want 1..64, got %d", m.Taps)
	}
	if !(m.Scale > 0 && m.Scale <= 100) {
		ps.Addf("model.scale", "want (0, 100], got %g", m.Scale)
	}
	if m.Upsample != "output" && m.Upsample != "deviation" {
		ps.Addf("model.upsample", "want \"output\" or \"deviation\", got %q", m.Upsample)
	}
	if m.GateInit != "normal" && m.GateInit != "zero" {
		ps.Addf("model.gate_init", "want \"normal\" or \"zero\", got %q", m.GateInit)
	}
	b := s.Boundaries
	if !oneOf(b.Method, Methods) {
		ps.Addf("boundaries.method", "want one of %s, got %q", strings.Join(Methods, ", "), b.Method)
	}
	if !(b.Rate > 0 && b.Rate < 1) {
		ps.Addf("boundaries.rate", "want (0, 1), got %g", b.Rate)
	}
	if b.Reward != "early-exit" && b.Reward != "plain" {
		ps.Addf("boundaries.reward", "want \"early-exit\" or \"plain\", got %q", b.Reward)
	}
	for _, w := range []struct {
		key string
		v   float64
	}{{"boundaries.gate_weight", b.GateWeight}, {"boundaries.rate_weight", b.RateWeight},
		{"boundaries.early_weight", b.EarlyWeight}, {"boundaries.prior_weight", b.PriorWeight},
		{"boundaries.entropy_weight", b.EntropyWeight}} {
		if !(w.v >= 0 && w.v <= 1e6) {
			ps.Addf(w.key, "want [0, 1e6], got %g", w.v)
		}
	}
	if !(b.Tau > 0 && b.Tau <= 100) {
		ps.Addf("boundaries.tau", "want (0, 100], got %g", b.Tau)
	}
	t := s.Train
	if t.Steps < 0 || t.Steps > 10000000 {
		ps.Addf("train.steps", "want 0..1e7, got %d", t.Steps)
	}
	if t.Batch < 2 || t.Batch > 4096 {
		ps.Addf("train.batch", "want 2..4096 sequences (centring needs two), got %d", t.Batch)
	}
	if t.Seq < 8 || t.Seq > 65536 {
		ps.Addf("train.seq", "want 8..65536 bytes, got %d", t.Seq)
	}
	if !(t.LR > 0 && t.LR < 1) {
		ps.Addf("train.lr", "want (0, 1), got %g", t.LR)
	}
	if t.Warmup < 0 {
		ps.Addf("train.warmup", "want >= 0, got %d", t.Warmup)
	}
	if !(t.GateLR > 0 && t.GateLR <= 1000) {
		ps.Addf("train.gate_lr", "want (0, 1000] (a multiple of train.lr), got %g", t.GateLR)
	}
	if t.GateHold < 0 || (t.Steps > 0 && t.GateHold >= t.Steps) {
		ps.Addf("train.gate_hold", "want 0 <= gate_hold < train.steps (%d), got %d", t.Steps, t.GateHold)
	}
	if !(t.Clip >= 0) {
		ps.Addf("train.clip", "want >= 0 (0 = no clipping), got %g", t.Clip)
	}
	if s.Eval.Every < 1 {
		ps.Addf("eval.every", "want >= 1, got %d", s.Eval.Every)
	}
	if s.Eval.VarianceK == 1 || s.Eval.VarianceK < 0 || s.Eval.VarianceK > 1000 {
		ps.Addf("eval.variance_k", "want 0 (off) or 2..1000, got %d", s.Eval.VarianceK)
	}
	if s.Eval.Variance < 0 || s.Eval.Variance > 100 {
		ps.Addf("eval.variance", "want 0..100 checkpoints, got %d", s.Eval.Variance)
	}
	return ps.Err()
}

// Study is the boundaries study. Its zero value loads the discount from
// the run's "discount" plugin; NewDiscount, when set, replaces that.
type Study struct {
	NewDiscount func(ctx context.Context, env *experiment.RunEnv) (Discount, func(), error)
}

// Name is "boundaries".
func (Study) Name() string { return "boundaries" }

// Version enters every run's identity.
func (Study) Version() string { return "1" }

// Settings returns the defaults: REINFORCE on the "skip" language.
func (Study) Settings() any {
	s := &Settings{}
	s.Data.Corpus, s.Data.Seed, s.Data.Lag, s.Data.Follow = "skip", 1, 4, 0.9
	s.Data.TrainBytes, s.Data.ValidWindows = 2000000, 64
	s.Model.Dim, s.Model.Heads, s.Model.Down, s.Model.Mid, s.Model.Up = 32, 2, 1, 2, 1
	s.Model.Window, s.Model.UpWindow, s.Model.Taps, s.Model.Scale = 16, 0, 8, 1
	s.Model.Upsample, s.Model.GateInit = "output", "normal"
	b := &s.Boundaries
	b.Method, b.Rate, b.Reward = Reinforce, 0.2, "early-exit"
	b.GateWeight, b.RateWeight, b.EarlyWeight, b.Tau, b.PriorWeight = 0.01, 0.01, 0.1, 0.5, 1
	s.Train.Steps, s.Train.Batch, s.Train.Seq, s.Train.LR, s.Train.Warmup, s.Train.Clip = 600, 8, 256, 3e-3, 50, 1
	s.Train.GateLR = 1
	s.Eval.Every, s.Eval.VarianceK, s.Eval.Variance = 25, 8, 3
	return s
}

// Slots: the discount (variance reducer) the REINFORCE estimator uses.
func (Study) Slots() []experiment.Slot {
	return []experiment.Slot{{Name: "discount", Kind: "discount", Default: "builtin:exponential",
		Doc: "turns per-byte rewards into advantages (centring, G_t = r_t + gamma G_{t+1}); used by boundaries.method = reinforce"}}
}

// DataDigests reads the real corpora; the synthetic languages are code.
func (Study) DataDigests(_ context.Context, settings any) (map[string]string, error) {
	s := settings.(*Settings)
	if s.Data.Corpus == "skip" || s.Data.Corpus == "prefix" {
		return nil, nil
	}
	c, err := LoadCorpus(spec(s))
	if err != nil {
		return nil, err
	}
	return map[string]string{c.Name: c.Digest}, nil
}

func spec(s *Settings) CorpusSpec {
	return CorpusSpec{Name: s.Data.Corpus, Seed: uint64(s.Data.Seed), Lag: s.Data.Lag, Follow: s.Data.Follow,
		TrainBytes: s.Data.TrainBytes, ValidBytes: s.Data.ValidWindows*(s.Train.Seq+1) + 1}
}

func (st Study) discount(ctx context.Context, env *experiment.RunEnv) (Discount, func(), error) {
	if st.NewDiscount != nil {
		return st.NewDiscount(ctx, env)
	}
	p, ok := env.Plugins["discount"]
	if !ok {
		return nil, nil, fmt.Errorf("boundaries: no discount plugin in the run")
	}
	trust := plugin.Guarded
	if p.Trust == experiment.TrustTrusted {
		trust = plugin.Trusted
	}
	pl, err := plugin.Load(ctx, p.Wasm, plugin.Config{Name: p.Slot, Digest: p.Digest, Kind: abi.Kind(p.Kind), Trust: trust,
		Params: p.Params, MaxInstances: 1, Seed: uint64(env.Seed), Timeout: time.Minute})
	if err != nil {
		return nil, nil, fmt.Errorf("boundaries: discount: %w", err)
	}
	d, err := plugin.NewDiscount(pl)
	if err != nil {
		pl.Close(ctx)
		return nil, nil, fmt.Errorf("boundaries: discount: %w", err)
	}
	return d, func() { pl.Close(context.WithoutCancel(ctx)) }, nil
}

// Run trains the model with the configured boundaries and records the
// held-out bits per byte, the boundary statistics and, for the learned
// boundaries, the estimator's relative variance at a few checkpoints.
func (st Study) Run(ctx context.Context, env *experiment.RunEnv) error {
	s := env.Settings.(*Settings)
	start := time.Now()
	c, err := LoadCorpus(spec(s))
	if err != nil {
		return err
	}
	S := s.Train.Seq
	if len(c.Train) < S+1 || len(c.Valid) < S+1 {
		return fmt.Errorf("boundaries: corpus %s has %d training and %d validation bytes, want at least train.seq+1 = %d", c.Name, len(c.Train), len(c.Valid), S+1)
	}
	cfg := Config{Vocab: c.Alpha.Size(), Dim: s.Model.Dim, Heads: s.Model.Heads, Down: s.Model.Down, Mid: s.Model.Mid, Up: s.Model.Up,
		Window: s.Model.Window, UpWindow: s.Model.UpWindow, Taps: s.Model.Taps, Scale: s.Model.Scale, Rate: s.Boundaries.Rate,
		Deviation: s.Model.Upsample == "deviation", ZeroGate: s.Model.GateInit == "zero"}
	m, err := NewModel[float32](cfg, env.Rand("init"))
	if err != nil {
		return err
	}
	b := s.Boundaries
	obj := Objective{Method: b.Method, Rate: b.Rate, Reward: b.Reward, GateWeight: b.GateWeight, RateWeight: b.RateWeight,
		EarlyWeight: b.EarlyWeight, Tau: b.Tau, PriorWeight: b.PriorWeight, EntropyWeight: b.EntropyWeight, Steps: s.Train.Steps}
	var disc Discount
	if b.Method == Reinforce {
		d, closeD, err := st.discount(ctx, env)
		if err != nil {
			return err
		}
		defer closeD()
		disc = d
	}
	tr := NewTrainer(m, obj, disc, c.Alpha)
	env.Summary("params", float64(m.NumParams()))
	env.Summary("vocab", float64(c.Alpha.Size()))
	env.Logf("%s on %s: %d parameters, %d symbols, %d training bytes", b.Method, c.Name, m.NumParams(), c.Alpha.Size(), len(c.Train))

	batches, gates, vrng := env.Rand("batches"), env.Rand("gates"), env.Rand("variance")
	sched := optim.WarmupCosine{Base: s.Train.LR, Warmup: s.Train.Warmup, Total: s.Train.Steps, Min: s.Train.LR / 10}
	ps := m.Params()
	opt := newStepper(m, s.Train.GateLR, s.Train.GateHold)
	varAt := map[int]int{}
	if Learned(b.Method) && s.Eval.VarianceK > 0 {
		for i := 0; i < s.Eval.Variance; i++ {
			varAt[(s.Train.Steps*i)/max(s.Eval.Variance-1, 1)] = i
		}
	}
	varBatch := Windows(c.Train, env.Rand("variance-batch"), s.Train.Batch, S+1)
	var acc Stats
	nacc := 0
	for step := 0; step <= s.Train.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if k, ok := varAt[step]; ok {
			in, tgt := c.Alpha.Tokens(varBatch)
			v, err := tr.GateGradVariance(ctx, in, tgt, len(varBatch), S, s.Eval.VarianceK, int64(step), vrng)
			if err != nil {
				return err
			}
			env.Summary(fmt.Sprintf("variance/%d", k), v)
			env.Summary(fmt.Sprintf("variance/%d/step", k), float64(step))
			if err := env.Metric(step, map[string]float64{"grad_rel_variance": v}); err != nil {
				return err
			}
		}
		if step == s.Train.Steps {
			break
		}
		in, tgt := c.Alpha.Tokens(Windows(c.Train, batches, s.Train.Batch, S+1))
		stt, err := tr.Step(ctx, in, tgt, s.Train.Batch, S, int64(step), gates)
		if err != nil {
			return err
		}
		if math.IsNaN(stt.Final) {
			return fmt.Errorf("boundaries: loss is NaN at step %d", step)
		}
		if s.Train.Clip > 0 {
			optim.ClipGlobalNorm(opt.grads, s.Train.Clip)
		}
		opt.step(sched.LR(step))
		acc.Final += stt.Final
		acc.Early += stt.Early
		acc.Rate += stt.Rate
		acc.MeanP += stt.MeanP
		acc.Recall += stt.Recall
		acc.Offset0 += stt.Offset0
		acc.Offset1 += stt.Offset1
		nacc++
		env.Progress(step+1, s.Train.Steps)
		if (step+1)%s.Eval.Every == 0 || step+1 == s.Train.Steps {
			n := float64(nacc)
			if err := env.Metric(step+1, map[string]float64{"train_bpb": acc.Final / n / math.Ln2,
				"train_early_bpb": acc.Early / n / math.Ln2, "train_rate": acc.Rate / n, "train_mean_p": acc.MeanP / n,
				"train_space_recall": acc.Recall / n, "train_offset0": acc.Offset0 / n, "train_offset1": acc.Offset1 / n}); err != nil {
				return err
			}
			acc, nacc = Stats{}, 0
		}
	}
	autodiff.ZeroGrads(ps)
	env.Summary("train_seconds", time.Since(start).Seconds())

	valid := Consecutive(c.Valid, s.Data.ValidWindows, S+1)
	e, err := tr.Evaluate(valid, s.Train.Batch, env.Rand("eval-gates"))
	if err != nil {
		return err
	}
	env.Summary("bpb", e.BPB)
	env.Summary("early_bpb", e.EarlyBPB)
	env.Summary("rate", e.Rate)
	env.Summary("space_recall", e.Recall)
	env.Summary("alignment", e.Precision)
	env.Summary("offset_peak", e.Peak)
	env.Summary("offset_peak_at", float64(e.PeakAt))
	for k, v := range e.Offsets {
		env.Summary(fmt.Sprintf("offset/%d", k), v)
	}
	env.Summary("seconds", time.Since(start).Seconds())
	env.Logf("bpb %.4f (early %.4f), rate %.3f, space recall %.3f, alignment %.3f, offset peak %.2f at %d",
		e.BPB, e.EarlyBPB, e.Rate, e.Recall, e.Precision, e.Peak, e.PeakAt)
	if err := env.WriteFile("sample.txt", []byte(Marked(valid[0][:S], e.Gates)+"\n")); err != nil {
		return err
	}
	if p, err := offsetPlot(b.Method+" on "+c.Name, e.Offsets); err == nil {
		if err := env.Plot("offsets", p, 0, 0); err != nil {
			return err
		}
	}
	return nil
}

// stepper is Adam with two states over disjoint parameter sets: the
// boundary heads (the gater and the straight-through head) at gateLR times
// the learning rate, the rest at the learning rate. Adam is elementwise, so
// gateLR 1 is the same update as one optimizer over all parameters.
type stepper struct {
	rest, gate          optim.Adam[float32]
	gateLR              float64
	hold, n             int         // the boundary heads learn from step hold on; n steps taken
	grads               [][]float32 // every parameter's gradient (for clipping)
	restVals, restGrads [][]float32
	gateVals, gateGrads [][]float32
}

func newStepper(m *Model[float32], gateLR float64, hold int) *stepper {
	st := &stepper{gateLR: gateLR, hold: hold}
	isGate := map[*autodiff.Var[float32]]bool{}
	for _, p := range m.GateParams() {
		isGate[p] = true
	}
	for _, p := range m.Params() {
		st.grads = append(st.grads, p.Grad.Data)
		if isGate[p] {
			st.gateVals, st.gateGrads = append(st.gateVals, p.Value.Data), append(st.gateGrads, p.Grad.Data)
		} else {
			st.restVals, st.restGrads = append(st.restVals, p.Value.Data), append(st.restGrads, p.Grad.Data)
		}
	}
	return st
}

// step applies one update at learning rate lr. While the boundary heads
// are held they are not stepped at all, so their Adam moments and step
// count start when they are released.
func (st *stepper) step(lr float64) {
	st.rest.LR, st.gate.LR = lr, lr*st.gateLR
	st.rest.StepSlices(st.restVals, st.restGrads)
	if st.n >= st.hold {
		st.gate.StepSlices(st.gateVals, st.gateGrads)
	}
	st.n++
}

// Marked writes text with a '|' after every byte that ends a token.
func Marked(text []byte, gates []float64) string {
	var sb strings.Builder
	for t, c := range text {
		switch c {
		case '\n':
			sb.WriteString("⏎")
		case '\t':
			sb.WriteString("⇥")
		default:
			sb.WriteByte(c)
		}
		if t < len(gates) && gates[t] != 0 {
			sb.WriteByte('|')
		}
	}
	return sb.String()
}

var (
	_ experiment.Study        = Study{}
	_ experiment.Slotted      = Study{}
	_ experiment.DataDigester = Study{}
)
