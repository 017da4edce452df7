// Command random is the random judge: every candidate gets a uniform [0, 1)
// score from the call's deterministic random stream, so preferences carry no
// information (the preference study's random-label control).
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/prefs"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct{}

func init() {
	sdk.Judge(sdk.Info{Name: "random", Version: "1.0.0",
		Description: "Scores every candidate uniformly at random from the deterministic random stream."},
		params{},
		func(_ params, g sdk.Groups, out []float64) error {
			b := prefs.Batch(g)
			prefs.RandomScores(out, &b, sdk.Rand())
			return nil
		})
}

func main() {}
