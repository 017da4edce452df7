package main

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/plugin/plugintest"
	"github.com/ablate-ml/ablate/plugins/internal/discount"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

func TestConformance(t *testing.T) {
	plugintest.RunDir(t, ".")
	plugintest.RunDir(t, ".", plugintest.WithParams(map[string]any{"gamma": 0.5}))
}

// TestGolden runs the plugin through the host on a ragged, holed batch with
// and without a control variate, and compares with the native computation
// at the gamma the parameters imply (bit for bit: the same code, and IEEE
// arithmetic is the same under wasm).
func TestGolden(t *testing.T) {
	ctx := context.Background()
	wasm := sdkplugintest.Build(t, ".")
	rng := rand.New(rand.NewPCG(1, 2))
	const b, T = 5, 16
	r, mask, ctl := make([]float64, b*T), make([]float64, b*T), make([]float64, b*T)
	for i := range r {
		r[i], ctl[i] = rng.NormFloat64(), rng.NormFloat64()
		if i%T < T-i/T && rng.IntN(6) != 0 {
			mask[i] = 1
		}
	}
	cases := []struct {
		name   string
		params map[string]any
		step   int64
		gamma  float64
		center bool
	}{
		{"default gamma", map[string]any{}, 0, 0.99, true},
		{"gamma 0", map[string]any{"gamma": 0.0}, 0, 0, true},
		{"gamma 0.7, not centred", map[string]any{"gamma": 0.7, "center": false}, 0, 0.7, false},
		{"horizon 10", map[string]any{"horizon": 10.0}, 0, 0.9, true},
		{"horizon wins over gamma", map[string]any{"gamma": 0.2, "horizon": 4.0}, 0, 0.75, true},
	}
	for _, c := range cases {
		p, err := plugin.LoadFile(ctx, wasm, plugin.Config{Kind: "discount", Trust: plugin.Trusted, Params: c.params})
		if err != nil {
			t.Fatal(err)
		}
		d, err := plugin.NewDiscount(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, control := range [][]float64{nil, ctl} {
			got, want := make([]float64, b*T), make([]float64, b*T)
			if err := d.Discount(ctx, got, r, mask, control, b, T, c.step); err != nil {
				t.Fatal(err)
			}
			if err := discount.Advantages(want, r, mask, control, b, T, discount.Options{Gamma: c.gamma, Center: c.center}); err != nil {
				t.Fatal(err)
			}
			for i := range got {
				// 1e-12: the expected gamma is written as a decimal here,
				// while the plugin computes it (1 - 1/h, a schedule).
				if math.Abs(got[i]-want[i]) > 1e-12 {
					t.Fatalf("%s (control %v) at (%d,%d): %v, want %v", c.name, control != nil, i/T, i%T, got[i], want[i])
				}
			}
		}
		p.Close(ctx)
	}
}

func TestBadParameters(t *testing.T) {
	ctx := context.Background()
	wasm := sdkplugintest.Build(t, ".")
	for _, c := range []struct {
		params map[string]any
		want   string
	}{
		{map[string]any{"gamma": 1.5}, "gamma is 1.5"},
		{map[string]any{"horizon": 0.5}, "horizon is 0.5"},
	} {
		_, err := plugin.LoadFile(ctx, wasm, plugin.Config{Params: c.params})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.params, err, c.want)
		}
	}
}
