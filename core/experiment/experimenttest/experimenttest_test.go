package experimenttest

import (
	"context"
	"errors"
	"testing"

	"github.com/ablate-ml/ablate/core/experiment"
)

// square is a study whose summary is a function of its settings and seed,
// so the test knows what each run must report.
type square struct{}

type squareSettings struct {
	X    float64 `toml:"x"`
	Fail bool    `toml:"fail"`
}

func (square) Name() string  { return "square" }
func (square) Settings() any { return &squareSettings{X: 1} }
func (square) Run(_ context.Context, env *experiment.RunEnv) error {
	s := env.Settings.(*squareSettings)
	if s.Fail {
		return errors.New("asked to fail")
	}
	env.Summary("y", s.X*s.X+float64(env.Seed))
	return nil
}

func TestLoadAndRun(t *testing.T) {
	p, dir := Load(t, "study = \"square\"\nseeds = [1, 2]\n[sweep.grid]\nx = [3.0, 4.0]\n", square{}, nil)
	if len(p.Runs) != 4 {
		t.Fatalf("%d runs, want 4", len(p.Runs))
	}
	done := Run(t, p, dir+"/runs")
	for i, d := range done {
		s := d.Run.Settings.(*squareSettings)
		if y := Number(t, d, "y"); y != s.X*s.X+float64(d.Run.Seed) {
			t.Errorf("run %d: y = %v, want %v", i, y, s.X*s.X+float64(d.Run.Seed))
		}
		if d.Dir == "" || d.Run != &p.Runs[i] {
			t.Errorf("run %d: not in plan order or no directory", i)
		}
	}
}
