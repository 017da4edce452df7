package main

import (
	"context"
	"testing"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/plugin/plugintest"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

func TestConformance(t *testing.T) { plugintest.RunDir(t, ".") }

func TestGolden(t *testing.T) {
	ctx := context.Background()
	p, err := plugin.LoadFile(ctx, sdkplugintest.Build(t, "."), plugin.Config{Kind: "bias", Trust: plugin.Trusted})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	b, _ := plugin.NewBias(p)
	g := plugin.Groups{PromptOff: []int32{0, 0}, CandOff: []int32{0, 0, 0, 0}, GroupOff: []int32{0, 3}}
	scores := []float64{0.25, -7, 1e300}
	got := make([]float64, 3)
	if err := b.Bias(ctx, got, g, scores); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if got[i] != scores[i] {
			t.Fatalf("scores %v became %v", scores, got)
		}
	}
}
