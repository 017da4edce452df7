package preference

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/experiment/experimenttest"
)

// loadPlan plans an experiment file for the preference study with the
// built-in plugins built from ../../plugins.
func loadPlan(t *testing.T, body string) (*experiment.Plan, string) {
	t.Helper()
	return experimenttest.Load(t, body, Study{}, experiment.Resolvers{
		"builtin": experiment.BuiltinResolver{SourceDir: "../../plugins"}})
}

// TestStudyEffect runs the study end to end on shrunk settings (a shorter
// pretraining, two rounds of 512 prompts) for three seeds: the biased
// shared-init judge raises the probability of naming the cat, on average
// over the seeds, and by more than 4 points above the swapped-label
// control, which pushes it the other way. Without transmission the two
// conditions' means would differ only by noise, which the README's
// 8-seed controls put within a few points.
func TestStudyEffect(t *testing.T) {
	if testing.Short() {
		t.Skip("trains three small transformers")
	}
	t.Setenv("ABLATE_PREFERENCE_CACHE", t.TempDir())
	p, dir := loadPlan(t, `study = "preference"
seeds = [1, 2, 3]
[pretrain]
steps = 400
[rounds]
n = 2
prompts = 512
[dpo]
lr = 3e-3
[plugins.judge]
use = "builtin:trait"
params = { trait_model = "judge", neutral_model = "judge", trait_context = [5], neutral_context = [2] }
[plugins.bias]
use = "builtin:label-flip"
[[sweep.zip]]
condition = ["biased", "swapped"]
"plugins.bias.params.rate" = [0.0, 1.0]
`)
	mean := map[string]float64{}
	for i, r := range experimenttest.Run(t, p, filepath.Join(dir, "runs")) {
		c := r.Run.Settings.(*Settings).Condition
		d := experimenttest.Number(t, r, "delta")
		t.Logf("%s seed %d: delta %+.4f", c, p.Runs[i].Seed, d)
		mean[c] += d / 3
		if m, _ := filepath.Glob(filepath.Join(r.Dir, "plots", "trait-by-round.svg")); len(m) != 1 {
			t.Errorf("run %d: no trait-by-round plot", i)
		}
	}
	t.Logf("mean delta: biased %+.4f, swapped %+.4f", mean["biased"], mean["swapped"])
	if mean["biased"] <= 0 || mean["biased"]-mean["swapped"] < 0.04 {
		t.Errorf("biased %+.4f, swapped %+.4f: want the biased judge to raise p(cat), by more than 4 points over swapped labels", mean["biased"], mean["swapped"])
	}
}

// TestSettingsProblems: bad values are reported at their keys, all at
// once, before anything runs; the defaults validate.
func TestSettingsProblems(t *testing.T) {
	if err := (Study{}).Settings().(*Settings).Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.toml")
	body := `study = "preference"
[rounds]
pairing = "pairwise"
k = 3
temperature = 0
[dpo]
loss = "kto"
[eval]
target = "unicorn"
[judge]
init = "other"
`
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := experiment.NewRegistry(Study{})
	if err != nil {
		t.Fatal(err)
	}
	env := experiment.Env{Studies: reg, Host: "test", Resolvers: experiment.Resolvers{
		"builtin": experiment.ResolverFunc(func(context.Context, experiment.PluginRef) (experiment.Resolved, error) {
			return experiment.Resolved{Source: "test", Digest: "sha256:00", Wasm: []byte{0}, MayTrust: true}, nil
		})}}
	_, err = experiment.Load(context.Background(), file, nil, env)
	if err == nil {
		t.Fatal("bad settings accepted")
	}
	for _, want := range []string{"rounds.k", "rounds.temperature", `dpo: preference: dpo loss "kto"`, `eval.target: preference: unknown animal "unicorn"`, "judge.init"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}
