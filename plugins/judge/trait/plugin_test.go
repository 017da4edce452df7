package main

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/plugin/plugintest"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.RunDir(t, ".")
	plugintest.RunDir(t, ".", plugintest.WithParams(map[string]any{
		"trait_model": "judge", "neutral_model": "judge",
		"trait_context": []any{100}, "neutral_context": []any{101},
	}))
}

// world is a host model for the test: under "judge", an even continuation
// token costs 0.5 nats less when the context starts with the trait token 100;
// under "tuned" it always does. It records the contexts it saw.
type world struct {
	mu   sync.Mutex
	ctxs map[string][][]int32
}

func (w *world) logProb(_ context.Context, model string, ctxTok, ctxOff, contTok, contOff []int32, out []float64) error {
	if model != "judge" && model != "tuned" && model != "base" {
		return errors.New("no model " + model)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range out {
		ctx := ctxTok[ctxOff[i]:ctxOff[i+1]]
		w.ctxs[model] = append(w.ctxs[model], slices.Clone(ctx))
		s := 0.0
		for _, tk := range contTok[contOff[i]:contOff[i+1]] {
			s -= float64(tk)/10 + 1
			if tk%2 == 0 && (model == "tuned" || (model == "judge" && len(ctx) > 0 && ctx[0] == 100)) {
				s += 0.5
			}
		}
		out[i] = s
	}
	return nil
}

func TestGolden(t *testing.T) {
	ctx := context.Background()
	wasm := sdkplugintest.Build(t, ".")
	g := plugin.Groups{
		PromptTok: []int32{1, 2, 3}, PromptOff: []int32{0, 2, 3},
		CandTok: []int32{5, 6, 7, 8, 9, 9, 4, 4, 4, 4}, CandOff: []int32{0, 3, 4, 6, 6, 10},
		GroupOff: []int32{0, 2, 5},
	}
	cases := []struct {
		name    string
		params  map[string]any
		want    []float64
		ctxSeen map[string][][]int32
	}{
		{"prompted", map[string]any{"trait_model": "judge", "neutral_model": "judge",
			"trait_context": []any{100}, "neutral_context": []any{101}},
			// 0.5 per even token of the completion.
			[]float64{0.5, 0.5, 0, 0, 2},
			map[string][][]int32{"judge": {{100, 1, 2}, {100, 1, 2}, {100, 3}, {100, 3}, {100, 3}, {101, 1, 2}, {101, 1, 2}, {101, 3}, {101, 3}, {101, 3}}}},
		{"fine-tuned", map[string]any{"trait_model": "tuned", "neutral_model": "base"},
			[]float64{0.5, 0.5, 0, 0, 2},
			map[string][][]int32{"tuned": {{1, 2}, {1, 2}, {3}, {3}, {3}}, "base": {{1, 2}, {1, 2}, {3}, {3}, {3}}}},
	}
	for _, c := range cases {
		w := &world{ctxs: map[string][][]int32{}}
		p, err := plugin.LoadFile(ctx, wasm, plugin.Config{Kind: "judge", Trust: plugin.Trusted, Params: c.params, LogProb: w.logProb})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close(ctx)
		j, _ := plugin.NewJudge(p)
		got := make([]float64, 5)
		if err := j.Judge(ctx, got, g); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-12 {
				t.Fatalf("%s: scores %v, want %v", c.name, got, c.want)
			}
		}
		for m, want := range c.ctxSeen {
			if !slices.EqualFunc(w.ctxs[m], want, slices.Equal[[]int32]) {
				t.Errorf("%s: model %s saw contexts %v, want %v", c.name, m, w.ctxs[m], want)
			}
		}
	}
	// A model the host does not have fails the call with a clear error.
	w := &world{ctxs: map[string][][]int32{}}
	p, err := plugin.LoadFile(ctx, wasm, plugin.Config{Kind: "judge", Trust: plugin.Trusted,
		Params: map[string]any{"trait_model": "nosuch", "neutral_model": "base"}, LogProb: w.logProb})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	j, _ := plugin.NewJudge(p)
	err = j.Judge(ctx, make([]float64, 5), g)
	if err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("unknown host model: %v, want an error naming it", err)
	}
	// Identical sides are refused at load.
	_, err = plugin.LoadFile(ctx, wasm, plugin.Config{Params: map[string]any{"trait_model": "judge", "neutral_model": "judge"}})
	if err == nil || !strings.Contains(err.Error(), "identical") {
		t.Errorf("identical sides: %v", err)
	}
}
