package experiment

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkPlan measures decoding and planning per run of a 4x5x5x2 = 200
// run sweep (strict decoding, validation, identity) — the cost paid before
// any work starts.
func BenchmarkPlan(b *testing.B) {
	src := `study = "toy"
seeds = [1, 2]
[sweep.grid]
"model.hidden" = [4, 8, 16, 32]
"train.lr" = [0.1, 0.2, 0.3, 0.4, 0.5]
"train.steps" = [1, 2, 3, 4, 5]
`
	env := testEnv(b, "")
	b.ReportAllocs()
	for b.Loop() {
		f, err := Decode("b.toml", []byte(src), nil)
		if err != nil {
			b.Fatal(err)
		}
		p, err := f.Plan(context.Background(), env)
		if err != nil || len(p.Runs) != 200 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/200, "µs/run")
}

// BenchmarkExecute measures the store's overhead per run (claim, config,
// lock, metrics and summary files, status, release) with a study that does
// one step; compare it with a real run's seconds.
func BenchmarkExecute(b *testing.B) {
	var axis []string
	for i := 1; i <= 50; i++ {
		axis = append(axis, fmt.Sprint(i))
	}
	src := "study = \"toy\"\n[train]\nsteps = 1\n[sweep.grid]\n\"model.hidden\" = [" + strings.Join(axis, ", ") + "]\n"
	env := testEnv(b, "")
	f, err := Decode("b.toml", []byte(src), nil)
	if err != nil {
		b.Fatal(err)
	}
	p, err := f.Plan(context.Background(), env)
	if err != nil {
		b.Fatal(err)
	}
	for _, jobs := range []int{1, 2} {
		b.Run(fmt.Sprintf("j=%d", jobs), func(b *testing.B) {
			for b.Loop() {
				st := &Store{Root: b.TempDir()}
				if _, err := st.Execute(context.Background(), p, Options{Jobs: jobs}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(len(p.Runs)), "µs/run")
		})
	}
}
