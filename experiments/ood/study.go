package ood

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/ablate-ml/ablate/core/data"
	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/metrics"
	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/sdk/abi"
)

// Settings are the study's experiment-file keys.
type Settings struct {
	Data struct {
		In    string   `toml:"in"`    // "fashion-mnist" or "mnist"
		OOD   []string `toml:"ood"`   // data sets or synthetic sets
		Train int      `toml:"train"` // training images of the ID set
		Fit   int      `toml:"fit"`   // estimator-fit images (first half of the ID test split)
		Test  int      `toml:"test"`  // ID test images (second half) and images per OOD set
	} `toml:"data"`
	Model struct {
		Kind      string  `toml:"kind"`   // "flow" or "vae"
		Latent    int     `toml:"latent"` // the VAE's latent size
		Couplings int     `toml:"couplings"`
		Hidden    int     `toml:"hidden"`
		Alpha     float64 `toml:"alpha"`
	} `toml:"model"`
	Train struct {
		Steps int     `toml:"steps"`
		Batch int     `toml:"batch"`
		LR    float64 `toml:"lr"`
		Clip  float64 `toml:"clip"`
		// Cache keeps trained flows (by every setting that decides them and
		// the seed) so that runs differing only in evaluation share one.
		Cache bool `toml:"cache"`
	} `toml:"train"`
	Eval struct {
		B         []int   `toml:"b"`         // batch sizes of the scored groups
		Bootstrap int     `toml:"bootstrap"` // Typicality's bootstrap batches
		Level     float64 `toml:"level"`     // Typicality's epsilon quantile
	} `toml:"eval"`
}

// oodSets are the OOD sets the study knows, besides the other image set.
var oodSets = map[string]bool{"mnist": true, "fashion-mnist": true, "uniform": true, "gaussian": true,
	"constant": true, "inverted": true, "vflip": true}

// Validate checks ranges; each problem names its key.
func (s *Settings) Validate() error {
	var ps experiment.Problems
	if s.Data.In != "mnist" && s.Data.In != "fashion-mnist" {
		ps.Addf("data.in", "want \"mnist\" or \"fashion-mnist\", got %q", s.Data.In)
	}
	if len(s.Data.OOD) == 0 {
		ps.Addf("data.ood", "want at least one OOD set")
	}
	for _, o := range s.Data.OOD {
		if !oodSets[o] || o == s.Data.In {
			ps.Addf("data.ood", "unknown OOD set %q (want mnist, fashion-mnist other than data.in, uniform, gaussian, constant, inverted, vflip)", o)
		}
	}
	if s.Data.Train < 1 || s.Data.Train > 60000 {
		ps.Addf("data.train", "want 1..60000 images, got %d", s.Data.Train)
	}
	if s.Data.Fit < 2 || s.Data.Fit > 5000 {
		ps.Addf("data.fit", "want 2..5000 images (the first half of the test split), got %d", s.Data.Fit)
	}
	if s.Data.Test < 1 || s.Data.Test > 5000 {
		ps.Addf("data.test", "want 1..5000 images (the second half of the test split), got %d", s.Data.Test)
	}
	if s.Model.Kind != "flow" && s.Model.Kind != "vae" {
		ps.Addf("model.kind", "want \"flow\" or \"vae\", got %q", s.Model.Kind)
	}
	if s.Model.Latent < 1 || s.Model.Latent > 1024 {
		ps.Addf("model.latent", "want 1..1024, got %d", s.Model.Latent)
	}
	if s.Model.Couplings < 1 || s.Model.Couplings > 32 {
		ps.Addf("model.couplings", "want 1..32, got %d", s.Model.Couplings)
	}
	if s.Model.Hidden < 1 || s.Model.Hidden > 4096 {
		ps.Addf("model.hidden", "want 1..4096, got %d", s.Model.Hidden)
	}
	if err := (Logit{Alpha: s.Model.Alpha}).Check(); err != nil {
		ps.Addf("model.alpha", "want (0, 0.5), got %g", s.Model.Alpha)
	}
	if s.Train.Steps < 0 {
		ps.Addf("train.steps", "want at least 0, got %d", s.Train.Steps)
	}
	if s.Train.Batch < 1 || s.Train.Batch > s.Data.Train {
		ps.Addf("train.batch", "want 1..data.train (%d), got %d", s.Data.Train, s.Train.Batch)
	}
	if !(s.Train.LR > 0 && s.Train.LR < 1) {
		ps.Addf("train.lr", "want (0, 1), got %g", s.Train.LR)
	}
	if !(s.Train.Clip >= 0) {
		ps.Addf("train.clip", "want >= 0 (0 = no clipping), got %g", s.Train.Clip)
	}
	if len(s.Eval.B) == 0 {
		ps.Addf("eval.b", "want at least one batch size")
	}
	for _, b := range s.Eval.B {
		if b < 1 || s.Data.Fit%b != 0 || s.Data.Test%b != 0 || s.Data.Fit/b < 2 {
			ps.Addf("eval.b", "batch size %d must divide data.fit (%d) and data.test (%d) and leave at least 2 fit groups", b, s.Data.Fit, s.Data.Test)
		}
	}
	if s.Eval.Bootstrap < 1 {
		ps.Addf("eval.bootstrap", "want at least 1, got %d", s.Eval.Bootstrap)
	}
	if !(s.Eval.Level > 0 && s.Eval.Level < 1) {
		ps.Addf("eval.level", "want (0, 1), got %g", s.Eval.Level)
	}
	return ps.Err()
}

// Estimator is what the study needs of a density estimator: it receives the
// raw features (squared norms, all > 0) and models them as it sees fit; the
// estimator plugins implement it (core/plugin.Estimator).
type Estimator = plugin.Estimator

// Study is the ood study. Its zero value loads the estimator from the
// run's "estimator" plugin; NewEstimator, when set, replaces that (tests).
type Study struct {
	NewEstimator func(ctx context.Context, env *experiment.RunEnv) (Estimator, func(), error)
}

// Name is "ood".
func (Study) Name() string { return "ood" }

// Settings returns the defaults: the headline Fashion-MNIST -> MNIST setting.
func (Study) Settings() any {
	s := &Settings{}
	s.Data.In, s.Data.OOD = "fashion-mnist", []string{"mnist"}
	s.Data.Train, s.Data.Fit, s.Data.Test = 60000, 1000, 1000
	s.Model.Kind, s.Model.Latent, s.Model.Couplings, s.Model.Hidden, s.Model.Alpha = "flow", 20, 4, 256, 1e-6
	s.Train.Steps, s.Train.Batch, s.Train.LR, s.Train.Clip, s.Train.Cache = 1200, 64, 1e-3, 100, true
	s.Eval.B, s.Eval.Bootstrap, s.Eval.Level = []int{1, 5}, 1000, 0.99
	return s
}

// Slots: one density estimator on the log-features.
func (Study) Slots() []experiment.Slot {
	return []experiment.Slot{{Name: "estimator", Kind: "estimator", Required: true, Default: "builtin:diag-lognormal",
		Doc: "density on the log gradient-norm features, fitted on held-out in-distribution batches"}}
}

// Version enters every run's identity.
func (Study) Version() string { return "1" }

func loadSet(name string, split data.Split) (*data.Images, error) {
	return data.LoadImages(name, split, "")
}

// DataDigests reads the image sets the settings use.
func (Study) DataDigests(_ context.Context, settings any) (map[string]string, error) {
	s := settings.(*Settings)
	names := []string{s.Data.In}
	for _, o := range s.Data.OOD {
		if o == "mnist" || o == "fashion-mnist" {
			names = append(names, o)
		}
	}
	out := map[string]string{}
	for _, n := range names {
		tr, err := loadSet(n, data.Train)
		if err != nil {
			return nil, err
		}
		te, err := loadSet(n, data.Test)
		if err != nil {
			return nil, err
		}
		out[n] = "sha256:" + data.FingerprintContent(append(tr.Digests, te.Digests...))
	}
	return out, nil
}

func (st Study) estimator(ctx context.Context, env *experiment.RunEnv) (Estimator, func(), error) {
	if st.NewEstimator != nil {
		return st.NewEstimator(ctx, env)
	}
	p, ok := env.Plugins["estimator"]
	if !ok {
		return nil, nil, fmt.Errorf("ood: no estimator plugin in the run")
	}
	trust := plugin.Guarded
	if p.Trust == experiment.TrustTrusted {
		trust = plugin.Trusted
	}
	pl, err := plugin.Load(ctx, p.Wasm, plugin.Config{Name: p.Slot, Digest: p.Digest, Kind: abi.Kind(p.Kind), Trust: trust,
		Params: p.Params, MaxInstances: 1, Seed: uint64(env.Seed), Timeout: 10 * time.Minute})
	if err != nil {
		return nil, nil, fmt.Errorf("ood: estimator: %w", err)
	}
	est, err := plugin.NewEstimator(pl)
	if err != nil {
		pl.Close(ctx)
		return nil, nil, fmt.Errorf("ood: estimator: %w", err)
	}
	return est, func() { pl.Close(context.WithoutCancel(ctx)) }, nil
}

// oodSet builds the named OOD set of n images.
func oodSet(name string, idTest *data.Images, n int, rng *rand.Rand) (*data.Images, error) {
	h, w := idTest.H, idTest.W
	switch name {
	case "mnist", "fashion-mnist":
		te, err := loadSet(name, data.Test)
		if err != nil {
			return nil, err
		}
		if te.N < n {
			return nil, fmt.Errorf("ood: %s test split has %d images, need %d", name, te.N, n)
		}
		return te.Head(n), nil
	case "uniform":
		return data.UniformNoise(rng, n, h, w), nil
	case "gaussian":
		return data.GaussianNoise(rng, n, h, w, 0.5, 0.25), nil
	case "constant":
		return data.Constant(rng, n, h, w), nil
	case "inverted":
		return data.Inverted(idTest), nil
	case "vflip":
		return data.VFlipped(idTest), nil
	}
	return nil, fmt.Errorf("ood: unknown OOD set %q", name)
}

// scored is one set's per-example NLL (nats, logit space), its
// preprocessing log-determinants, and its features per batch size.
type scored struct {
	name   string
	nll    []float64
	logdet []float64
	feats  map[int][]float64 // by b: groups x tensors
}

func (sc *scored) bpd(d int) []float64 {
	out := make([]float64, len(sc.nll))
	for i := range out {
		out[i] = BitsPerDim(sc.nll[i], sc.logdet[i], d)
	}
	return out
}

func score(ctx context.Context, f Model, set *data.Images, l Logit, bs []int) (*scored, error) {
	x, ld := prepare(set, data.Range(0, set.N), l, nil)
	sc := &scored{name: set.Name, logdet: ld, feats: map[int][]float64{}}
	for _, b := range bs {
		feats, nll, err := f.Features(ctx, x, set.N, b)
		if err != nil {
			return nil, fmt.Errorf("ood: %s: %w", set.Name, err)
		}
		sc.feats[b], sc.nll = feats, nll
	}
	return sc, nil
}

// Run trains the flow, computes the features of the fit, ID test and OOD
// sets and records every method's detection metrics per OOD set and B.
func (st Study) Run(ctx context.Context, env *experiment.RunEnv) error {
	s := env.Settings.(*Settings)
	start := time.Now()
	tr, err := loadSet(s.Data.In, data.Train)
	if err != nil {
		return err
	}
	te, err := loadSet(s.Data.In, data.Test)
	if err != nil {
		return err
	}
	half := te.N / 2
	if s.Data.Fit > half || s.Data.Test > te.N-half {
		return fmt.Errorf("ood: %s test split has %d images; data.fit and data.test must each be at most %d", s.Data.In, te.N, half)
	}
	fitSet := te.Subset(s.Data.In+"/fit", data.Range(0, s.Data.Fit))
	idSet := te.Subset(s.Data.In+"/id", data.Range(half, half+s.Data.Test))
	tr = tr.Head(s.Data.Train)

	var f Model
	if s.Model.Kind == "vae" {
		f, err = NewVAE(tr.Dim(), s.Model.Hidden, s.Model.Latent, env.Rand("init"))
	} else {
		f, err = NewFlow(s.Model.Couplings, tr.H, tr.W, s.Model.Hidden, env.Rand("init"))
	}
	if err != nil {
		return err
	}
	l := Logit{Alpha: s.Model.Alpha}
	var last float64
	trainFlow := func() error {
		return Train(ctx, f, tr, TrainConfig{Steps: s.Train.Steps, Batch: s.Train.Batch, LR: s.Train.LR, Clip: s.Train.Clip,
			Seed: uint64(env.Seed), Logit: l, Report: func(step int, bpd float64) error {
				last = bpd
				env.Progress(step, s.Train.Steps)
				if step%50 == 0 || step == s.Train.Steps {
					return env.Metric(step, map[string]float64{"train_bpd": bpd})
				}
				return nil
			}})
	}
	if !s.Train.Cache {
		if err := trainFlow(); err != nil {
			return err
		}
	} else {
		dir, err := flowCacheDir()
		if err != nil {
			return err
		}
		path := filepath.Join(dir, flowKey(s, env.Seed, st.Version())+".f64")
		if err := loadParams(path, f); err == nil {
			env.Logf("trained flow read from %s", path)
			last = math.NaN()
		} else {
			if err := trainFlow(); err != nil {
				return err
			}
			if err := saveParams(path, f); err != nil {
				env.Logf("%v", err)
			}
		}
	}
	if !math.IsNaN(last) {
		env.Summary("train_bpd", last)
	}
	env.Summary("train_seconds", time.Since(start).Seconds())
	env.Summary("tensors", float64(f.NumTensors()))
	env.Summary("params", float64(f.NumParams()))
	env.Logf("trained %d steps: %.3f bits/dim on the last batch", s.Train.Steps, last)

	fit, err := score(ctx, f, fitSet, l, s.Eval.B)
	if err != nil {
		return err
	}
	id, err := score(ctx, f, idSet, l, s.Eval.B)
	if err != nil {
		return err
	}
	d := tr.Dim()
	idBPD := mean(id.bpd(d))
	env.Summary(s.Data.In+"/bpd", idBPD)
	env.Logf("%s ID test: %.3f bits/dim", s.Data.In, idBPD)

	// How redundant the features are: median |r| between log-features on
	// the fit set at B = 1 (or the smallest B).
	b0 := s.Eval.B[0]
	if r, err := featureCorrelation(logFeatures(fit.feats[b0]), s.Data.Fit/b0, f.NumTensors()); err == nil {
		env.Summary("median_abs_r", r)
	}
	if p, err := correlationPlot(fmt.Sprintf("correlation of log-features, B=%d", b0), logFeatures(fit.feats[b0]), s.Data.Fit/b0, f.NumTensors()); err == nil {
		if err := env.Plot("feature-correlation", p, 0, 0); err != nil {
			return err
		}
	}

	est, closeEst, err := st.estimator(ctx, env)
	if err != nil {
		return err
	}
	defer closeEst()

	rng := env.Rand("ood-sets")
	type method struct {
		name    string
		id, ood []float64
	}
	oods := make([]*scored, 0, len(s.Data.OOD))
	for _, o := range s.Data.OOD {
		set, err := oodSet(o, idSet, s.Data.Test, rng)
		if err != nil {
			return err
		}
		sc, err := score(ctx, f, set, l, s.Eval.B)
		if err != nil {
			return err
		}
		sc.name = o
		oods = append(oods, sc)
		env.Summary(o+"/bpd", mean(sc.bpd(d)))
		env.Logf("%s: %.3f bits/dim", o, mean(sc.bpd(d)))
	}
	nt := f.NumTensors()
	for _, b := range s.Eval.B {
		nf := s.Data.Fit / b
		lf := positive(fit.feats[b])
		keep := keepVarying(lf, nf, nt)
		env.Summary(fmt.Sprintf("b%d/features", b), float64(len(keep)))
		if err := est.Fit(ctx, columns(lf, nf, nt, keep), nf, len(keep)); err != nil {
			return fmt.Errorf("ood: fit estimator at B=%d: %w", b, err)
		}
		gradScore := func(sc *scored) ([]float64, error) {
			m := len(sc.feats[b]) / nt
			out := make([]float64, m)
			err := est.Score(ctx, out, columns(positive(sc.feats[b]), m, nt, keep), m, len(keep))
			return out, err
		}
		fitBPD := fit.bpd(d)
		ty, err := FitTypicality(fitBPD, b, s.Eval.Bootstrap, s.Eval.Level, env.Rand(fmt.Sprintf("bootstrap-%d", b)))
		if err != nil {
			return err
		}
		idGrad, err := gradScore(id)
		if err != nil {
			return fmt.Errorf("ood: score ID at B=%d: %w", b, err)
		}
		idMeans := groupMeans(id.bpd(d), b)
		env.Summary(fmt.Sprintf("b%d/typicality_test/id_rejected", b), ty.Rejected(idMeans))
		for _, o := range oods {
			oodGrad, err := gradScore(o)
			if err != nil {
				return fmt.Errorf("ood: score %s at B=%d: %w", o.name, b, err)
			}
			oMeans := groupMeans(o.bpd(d), b)
			env.Summary(fmt.Sprintf("%s/b%d/typicality_test/ood_rejected", o.name, b), ty.Rejected(oMeans))
			ms := []method{
				{"likelihood", negate(idMeans), negate(oMeans)},
				{"typicality", ty.Score(idMeans), ty.Score(oMeans)},
				{"gradnorm", idGrad, oodGrad},
			}
			if o == oods[0] {
				var names []string
				var is, os [][]float64
				for _, m := range ms {
					names, is, os = append(names, m.name), append(is, m.id), append(os, m.ood)
				}
				if err := plotAll(env, s.Data.In, id, o, f.TensorNames(), d, b, nt, names, is, os); err != nil {
					return err
				}
			}
			for _, m := range ms {
				det, err := metrics.Detection(m.id, m.ood)
				if err != nil {
					return fmt.Errorf("ood: %s %s B=%d: %w", o.name, m.name, b, err)
				}
				key := fmt.Sprintf("%s/b%d/%s/", o.name, b, m.name)
				env.Summary(key+"auroc", det.AUROC)
				env.Summary(key+"fpr95", det.FPR95)
				env.Summary(key+"aupr_in", det.AUPRIn)
				env.Summary(key+"aupr_out", det.AUPROut)
				env.Logf("%-10s B=%d %-10s AUROC %.4f", o.name, b, m.name, det.AUROC)
			}
		}
	}
	env.Summary("seconds", time.Since(start).Seconds())
	return nil
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func negate(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = -v
	}
	return out
}

// featureCorrelation is the median |r| between the varying columns of the
// n x d matrix x.
func featureCorrelation(x []float64, n, d int) (float64, error) {
	keep := keepVarying(x, n, d)
	cols := make([][]float64, len(keep))
	for k, j := range keep {
		for i := 0; i < n; i++ {
			cols[k] = append(cols[k], x[i*d+j])
		}
	}
	r, err := metrics.Correlation(cols)
	if err != nil {
		return math.NaN(), err
	}
	return metrics.MedianAbsOffDiagonal(r)
}

var (
	_ experiment.Study        = Study{}
	_ experiment.DataDigester = Study{}
	_ experiment.Validator    = (*Settings)(nil)
	_ experiment.Slotted      = Study{}
	_ experiment.Versioned    = Study{}
)
