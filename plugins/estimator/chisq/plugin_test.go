package main

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/plugin/plugintest"
	"github.com/ablate-ml/ablate/plugins/internal/estim"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.RunDir(t, ".")
	plugintest.RunDir(t, ".", plugintest.WithParams(map[string]any{"numel": []any{2, 2, 2, 2, 2}}))
}

// features returns n x 5 positive features in two clusters (in log space).
func features(seed uint64, n int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := make([]float64, n*5)
	for i := 0; i < n; i++ {
		c := float64(i % 2)
		for j := 0; j < 5; j++ {
			x[i*5+j] = math.Exp(3*c*float64(j%2) + float64(j)/3 + 0.4*rng.NormFloat64())
		}
	}
	return x
}

// TestGolden fits through the host and checks that the plugin's saved state,
// loaded into the native estimator, scores what the plugin scores, and that
// the state itself round-trips through the native code byte for byte.
func TestGolden(t *testing.T) {
	ctx := context.Background()
	p, err := plugin.LoadFile(ctx, sdkplugintest.Build(t, "."), plugin.Config{Kind: "estimator", Trust: plugin.Trusted, Seed: 3, Params: map[string]any{"numel": []any{3, 10, 1, 40, 7}}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	e, _ := plugin.NewEstimator(p)
	const n, m, d = 200, 40, 5
	x, y := features(1, n), features(2, m)
	if err := e.Fit(ctx, x, n, d); err != nil {
		t.Fatal(err)
	}
	got := make([]float64, m)
	if err := e.Score(ctx, got, y, m, d); err != nil {
		t.Fatal(err)
	}
	state, err := e.Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var native estim.Estimator = &estim.ChiSq{Numel: []int{3, 10, 1, 40, 7}}
	if err := native.Load(state); err != nil {
		t.Fatal(err)
	}
	again, _ := native.Save()
	if string(again) != string(state) {
		t.Error("the plugin's state changed on a native load and save")
	}
	want := make([]float64, m)
	if err := native.Score(want, y, m, d); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		// The same Go code; only log/exp may differ by an ulp between
		// math's assembly (amd64) and its pure-Go version (wasm).
		if math.Abs(got[i]-want[i]) > 1e-12*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("row %d: plugin %v, native %v", i, got[i], want[i])
		}
	}
	// Native fit on the same data gives the same model (up to those ulps).
	fresh := &estim.ChiSq{Numel: []int{3, 10, 1, 40, 7}}
	if g, ok := any(fresh).(*estim.GMM); ok {
		g.Rand = rand.New(rand.NewPCG(1, 1)) // another start; BIC and EM land on the same two clusters
	}
	if err := fresh.Fit(x, n, d); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Score(want, y, m, d); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-6*math.Max(1, math.Abs(want[i])) {
			t.Fatalf("row %d: plugin fit scores %v, native fit %v", i, got[i], want[i])
		}
	}
}
