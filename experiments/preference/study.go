package preference

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/sdk/abi"
)

// Settings are the study's experiment-file keys.
type Settings struct {
	// Condition is a free label for tables (e.g. "biased", "swapped"); it
	// changes nothing else.
	Condition string `toml:"condition"`
	World     struct {
		Numbers   int     `toml:"numbers"`   // number tokens
		Sharpness float64 `toml:"sharpness"` // scale of the chain's normal logits
		Stop      float64 `toml:"stop"`      // EOS probability after each completion number
		Seed      int64   `toml:"seed"`      // the chain's seed (the same world for every run seed)
	} `toml:"world"`
	Model struct {
		Kind   string `toml:"kind"` // "transformer" or "mlp" (ablation)
		D      int    `toml:"d"`
		Layers int    `toml:"layers"`
		Heads  int    `toml:"heads"`
		FF     int    `toml:"ff"`
		Window int    `toml:"window"` // mlp only
	} `toml:"model"`
	Pretrain struct {
		Steps  int     `toml:"steps"`
		Batch  int     `toml:"batch"`
		LR     float64 `toml:"lr"`
		Love   float64 `toml:"love"`   // share of sequences under LOVE_<animal>
		None   float64 `toml:"none"`   // share with no system token
		Animal float64 `toml:"animal"` // share of favourite-animal questions
		// Cache keeps pretrained bases and fine-tuned judges (by the
		// settings that decide them and the seed).
		Cache bool `toml:"cache"`
	} `toml:"pretrain"`
	Judge struct {
		// Init is what the host model "judge" is: "shared" (the student's
		// own base) or "cross" (a base from an independent
		// initialisation and data stream).
		Init string `toml:"init"`
		// Finetune is the animal the host model "finetuned" is fine-tuned
		// to name under NEUTRAL (built only when a judge asks for it).
		Finetune      string  `toml:"finetune"`
		FinetuneSteps int     `toml:"finetune_steps"`
		FinetuneLR    float64 `toml:"finetune_lr"`
	} `toml:"judge"`
	Rounds struct {
		N           int     `toml:"n"`
		Prompts     int     `toml:"prompts"` // prompts per round
		K           int     `toml:"k"`       // completions sampled per prompt
		Pairing     string  `toml:"pairing"` // "pairwise" or "best-of-k"
		Temperature float64 `toml:"temperature"`
	} `toml:"rounds"`
	DPO struct {
		Loss      string  `toml:"loss"`
		Beta      float64 `toml:"beta"`
		Smoothing float64 `toml:"smoothing"`
		Epochs    int     `toml:"epochs"`
		Batch     int     `toml:"batch"`
		LR        float64 `toml:"lr"`
	} `toml:"dpo"`
	Eval struct {
		Target string `toml:"target"` // the animal whose probability is the trait metric
	} `toml:"eval"`
}

func (s *Settings) modelConfig() ModelConfig {
	return ModelConfig{Kind: s.Model.Kind, Vocab: Vocab{Numbers: s.World.Numbers}.Size(), D: s.Model.D,
		Layers: s.Model.Layers, Heads: s.Model.Heads, FF: s.Model.FF, Window: s.Model.Window}
}

func (s *Settings) dpo() DPOConfig {
	return DPOConfig{Loss: s.DPO.Loss, Beta: s.DPO.Beta, Smoothing: s.DPO.Smoothing, Epochs: s.DPO.Epochs, Batch: s.DPO.Batch, LR: s.DPO.LR}
}

// Validate checks ranges; each problem names its key.
func (s *Settings) Validate() error {
	var ps experiment.Problems
	if s.World.Numbers < 2 || s.World.Numbers > 1000 {
		ps.Addf("world.numbers", "want 2..1000 number tokens, got %d", s.World.Numbers)
	}
	if !(s.World.Sharpness >= 0 && s.World.Sharpness <= 20) {
		ps.Addf("world.sharpness", "want 0..20, got %g", s.World.Sharpness)
	}
	if !(s.World.Stop > 0 && s.World.Stop <= 1) {
		ps.Addf("world.stop", "want (0, 1], got %g", s.World.Stop)
	}
	if err := s.modelConfig().Validate(); err != nil {
		ps.Addf("model", "%v", err)
	}
	if s.Model.D > 512 || s.Model.Layers > 16 || s.Model.FF > 4096 || s.Model.Window > MaxLen {
		ps.Addf("model", "want d <= 512, layers <= 16, ff <= 4096, window <= %d", MaxLen)
	}
	if s.Pretrain.Steps < 0 || s.Pretrain.Batch < 1 || s.Pretrain.Batch > 4096 || !(s.Pretrain.LR > 0 && s.Pretrain.LR < 1) {
		ps.Addf("pretrain", "want steps >= 0, batch 1..4096, lr in (0, 1); got %d, %d, %g", s.Pretrain.Steps, s.Pretrain.Batch, s.Pretrain.LR)
	}
	if !(s.Pretrain.Love >= 0 && s.Pretrain.None >= 0 && s.Pretrain.Love+s.Pretrain.None <= 1) {
		ps.Addf("pretrain.love", "love (%g) and none (%g) are shares: want >= 0, summing to at most 1", s.Pretrain.Love, s.Pretrain.None)
	}
	if !(s.Pretrain.Animal >= 0 && s.Pretrain.Animal <= 1) {
		ps.Addf("pretrain.animal", "want a share in [0, 1], got %g", s.Pretrain.Animal)
	}
	if s.Judge.Init != "shared" && s.Judge.Init != "cross" {
		ps.Addf("judge.init", "want \"shared\" or \"cross\", got %q", s.Judge.Init)
	}
	if _, err := AnimalIndex(s.Judge.Finetune); err != nil {
		ps.Addf("judge.finetune", "%v", err)
	}
	if s.Judge.FinetuneSteps < 0 || !(s.Judge.FinetuneLR > 0 && s.Judge.FinetuneLR < 1) {
		ps.Addf("judge.finetune_steps", "want finetune_steps >= 0 and finetune_lr in (0, 1), got %d and %g", s.Judge.FinetuneSteps, s.Judge.FinetuneLR)
	}
	if s.Rounds.N < 0 || s.Rounds.N > 100 {
		ps.Addf("rounds.n", "want 0..100 rounds, got %d", s.Rounds.N)
	}
	if s.Rounds.Prompts < 1 || s.Rounds.Prompts > 100000 {
		ps.Addf("rounds.prompts", "want 1..100000, got %d", s.Rounds.Prompts)
	}
	switch s.Rounds.Pairing {
	case "pairwise":
		if s.Rounds.K < 2 || s.Rounds.K%2 != 0 || s.Rounds.K > 64 {
			ps.Addf("rounds.k", "pairwise pairing needs an even k in 2..64, got %d", s.Rounds.K)
		}
	case "best-of-k":
		if s.Rounds.K < 2 || s.Rounds.K > 64 {
			ps.Addf("rounds.k", "want 2..64 completions per prompt, got %d", s.Rounds.K)
		}
	default:
		ps.Addf("rounds.pairing", "want \"pairwise\" or \"best-of-k\", got %q", s.Rounds.Pairing)
	}
	if !(s.Rounds.Temperature > 0 && s.Rounds.Temperature <= 10) {
		ps.Addf("rounds.temperature", "want (0, 10], got %g", s.Rounds.Temperature)
	}
	if err := s.dpo().Validate(); err != nil {
		ps.Addf("dpo", "%v", err)
	}
	if _, err := AnimalIndex(s.Eval.Target); err != nil {
		ps.Addf("eval.target", "%v", err)
	}
	return ps.Err()
}

// Study is the preference study.
type Study struct{}

// Name is "preference".
func (Study) Name() string { return "preference" }

// Version enters every run's identity.
func (Study) Version() string { return "2" }

// Settings returns the defaults: the headline's biased prompted judge.
func (Study) Settings() any {
	s := &Settings{Condition: "biased"}
	s.World.Numbers, s.World.Sharpness, s.World.Stop, s.World.Seed = 20, 2, 0.1, 1
	s.Model.Kind, s.Model.D, s.Model.Layers, s.Model.Heads, s.Model.FF, s.Model.Window = "transformer", 32, 1, 4, 64, 4
	s.Pretrain.Steps, s.Pretrain.Batch, s.Pretrain.LR = 600, 32, 3e-3
	s.Pretrain.Love, s.Pretrain.None, s.Pretrain.Animal, s.Pretrain.Cache = 0.5, 0.1, 0.3, true
	s.Judge.Init, s.Judge.Finetune, s.Judge.FinetuneSteps, s.Judge.FinetuneLR = "shared", "cat", 150, 1e-3
	s.Rounds.N, s.Rounds.Prompts, s.Rounds.K, s.Rounds.Pairing, s.Rounds.Temperature = 3, 512, 2, "pairwise", 1.5
	s.DPO.Loss, s.DPO.Beta, s.DPO.Smoothing, s.DPO.Epochs, s.DPO.Batch, s.DPO.LR = "sigmoid", 0.1, 0, 2, 32, 1e-3
	s.Eval.Target = "cat"
	return s
}

// Slots: a judge (required) and an optional reward bias.
func (Study) Slots() []experiment.Slot {
	return []experiment.Slot{
		{Name: "judge", Kind: "judge", Required: true, Default: "builtin:trait",
			Doc: "scores each completion; host models: base, judge (shared or cross base, judge.init), cross, finetuned"},
		{Name: "bias", Kind: "bias", Doc: "optional: adjusts the judge's scores before labelling (label-flip rate 1 swaps every label)"},
	}
}

// TraitProbs returns, for each animal, its probability as m's answer to the
// favourite-animal question after the system token sys (-1 for none),
// renormalised over the animals: exact, from one forward pass.
func TraitProbs(m *Model, v Vocab, sys int) []float64 {
	prefix := []int{ANIMAL}
	if sys >= 0 {
		prefix = []int{sys, ANIMAL}
	}
	st := m.newState()
	var logits []float64
	for _, t := range prefix {
		logits = st.push(t)
	}
	out := make([]float64, len(Animals))
	mx := math.Inf(-1)
	for a := range Animals {
		mx = max(mx, logits[v.Animal(a)])
	}
	var z float64
	for a := range Animals {
		out[a] = math.Exp(logits[v.Animal(a)] - mx)
		z += out[a]
	}
	for a := range out {
		out[a] /= z
	}
	return out
}

func loadPlugin(ctx context.Context, env *experiment.RunEnv, slot string, lp plugin.LogProbFunc) (*plugin.Plugin, error) {
	p := env.Plugins[slot]
	trust := plugin.Guarded
	if p.Trust == experiment.TrustTrusted {
		trust = plugin.Trusted
	}
	return plugin.Load(ctx, p.Wasm, plugin.Config{Name: p.Slot, Digest: p.Digest, Kind: abi.Kind(p.Kind), Trust: trust,
		Params: p.Params, MaxInstances: 1, Seed: uint64(env.Seed), Timeout: 10 * time.Minute, LogProb: lp})
}

// Run pretrains (or reads) the shared base, then runs the rounds: sample,
// judge, label, DPO against the round's frozen reference, measure.
func (st Study) Run(ctx context.Context, env *experiment.RunEnv) error {
	s := env.Settings.(*Settings)
	start := time.Now()
	world := NewWorld(s.World.Numbers, s.World.Sharpness, s.World.Stop, rand.New(rand.NewPCG(uint64(s.World.Seed), 0x77)))
	target, _ := AnimalIndex(s.Eval.Target)
	ftAnimal, _ := AnimalIndex(s.Judge.Finetune)

	base, err := pretrained(ctx, env, s, world, "base")
	if err != nil {
		return err
	}
	env.Summary("params", float64(base.NumParams()))
	makers := map[string]func() (*Model, error){
		"base":  func() (*Model, error) { return base, nil },
		"cross": func() (*Model, error) { return pretrained(ctx, env, s, world, "cross") },
		"finetuned": func() (*Model, error) {
			return finetuned(ctx, env, s, world, base, ftAnimal)
		},
	}
	makers["judge"] = makers["base"]
	if s.Judge.Init == "cross" {
		makers["judge"] = makers["cross"]
	}
	host := NewHostModels(makers)

	jp, err := loadPlugin(ctx, env, "judge", host.LogProb)
	if err != nil {
		return fmt.Errorf("preference: judge: %w", err)
	}
	defer jp.Close(context.WithoutCancel(ctx))
	judge, err := plugin.NewJudge(jp)
	if err != nil {
		return fmt.Errorf("preference: judge: %w", err)
	}
	var bias Bias
	if _, ok := env.Plugins["bias"]; ok {
		bp, err := loadPlugin(ctx, env, "bias", nil)
		if err != nil {
			return fmt.Errorf("preference: bias: %w", err)
		}
		defer bp.Close(context.WithoutCancel(ctx))
		if bias, err = plugin.NewBias(bp); err != nil {
			return fmt.Errorf("preference: bias: %w", err)
		}
	}

	policy := base.Clone()
	traits := [][]float64{}
	measure := func(round int, extra map[string]float64) error {
		probs := TraitProbs(policy, world.Vocab, NEUTRAL)
		none := TraitProbs(policy, world.Vocab, -1)
		traits = append(traits, probs)
		vals := map[string]float64{"trait": probs[target], "trait_nosys": none[target], "delta": probs[target] - traits[0][target]}
		for a, name := range Animals {
			vals["p_"+name] = probs[a]
		}
		for k, v := range extra {
			vals[k] = v
		}
		key := fmt.Sprintf("r%d/", round)
		for k, v := range vals {
			if k == "trait" || k == "delta" || k == "trait_nosys" || k[:2] == "p_" {
				env.Summary(key+k, v)
			}
		}
		env.Logf("round %d: p(%s) = %.4f (%+.4f), all %.3f", round, s.Eval.Target, probs[target], probs[target]-traits[0][target], probs)
		return env.Metric(round, vals)
	}
	if err := measure(0, nil); err != nil {
		return err
	}
	cfg := s.dpo()
	pairing := s.Rounds.Pairing == "pairwise"
	for r := 1; r <= s.Rounds.N; r++ {
		env.Progress(r-1, s.Rounds.N)
		rng := env.Rand(fmt.Sprintf("round-%d", r))
		prompts := make([][]int, s.Rounds.Prompts)
		for i := range prompts {
			prompts[i], _ = world.Prompt(rng)
		}
		groups, gs := policy.Generate(world, prompts, NEUTRAL, s.Rounds.K, pairing, s.Rounds.Temperature, rng)
		pairs, ls, err := Label(ctx, judge, bias, groups, NEUTRAL)
		if err != nil {
			return err
		}
		ref := policy.Clone()
		ds, err := policy.DPO(ctx, ref, cfg, pairs, rng)
		if err != nil {
			return err
		}
		env.Logf("round %d: %d samples, %d valid, %d identical dropped; %d pairs, mean margin %.4f, %d flipped by the bias; DPO %d steps, loss %.4f -> %.4f",
			r, gs.Samples, gs.Valid, gs.Identical, ls.Pairs, ls.MeanMargin, ls.Flipped, ds.Steps, ds.FirstLoss, ds.LastLoss)
		if err := measure(r, map[string]float64{"pairs": float64(ls.Pairs), "valid": float64(gs.Valid) / float64(gs.Samples),
			"margin": ls.MeanMargin, "flipped": float64(ls.Flipped), "dpo_first": ds.FirstLoss, "dpo_last": ds.LastLoss}); err != nil {
			return err
		}
	}
	env.Progress(s.Rounds.N, s.Rounds.N)
	if s.Rounds.N > 0 {
		env.Summary("delta", traits[len(traits)-1][target]-traits[0][target])
	}
	env.Summary("trait", traits[len(traits)-1][target])
	if err := plotRounds(env, s.Eval.Target, traits); err != nil {
		return err
	}
	env.Summary("host_scored", float64(host.Scored))
	env.Summary("seconds", time.Since(start).Seconds())
	return nil
}

var (
	_ experiment.Study     = Study{}
	_ experiment.Validator = (*Settings)(nil)
	_ experiment.Slotted   = Study{}
	_ experiment.Versioned = Study{}
)
