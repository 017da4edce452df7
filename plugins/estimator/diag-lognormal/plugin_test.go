package main

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/plugin/plugintest"
	"github.com/ablate-ml/ablate/plugins/internal/estim"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

// features returns n x d positive features whose logs are normal with
// per-feature means and scales (feature j ~ exp(N(j/4, (1+j%3)/2))).
func features(seed uint64, n, d int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 99))
	x := make([]float64, n*d)
	for i := range x {
		j := i % d
		x[i] = math.Exp(float64(j)/4 + float64(1+j%3)/2*rng.NormFloat64())
	}
	return x
}

func estimator(tb testing.TB, wasm string, trust plugin.Trust) *plugin.EstimatorPlugin {
	tb.Helper()
	ctx := context.Background()
	p, err := plugin.LoadFile(ctx, wasm, plugin.Config{Kind: "estimator", Trust: trust})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close(ctx) })
	e, err := plugin.NewEstimator(p)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

var cBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// TestMain removes the C plugin's build directory after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if cBuild.dir != "" {
		os.RemoveAll(cBuild.dir)
	}
	os.Exit(code)
}

// buildC builds the C plugin with plugins/Makefile.c (once per test
// binary), skipping the test when clang is not installed.
func buildC(tb testing.TB) string {
	tb.Helper()
	if _, err := exec.LookPath("clang"); err != nil {
		tb.Skip("clang is not installed: the C plugin (plugins/estimator/diag-lognormal-c) needs Debian's clang, lld and wasi-libc (make deps)")
	}
	cBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "ablate-cplugin")
		if err != nil {
			cBuild.err = err
			return
		}
		cBuild.dir = dir
		out, err := filepath.Abs(dir)
		if err != nil {
			cBuild.err = err
			return
		}
		cmd := exec.Command("make", "-s", "-f", "plugins/Makefile.c", "OUT="+out)
		cmd.Dir = filepath.Join("..", "..", "..")
		if b, err := cmd.CombinedOutput(); err != nil {
			cBuild.err = &buildError{err, string(b)}
			return
		}
		cBuild.path = filepath.Join(out, "estimator-diag-lognormal-c.wasm")
	})
	if cBuild.err != nil {
		tb.Fatalf("building the C plugin: %v", cBuild.err)
	}
	return cBuild.path
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

func TestConformance(t *testing.T) { plugintest.RunDir(t, ".") }

func TestConformanceC(t *testing.T) { plugintest.Run(t, buildC(t)) }

// TestGolden: through the host, the plugin's scores and saved state are bit
// for bit those of the native estimator (the same Go code; wasm arithmetic is
// IEEE), with a constant feature dropped.
func TestGolden(t *testing.T) {
	ctx := context.Background()
	const n, m, d = 300, 50, 6
	x, y := features(1, n, d), features(2, m, d)
	for i := 0; i < n; i++ {
		x[i*d+4] = 3 // constant: dropped
	}
	var native estim.DiagLogNormal
	if err := native.Fit(x, n, d); err != nil {
		t.Fatal(err)
	}
	want := make([]float64, m)
	if err := native.Score(want, y, m, d); err != nil {
		t.Fatal(err)
	}
	wantState, _ := native.Save()
	e := estimator(t, sdkplugintest.Build(t, "."), plugin.Trusted)
	if err := e.Fit(ctx, x, n, d); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, m)
	if err := e.Score(ctx, got, y, m, d); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("row %d: plugin %v, native %v", i, got[i], want[i])
		}
	}
	state, err := e.Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(state, wantState) {
		t.Error("the plugin's saved state differs from the native one")
	}
	// A zero feature is an error naming row and feature, not a trap.
	y[3*d+1] = 0
	if err := e.Score(ctx, got, y, m, d); err == nil || !strings.Contains(err.Error(), "row 3 feature 1 is 0") {
		t.Errorf("zero feature: %v", err)
	}
}

// TestCAgreesWithGo: the C plugin fits the same model (within rounding of
// two libms' log), scores within 1e-12 relative, and each plugin loads the
// other's saved state and scores identically to the one that saved it.
func TestCAgreesWithGo(t *testing.T) {
	ctx := context.Background()
	c := estimator(t, buildC(t), plugin.Trusted)
	g := estimator(t, sdkplugintest.Build(t, "."), plugin.Trusted)
	const n, m, d = 500, 200, 7
	x, y := features(3, n, d), features(4, m, d)
	for i := 0; i < n; i++ {
		x[i*d+2] = 0.5 // constant: dropped by both
	}
	for _, e := range []*plugin.EstimatorPlugin{c, g} {
		if err := e.Fit(ctx, x, n, d); err != nil {
			t.Fatal(err)
		}
	}
	sc, sg := make([]float64, m), make([]float64, m)
	if err := c.Score(ctx, sc, y, m, d); err != nil {
		t.Fatal(err)
	}
	if err := g.Score(ctx, sg, y, m, d); err != nil {
		t.Fatal(err)
	}
	for i := range sc {
		// Both compute log to within 1 ulp; over 6 features of z^2 ~ 1 the
		// scores agree to ~1e-15; 1e-12 leaves room, and catches any
		// difference in the model (a biased std changes scores by ~1e-3).
		if math.Abs(sc[i]-sg[i]) > 1e-12*math.Max(1, math.Abs(sg[i])) {
			t.Fatalf("row %d: C %v, Go %v", i, sc[i], sg[i])
		}
	}
	stC, err := c.Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stG, err := g.Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(stC) != len(stG) {
		t.Fatalf("saved states of %d (C) and %d (Go) bytes: the layouts differ", len(stC), len(stG))
	}
	// Cross-load: the Go plugin with C's state scores like C, and back.
	for _, k := range []struct {
		name     string
		into     *plugin.EstimatorPlugin
		state    []byte
		wantFrom []float64
	}{{"Go loads C", g, stC, sc}, {"C loads Go", c, stG, sg}} {
		if err := k.into.Load(ctx, k.state); err != nil {
			t.Fatalf("%s: %v", k.name, err)
		}
		got := make([]float64, m)
		if err := k.into.Score(ctx, got, y, m, d); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Abs(got[i]-k.wantFrom[i]) > 1e-12*math.Max(1, math.Abs(got[i])) {
				t.Fatalf("%s: row %d: %v, want %v", k.name, i, got[i], k.wantFrom[i])
			}
		}
	}
	// Both refuse a state with a trailing byte and a bad feature count.
	for _, e := range []*plugin.EstimatorPlugin{c, g} {
		if err := e.Load(ctx, append(stG[:len(stG):len(stG)], 0)); err == nil {
			t.Error("a state with a trailing byte was accepted")
		}
		if err := e.Score(ctx, make([]float64, 1), make([]float64, d+1), 1, d+1); err == nil || !strings.Contains(err.Error(), "fitted on 7") {
			t.Errorf("wrong feature count: %v", err)
		}
	}
}

// The benchmarks score 10,000 x 40 features (fitted on 1,000), natively and
// through the host in trusted mode; plugin/native is the cost of WebAssembly
// and the host's copies (3.2 MB in, 80 KB out). Guarded mode and the C
// plugin are there for comparison.
const benchN, benchM, benchD = 1000, 10000, 40

func BenchmarkEstimatorNative(b *testing.B) {
	x, y := features(5, benchN, benchD), features(6, benchM, benchD)
	var e estim.DiagLogNormal
	if err := e.Fit(x, benchN, benchD); err != nil {
		b.Fatal(err)
	}
	out := make([]float64, benchM)
	for b.Loop() {
		if err := e.Score(out, y, benchM, benchD); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPlugin(b *testing.B, wasm string, trust plugin.Trust) {
	ctx := context.Background()
	x, y := features(5, benchN, benchD), features(6, benchM, benchD)
	e := estimator(b, wasm, trust)
	if err := e.Fit(ctx, x, benchN, benchD); err != nil {
		b.Fatal(err)
	}
	out := make([]float64, benchM)
	for b.Loop() {
		if err := e.Score(ctx, out, y, benchM, benchD); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEstimatorPlugin(b *testing.B) {
	benchPlugin(b, sdkplugintest.Build(b, "."), plugin.Trusted)
}

func BenchmarkEstimatorPluginGuarded(b *testing.B) {
	benchPlugin(b, sdkplugintest.Build(b, "."), plugin.Guarded)
}

func BenchmarkEstimatorPluginC(b *testing.B) { benchPlugin(b, buildC(b), plugin.Trusted) }
