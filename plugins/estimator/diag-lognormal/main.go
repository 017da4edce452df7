// Command diag-lognormal is the Fisher-norm paper's OOD estimator: an
// independent normal on the log of each feature (mean, unbiased std),
// features constant in the fit data dropped; score = sum of the log-densities
// of the log-features (higher = more in-distribution).
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/estim"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct{}

func init() {
	sdk.Estimator(sdk.Info{Name: "diag-lognormal", Version: "1.0.0",
		Description: "Independent normal on the log of each feature; score = sum of log-densities of the log-features."},
		params{},
		func(params) (sdk.Model, error) { return &estim.DiagLogNormal{}, nil })
}

func main() {}
