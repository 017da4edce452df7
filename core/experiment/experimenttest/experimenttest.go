// Package experimenttest runs experiment files inside a study's tests: write
// a TOML body, plan it against the study, execute every run in a temporary
// results store, and read back each run's summary.
package experimenttest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ablate-ml/ablate/core/experiment"
)

// Load writes body as e.toml in a new temporary directory, which it
// returns, and plans it with study registered and resolvers for its
// plugins (nil: none). It fails the test on any error.
func Load(t testing.TB, body string, study experiment.Study, resolvers experiment.Resolvers) (*experiment.Plan, string) {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "e.toml")
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := experiment.NewRegistry(study)
	if err != nil {
		t.Fatal(err)
	}
	p, err := experiment.Load(context.Background(), file, nil, experiment.Env{Studies: reg, Host: "test", Resolvers: resolvers})
	if err != nil {
		t.Fatal(err)
	}
	return p, dir
}

// Done is one finished run and its summary.
type Done struct {
	Run     *experiment.Run
	Dir     string // the run's directory in the store
	Summary map[string]any
}

// Run executes every run of p, one at a time, in a results store at root,
// fails the test if any run fails (naming its error), and returns the runs
// in the plan's order with their summaries.
func Run(t testing.TB, p *experiment.Plan, root string) []Done {
	t.Helper()
	st := &experiment.Store{Root: root}
	// Execute's error names every failed run with its error.
	if _, err := st.Execute(context.Background(), p, experiment.Options{Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	out := make([]Done, len(p.Runs))
	for i := range p.Runs {
		dir := st.Dir(&p.Runs[i])
		rec, err := st.Read(dir)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = Done{Run: &p.Runs[i], Dir: dir, Summary: rec.Summary}
	}
	return out
}

// Number is a summary's numeric value by key; it fails the test when the
// key is missing or not a number.
func Number(t testing.TB, d Done, key string) float64 {
	t.Helper()
	v, ok := d.Summary[key].(float64)
	if !ok {
		t.Fatalf("run %d (seed %d): summary has no number %q: %v", d.Run.Index, d.Run.Seed, key, d.Summary)
	}
	return v
}
