// Command gaussian-full is a full-covariance normal on the (log-)features
// with Ledoit–Wolf shrinkage of the covariance.
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/estim"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Log bool `json:"log" doc:"model the log of each feature (features must be > 0)"`
}

func init() {
	sdk.Estimator(sdk.Info{Name: "gaussian-full", Version: "1.0.0",
		Description: "Full-covariance normal on the (log-)features, Ledoit-Wolf shrinkage."},
		params{Log: true},
		func(p params) (sdk.Model, error) { return &estim.GaussianFull{NoLog: !p.Log}, nil })
}

func main() {}
