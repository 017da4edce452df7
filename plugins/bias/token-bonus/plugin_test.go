package main

import (
	"context"
	"testing"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/plugin/plugintest"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.RunDir(t, ".")
	plugintest.RunDir(t, ".", plugintest.WithParams(map[string]any{"tokens": []any{0, 3, 1 << 30}, "bonus": -0.5}))
}

func TestGolden(t *testing.T) {
	ctx := context.Background()
	p, err := plugin.LoadFile(ctx, sdkplugintest.Build(t, "."), plugin.Config{Kind: "bias", Trust: plugin.Trusted,
		Params: map[string]any{"tokens": []any{4, 9, 1}, "bonus": 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	b, _ := plugin.NewBias(p)
	g := plugin.Groups{
		PromptTok: []int32{1, 2, 3}, PromptOff: []int32{0, 2, 3},
		CandTok: []int32{5, 6, 7, 8, 9, 9, 4, 4, 4, 4}, CandOff: []int32{0, 3, 4, 6, 6, 10},
		GroupOff: []int32{0, 2, 5},
	}
	got := make([]float64, 5)
	if err := b.Bias(ctx, got, g, []float64{0, 0, 1, 1, 1}); err != nil {
		t.Fatal(err)
	}
	// The prompt's token 1 does not count; two 9s and four 4s do.
	want := []float64{0, 0, 2, 1, 3}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
}
