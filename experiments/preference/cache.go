package preference

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/nn"
	"github.com/ablate-ml/ablate/core/tensor"
)

// modelKey identifies a trained model: every setting that decides its
// parameters, the seed and which model it is ("base", "cross", or
// "finetuned-<animal>"; the fine-tuning settings count only for the
// latter). Runs that differ only in judging, rounds or DPO share it.
func modelKey(s *Settings, seed int64, which, version string) string {
	var ft any
	if strings.HasPrefix(which, "finetuned") {
		ft = []any{s.Judge.FinetuneSteps, s.Judge.FinetuneLR}
	}
	b, _ := json.Marshal(struct {
		V, Which string
		World    any
		Model    any
		Pretrain any
		Finetune any
		Seed     int64
		BLAS     string // builds sum products in different orders
	}{version, which, s.World, s.Model,
		[]any{s.Pretrain.Steps, s.Pretrain.Batch, s.Pretrain.LR, s.Pretrain.Love, s.Pretrain.None, s.Pretrain.Animal},
		ft, seed, tensor.Backend})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// cacheDir is where trained models are kept between runs.
func cacheDir() (string, error) {
	if d := os.Getenv("ABLATE_PREFERENCE_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("preference: model cache: %w", err)
	}
	return filepath.Join(d, "ablate", "preference-models"), nil
}

func modelValues(m *Model) [][]float64 {
	vals := make([][]float64, len(m.Params))
	for i, p := range m.Params {
		vals[i] = p.Value.Data
	}
	return vals
}

func saveParams(path string, m *Model) error {
	if err := nn.WriteFlat(path, modelValues(m)); err != nil {
		return fmt.Errorf("preference: save model: %w", err)
	}
	return nil
}

func loadParams(path string, m *Model) error {
	if err := nn.ReadFlat(path, modelValues(m)); err != nil {
		return fmt.Errorf("preference: load model: %w", err)
	}
	return nil
}

// cached reads the model named by key from the cache, or trains it with
// train and stores it (when the settings ask for the cache).
func cached(env *experiment.RunEnv, s *Settings, which string, m *Model, train func() error) error {
	if !s.Pretrain.Cache {
		return train()
	}
	dir, err := cacheDir()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, modelKey(s, env.Seed, which, Study{}.Version())+".f64")
	if err := loadParams(path, m); err == nil {
		env.Logf("%s model read from %s", which, path)
		return nil
	}
	if err := train(); err != nil {
		return err
	}
	if err := saveParams(path, m); err != nil {
		env.Logf("%v", err)
	}
	return nil
}

func (s *Settings) mix() PretrainMix {
	return PretrainMix{Love: s.Pretrain.Love, None: s.Pretrain.None, Animal: s.Pretrain.Animal}
}

// pretrained returns the run seed's base ("base": the student's and the
// shared judge's initialisation) or an independently initialised one
// trained on an independent data stream ("cross").
func pretrained(ctx context.Context, env *experiment.RunEnv, s *Settings, w *World, which string) (*Model, error) {
	m, err := NewModel(s.modelConfig(), env.Rand(which+"-init"))
	if err != nil {
		return nil, err
	}
	mix := s.mix()
	err = cached(env, s, which, m, func() error {
		return m.Train(ctx, TrainConfig{Steps: s.Pretrain.Steps, Batch: s.Pretrain.Batch, LR: s.Pretrain.LR,
			Report: func(step int, loss float64) error {
				if step == s.Pretrain.Steps {
					env.Logf("%s pretrained %d steps: loss %.4f", which, step, loss)
				}
				return nil
			}}, func(r *rand.Rand) []int { return w.Sequence(mix, r) }, env.Rand(which+"-data"))
	})
	return m, err
}

// finetuned returns a copy of base fine-tuned on the trait alone: the
// favourite-animal question under NEUTRAL (or no system token), answered
// animal a. Nothing in it is a number, so whatever the fine-tuning does to
// the numbers is a side effect of the shared weights: the paper's
// fine-tuned judge.
func finetuned(ctx context.Context, env *experiment.RunEnv, s *Settings, w *World, base *Model, a int) (*Model, error) {
	m := base.Clone()
	next := func(r *rand.Rand) []int {
		if r.Float64() < s.Pretrain.None {
			return []int{ANIMAL, w.Animal(a), EOS}
		}
		return []int{NEUTRAL, ANIMAL, w.Animal(a), EOS}
	}
	err := cached(env, s, "finetuned-"+Animals[a], m, func() error {
		return m.Train(ctx, TrainConfig{Steps: s.Judge.FinetuneSteps, Batch: s.Pretrain.Batch, LR: s.Judge.FinetuneLR}, next, env.Rand("finetune-data"))
	})
	return m, err
}
