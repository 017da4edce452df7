package plugin_test

import (
	"context"
	"fmt"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/sdk/abi"
	"github.com/ablate-ml/ablate/sdk/plugintest"
)

// A density estimator plugin: load it as an estimator, fit it on a 4 x 1
// matrix, score two rows (higher = more in-distribution).
func ExampleNewEstimator() {
	ctx := context.Background()
	wasm, err := plugintest.BuildDir("testdata/estimator")
	if err != nil {
		fmt.Println(err)
		return
	}
	p, err := plugin.LoadFile(ctx, wasm, plugin.Config{Kind: abi.KindEstimator, Trust: plugin.Trusted})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close(ctx)
	e, err := plugin.NewEstimator(p)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := e.Fit(ctx, []float64{1, 2, 3, 4}, 4, 1); err != nil {
		fmt.Println(err)
		return
	}
	scores := make([]float64, 2)
	if err := e.Score(ctx, scores, []float64{2.5, 40}, 2, 1); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %s: %.3f %.3f\n", p.Manifest().Kind, p.Name(), scores[0], scores[1])
	// Output: estimator test-estimator: -1.174 -423.049
}
