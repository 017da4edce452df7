package main

import (
	"context"
	"testing"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/plugin/plugintest"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.RunDir(t, ".", plugintest.WithConfig(plugin.Config{Seed: 7}))
}

func TestGolden(t *testing.T) {
	ctx := context.Background()
	wasm := sdkplugintest.Build(t, ".")
	judge := func(seed uint64) *plugin.JudgePlugin {
		p, err := plugin.LoadFile(ctx, wasm, plugin.Config{Kind: "judge", Trust: plugin.Trusted, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close(ctx) })
		j, err := plugin.NewJudge(p)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	// 500 pairs with identical candidates: only randomness decides.
	const n = 500
	g := plugin.Groups{PromptOff: make([]int32, n+1), CandOff: make([]int32, 2*n+1), GroupOff: make([]int32, n+1)}
	for i := range g.GroupOff {
		g.GroupOff[i] = int32(2 * i)
	}
	scores := func(j *plugin.JudgePlugin) []float64 {
		out := make([]float64, 2*n)
		if err := j.Judge(ctx, out, g); err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b, c := scores(judge(1)), scores(judge(1)), scores(judge(2))
	firstWins, differ := 0, 0
	for i := 0; i < 2*n; i++ {
		if a[i] != b[i] {
			t.Fatalf("same seed, candidate %d: %v then %v", i, a[i], b[i])
		}
		if a[i] < 0 || a[i] >= 1 {
			t.Fatalf("candidate %d: score %v outside [0, 1)", i, a[i])
		}
		if a[i] != c[i] {
			differ++
		}
		if i%2 == 0 && a[i] > a[i+1] {
			firstWins++
		}
	}
	if differ < 2*n-5 {
		t.Errorf("seeds 1 and 2 agree on %d of %d scores", 2*n-differ, 2*n)
	}
	// The first candidate wins half the time: binomial(500, 0.5) has std
	// 11.2, so [200, 300] is a ~4.5-sigma band.
	if firstWins < 200 || firstWins > 300 {
		t.Errorf("first candidate preferred in %d of %d pairs, want about half", firstWins, n)
	}
}
