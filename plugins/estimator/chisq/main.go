// Command chisq models each feature as a scaled chi-square: k = numel of the
// feature's parameter tensor, s = mean/k, score = sum of log chi2pdf(x/s; k)
// - log s. Without numel, k is matched to the mean and variance.
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/estim"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Numel []int `json:"numel" doc:"degrees of freedom per feature (elements of each parameter tensor); empty: moment matching"`
}

func init() {
	sdk.Estimator(sdk.Info{Name: "chisq", Version: "1.0.0",
		Description: "Scaled chi-square per feature (k = numel, s = mean/k), with the 1/s Jacobian."},
		params{Numel: []int{}},
		func(p params) (sdk.Model, error) { return &estim.ChiSq{Numel: p.Numel}, nil })
}

func main() {}
