package main

import (
	"context"
	"strings"
	"testing"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/plugin/plugintest"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	for _, rate := range []float64{0, 0.5, 1} {
		plugintest.RunDir(t, ".", plugintest.WithParams(map[string]any{"rate": rate}))
	}
}

func TestGolden(t *testing.T) {
	ctx := context.Background()
	wasm := sdkplugintest.Build(t, ".")
	bias := func(rate float64, seed uint64) *plugin.BiasPlugin {
		p, err := plugin.LoadFile(ctx, wasm, plugin.Config{Kind: "bias", Trust: plugin.Trusted, Seed: seed, Params: map[string]any{"rate": rate}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close(ctx) })
		b, _ := plugin.NewBias(p)
		return b
	}
	// A pair and a triple: rate 1 swaps the pair and reverses the triple's
	// ranking (7 <-> 2, 5 stays).
	g := plugin.Groups{PromptOff: []int32{0, 0, 0}, CandOff: make([]int32, 6), GroupOff: []int32{0, 2, 5}}
	scores := []float64{0.9, 0.1, 2, 7, 5}
	got := make([]float64, 5)
	if err := bias(1, 1).Bias(ctx, got, g, scores); err != nil {
		t.Fatal(err)
	}
	want := []float64{0.1, 0.9, 7, 2, 5}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("rate 1: %v, want %v", got, want)
		}
	}
	// Rate 0.25 over 2,000 pairs flips about a quarter, and the same seed
	// flips the same pairs. Binomial std is 0.0097, so +-0.04 is > 4 sigma.
	const n = 2000
	many := plugin.Groups{PromptOff: make([]int32, n+1), CandOff: make([]int32, 2*n+1), GroupOff: make([]int32, n+1)}
	s := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		many.GroupOff[i+1] = int32(2 * (i + 1))
		s[2*i] = 1
	}
	a, b := make([]float64, 2*n), make([]float64, 2*n)
	if err := bias(0.25, 3).Bias(ctx, a, many, s); err != nil {
		t.Fatal(err)
	}
	if err := bias(0.25, 3).Bias(ctx, b, many, s); err != nil {
		t.Fatal(err)
	}
	flipped := 0
	for i := 0; i < n; i++ {
		if a[2*i] != b[2*i] {
			t.Fatalf("same seed, pair %d flipped differently", i)
		}
		if a[2*i] == 0 {
			flipped++
		}
	}
	if f := float64(flipped) / n; f < 0.21 || f > 0.29 {
		t.Errorf("flipped %v of pairs at rate 0.25", f)
	}
	if _, err := plugin.LoadFile(ctx, wasm, plugin.Config{Params: map[string]any{"rate": 1.5}}); err == nil || !strings.Contains(err.Error(), "rate is 1.5") {
		t.Errorf("rate 1.5: %v", err)
	}
}
