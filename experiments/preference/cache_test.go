package preference

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ablate-ml/ablate/core/tensor"
)

// TestModelCache: a saved model loads back bit for bit; a file of the
// wrong size is refused; the key changes with what decides a model (the
// pretraining, the seed, which model) and not with what only uses it
// (rounds, DPO, the judge's init, the condition label).
func TestModelCache(t *testing.T) {
	w := NewWorld(6, 2, 0.3, rand.New(rand.NewPCG(2, 2)))
	m := tinyModel(t, w, 1)
	path := filepath.Join(t.TempDir(), "m.f64")
	if err := saveParams(path, m); err != nil {
		t.Fatal(err)
	}
	g := tinyModel(t, w, 2)
	if err := loadParams(path, g); err != nil {
		t.Fatal(err)
	}
	for k, p := range m.Params {
		for i, v := range p.Value.Data {
			if g.Params[k].Value.Data[i] != v {
				t.Fatalf("%s[%d]: %g after load, want %g", p.Name, i, g.Params[k].Value.Data[i], v)
			}
		}
	}
	big, err := NewModel(ModelConfig{Kind: "transformer", Vocab: w.Size(), D: 16, Layers: 1, Heads: 2, FF: 12}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := loadParams(path, big); err == nil {
		t.Error("a model of another size loaded without error")
	}
	s := Study{}.Settings().(*Settings)
	k := modelKey(s, 1, "base", "1")
	s.Rounds.N, s.DPO.Beta, s.Judge.Init, s.Condition, s.Eval.Target = 5, 0.3, "cross", "x", "dog"
	s.Judge.FinetuneSteps++
	if modelKey(s, 1, "base", "1") != k {
		t.Error("settings that do not decide the model changed its key")
	}
	ft := modelKey(s, 1, "finetuned-cat", "1")
	s.Judge.FinetuneLR *= 2
	if modelKey(s, 1, "finetuned-cat", "1") == ft {
		t.Error("the fine-tuning rate did not change the fine-tuned model's key")
	}
	for name, key := range map[string]string{
		"seed":     modelKey(s, 2, "base", "1"),
		"which":    modelKey(s, 1, "cross", "1"),
		"version":  modelKey(s, 1, "base", "2"),
		"pretrain": func() string { c := *s; c.Pretrain.Steps++; return modelKey(&c, 1, "base", "1") }(),
		"world":    func() string { c := *s; c.World.Numbers++; return modelKey(&c, 1, "base", "1") }(),
		"model":    func() string { c := *s; c.Model.D *= 2; return modelKey(&c, 1, "base", "1") }(),
		"build's matrix products": func() string {
			old := tensor.Backend
			defer func() { tensor.Backend = old }()
			tensor.Backend += " (another)"
			return modelKey(s, 1, "base", "1")
		}(),
	} {
		if key == k {
			t.Errorf("changing the %s did not change the model key", name)
		}
	}
}
