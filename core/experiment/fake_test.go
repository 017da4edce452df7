package experiment

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"
)

// toy is a fake study for tests: a noisy quadratic "trained" for Steps
// steps, optionally sleeping per step, appending its run ID to execLog on
// every execution so tests can count them.
type toy struct {
	execLog string
	slots   []Slot
}

type toySettings struct {
	Model struct {
		Hidden int    `toml:"hidden"`
		Act    string `toml:"act"`
	} `toml:"model"`
	Train struct {
		Steps int           `toml:"steps"`
		LR    float64       `toml:"lr"`
		Sleep time.Duration `toml:"sleep"`
		Fail  bool          `toml:"fail"`
	} `toml:"train"`
	Tags []string `toml:"tags"`
}

func (s *toySettings) Validate() error {
	var ps Problems
	if s.Model.Hidden < 1 || s.Model.Hidden > 4096 {
		ps.Addf("model.hidden", "want 1..4096, got %d", s.Model.Hidden)
	}
	if s.Model.Act != "relu" && s.Model.Act != "tanh" {
		ps.Addf("model.act", "want relu or tanh, got %q", s.Model.Act)
	}
	if s.Train.Steps < 1 {
		ps.Addf("train.steps", "want at least 1, got %d", s.Train.Steps)
	}
	if !(s.Train.LR > 0) {
		ps.Addf("train.lr", "want > 0, got %g", s.Train.LR)
	}
	return ps.Err()
}

func (t *toy) Name() string { return "toy" }

func (t *toy) Settings() any {
	s := &toySettings{}
	s.Model.Hidden, s.Model.Act = 16, "relu"
	s.Train.Steps, s.Train.LR = 5, 0.1
	return s
}

func (t *toy) Slots() []Slot { return t.slots }

func (t *toy) Run(ctx context.Context, env *RunEnv) error {
	s := env.Settings.(*toySettings)
	if t.execLog != "" {
		f, err := os.OpenFile(t.execLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return err
		}
		fmt.Fprintf(f, "%s\n", env.ID)
		f.Close()
	}
	rng := env.Rand("train")
	w := rng.NormFloat64()
	for step := 1; step <= s.Train.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.Train.Sleep > 0 {
			time.Sleep(s.Train.Sleep)
		}
		w -= s.Train.LR * 2 * w / math.Sqrt(float64(s.Model.Hidden))
		loss := w*w + 0.01*rng.Float64()
		if err := env.Metric(step, map[string]float64{"loss": loss, "w": w}); err != nil {
			return err
		}
		env.Progress(step, s.Train.Steps)
	}
	if s.Train.Fail {
		return fmt.Errorf("toy: asked to fail")
	}
	env.Summary("loss", w*w)
	env.Summary("hidden", float64(s.Model.Hidden))
	env.Logf("w=%g", w)
	return nil
}

// fakeResolvers resolve "builtin:x" and files to deterministic bytes
// without any .wasm on disk.
func fakeResolvers() Resolvers {
	return Resolvers{
		"builtin": ResolverFunc(func(_ context.Context, ref PluginRef) (Resolved, error) {
			if ref.Name == "missing" {
				return Resolved{}, fmt.Errorf("experiment: no built-in %s plugin %q", ref.Kind, ref.Name)
			}
			b := []byte("\x00asm fake " + ref.Kind + "/" + ref.Name)
			return Resolved{Source: "fake/" + ref.Name, Digest: Digest(b), Wasm: b, MayTrust: true}, nil
		}),
		"file": FileResolver{},
	}
}

func testEnv(t interface{ Fatal(...any) }, execLog string) Env {
	reg, err := NewRegistry(&toy{execLog: execLog, slots: []Slot{{Name: "estimator", Kind: "estimator", Default: "builtin:gauss"}}})
	if err != nil {
		t.Fatal(err)
	}
	return Env{Studies: reg, Resolvers: fakeResolvers(), Host: "test-host"}
}
