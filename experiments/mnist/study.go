package mnist

import (
	"context"
	"fmt"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/ablate-ml/ablate/core/data"
	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/train"
)

// Settings are the study's experiment-file keys.
type Settings struct {
	Data struct {
		Set   string `toml:"set"`
		Train int    `toml:"train"`
		Test  int    `toml:"test"`
	} `toml:"data"`
	Model struct {
		Hidden int `toml:"hidden"`
	} `toml:"model"`
	Train struct {
		Steps     int     `toml:"steps"`
		Batch     int     `toml:"batch"`
		LR        float64 `toml:"lr"`
		Momentum  float64 `toml:"momentum"`
		EvalEvery int     `toml:"eval_every"`
	} `toml:"train"`
}

// Validate checks ranges; each problem names its key.
func (s *Settings) Validate() error {
	var ps experiment.Problems
	if s.Data.Set != "mnist" && s.Data.Set != "fashion-mnist" {
		ps.Addf("data.set", "want \"mnist\" or \"fashion-mnist\", got %q", s.Data.Set)
	}
	if s.Data.Train < 1 || s.Data.Train > 60000 {
		ps.Addf("data.train", "want 1..60000 examples, got %d", s.Data.Train)
	}
	if s.Data.Test < 1 || s.Data.Test > 10000 {
		ps.Addf("data.test", "want 1..10000 examples, got %d", s.Data.Test)
	}
	if s.Model.Hidden < 1 || s.Model.Hidden > 4096 {
		ps.Addf("model.hidden", "want 1..4096 units, got %d", s.Model.Hidden)
	}
	if s.Train.Steps < 1 {
		ps.Addf("train.steps", "want at least 1, got %d", s.Train.Steps)
	}
	if s.Train.Batch < 1 || s.Train.Batch > s.Data.Train {
		ps.Addf("train.batch", "want 1..data.train (%d), got %d", s.Data.Train, s.Train.Batch)
	}
	if !(s.Train.LR > 0 && s.Train.LR < 10) {
		ps.Addf("train.lr", "want a learning rate in (0, 10), got %g", s.Train.LR)
	}
	if !(s.Train.Momentum >= 0 && s.Train.Momentum < 1) {
		ps.Addf("train.momentum", "want [0, 1), got %g", s.Train.Momentum)
	}
	if s.Train.EvalEvery < 1 {
		ps.Addf("train.eval_every", "want at least 1, got %d", s.Train.EvalEvery)
	}
	return ps.Err()
}

// Study is the mnist study. Its zero value is ready to use.
type Study struct{}

// Name is "mnist".
func (Study) Name() string { return "mnist" }

// Settings returns the defaults.
func (Study) Settings() any {
	s := &Settings{}
	s.Data.Set, s.Data.Train, s.Data.Test = "mnist", 10000, 2000
	s.Model.Hidden = 64
	s.Train.Steps, s.Train.Batch, s.Train.LR, s.Train.Momentum, s.Train.EvalEvery = 500, 64, 0.05, 0.9, 100
	return s
}

func load(s *Settings) (tr, te *data.Images, err error) {
	if tr, err = data.LoadImages(s.Data.Set, data.Train, ""); err != nil {
		return nil, nil, err
	}
	if te, err = data.LoadImages(s.Data.Set, data.Test, ""); err != nil {
		return nil, nil, err
	}
	return tr.Head(s.Data.Train), te.Head(s.Data.Test), nil
}

// DataDigests reads the data set and returns the digest of its files'
// contents, or where it looked when it is missing.
func (Study) DataDigests(_ context.Context, settings any) (map[string]string, error) {
	s := settings.(*Settings)
	tr, err := data.LoadImages(s.Data.Set, data.Train, "")
	if err != nil {
		return nil, err
	}
	te, err := data.LoadImages(s.Data.Set, data.Test, "")
	if err != nil {
		return nil, err
	}
	return map[string]string{s.Data.Set: "sha256:" + data.FingerprintContent(append(tr.Digests, te.Digests...))}, nil
}

// Run trains the MLP and evaluates it on the test examples.
func (Study) Run(ctx context.Context, env *experiment.RunEnv) error {
	s := env.Settings.(*Settings)
	start := time.Now()
	trainSet, testSet, err := load(s)
	if err != nil {
		return err
	}
	m := newMLP(trainSet.Dim(), s.Model.Hidden, trainSet.Classes, env.Rand("init"))
	opt := &sgd{lr: float32(s.Train.LR), momentum: float32(s.Train.Momentum)}
	batches := data.NewBatcher(data.Batches{N: trainSet.N, Size: s.Train.Batch, Shuffle: true, Seed: uint64(env.Seed), DropLast: true})
	x := make([]float32, s.Train.Batch*trainSet.Dim())
	labels := make([]int, s.Train.Batch)
	testIdx := data.Range(0, testSet.N)
	testX := testSet.Float32To(make([]float32, testSet.N*testSet.Dim()), testIdx)
	testY := testSet.LabelsTo(make([]int, testSet.N), testIdx)

	var steps, evalSteps []float64
	var trainLoss, testLoss, testAcc []float64
	eval := func(_ context.Context, step int) (train.Metrics, error) {
		_, _, logits := m.forward(testX, testSet.N)
		loss, correct := lossAcc(logits, testY, m.out, nil)
		acc := float64(correct) / float64(testSet.N)
		evalSteps, testLoss, testAcc = append(evalSteps, float64(step)), append(testLoss, loss), append(testAcc, acc)
		return train.Metrics{"test_loss": loss, "test_acc": acc}, env.Metric(step, map[string]float64{"test_loss": loss, "test_acc": acc})
	}
	step := func(ctx context.Context, step int) (train.Metrics, error) {
		idx := batches.Next()
		trainSet.Float32To(x, idx)
		trainSet.LabelsTo(labels, idx)
		loss, grads := m.grad(x, labels)
		opt.step(m.params(), grads)
		steps, trainLoss = append(steps, float64(step)), append(trainLoss, loss)
		env.Progress(step, s.Train.Steps)
		return train.Metrics{"loss": loss}, env.Metric(step, map[string]float64{"train_loss": loss})
	}
	res, err := train.Run(ctx, train.Config{
		Steps: s.Train.Steps,
		Evals: []train.Eval{{Name: "test", Every: s.Train.EvalEvery, Run: eval}},
	}, train.StepFunc(step), nil)
	if err != nil {
		return err
	}
	env.Summary("test_acc", res.Evals["test"]["test_acc"])
	env.Summary("test_loss", res.Evals["test"]["test_loss"])
	env.Summary("train_loss", res.Last["loss"])
	env.Summary("params", float64(m.numParams()))
	env.Summary("seconds", time.Since(start).Seconds())
	env.Logf("hidden %d: test accuracy %.4f after %d steps", s.Model.Hidden, res.Evals["test"]["test_acc"], s.Train.Steps)

	p := plot.New()
	p.Title.Text = fmt.Sprintf("MLP 784-%d-10 on %s", s.Model.Hidden, s.Data.Set)
	p.X.Label.Text = "step"
	p.Y.Label.Text = "cross-entropy"
	if err := addLine(p, "train", steps, trainLoss); err != nil {
		return err
	}
	if err := addLine(p, "test", evalSteps, testLoss); err != nil {
		return err
	}
	return env.Plot("loss", p, 0, 0)
}

func addLine(p *plot.Plot, name string, xs, ys []float64) error {
	pts := make(plotter.XYs, len(xs))
	for i := range xs {
		pts[i] = plotter.XY{X: xs[i], Y: ys[i]}
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		return fmt.Errorf("mnist: plot %s: %w", name, err)
	}
	if name == "test" {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
	}
	p.Add(l)
	p.Legend.Add(name, l)
	return nil
}

var (
	_ experiment.Study        = Study{}
	_ experiment.DataDigester = Study{}
	_ experiment.Validator    = (*Settings)(nil)
	_ experiment.Slotted      = Study{}
	_ experiment.Versioned    = Study{}
)

// Slots: the study takes no plugins.
func (Study) Slots() []experiment.Slot { return nil }

// Version enters every run's identity; bump it when a change to this
// package changes results.
func (Study) Version() string { return "1" }
