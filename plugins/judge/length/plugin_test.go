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
	plugintest.RunDir(t, ".")
	plugintest.RunDir(t, ".", plugintest.WithParams(map[string]any{"prefer": "longer"}))
}

func TestGolden(t *testing.T) {
	ctx := context.Background()
	wasm := sdkplugintest.Build(t, ".")
	// Two groups: a pair and a triple, with an empty completion.
	g := plugin.Groups{
		PromptTok: []int32{1, 2, 3}, PromptOff: []int32{0, 2, 3},
		CandTok: []int32{5, 6, 7, 8, 9, 9, 4, 4, 4, 4}, CandOff: []int32{0, 3, 4, 6, 6, 10},
		GroupOff: []int32{0, 2, 5},
	}
	for _, c := range []struct {
		prefer string
		want   []float64
	}{
		{"shorter", []float64{-3, -1, -2, 0, -4}},
		{"longer", []float64{3, 1, 2, 0, 4}},
	} {
		p, err := plugin.LoadFile(ctx, wasm, plugin.Config{Kind: "judge", Trust: plugin.Trusted, Params: map[string]any{"prefer": c.prefer}})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close(ctx)
		j, err := plugin.NewJudge(p)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float64, 5)
		if err := j.Judge(ctx, got, g); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("prefer %s: scores %v, want %v", c.prefer, got, c.want)
			}
		}
	}
	_, err := plugin.LoadFile(ctx, wasm, plugin.Config{Params: map[string]any{"prefer": "middle"}})
	if err == nil {
		t.Fatal(`prefer "middle" was accepted`)
	}
	if want := `prefer is "middle", want shorter or longer`; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}
