// Command none is the identity reward bias: scores pass through unchanged.
package main

import "github.com/ablate-ml/ablate/sdk"

type params struct{}

func init() {
	sdk.Bias(sdk.Info{Name: "none", Version: "1.0.0", Description: "Passes the judge's scores through unchanged."},
		params{},
		func(_ params, _ sdk.Groups, scores, out []float64) error {
			copy(out, scores)
			return nil
		})
}

func main() {}
