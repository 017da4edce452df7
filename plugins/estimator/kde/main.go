// Command kde is a Gaussian kernel density estimate on the standardised
// (log-)features, with Scott's bandwidth n^(-1/(d+4)) unless one is given.
package main

import (
	"fmt"
	"math"

	"github.com/ablate-ml/ablate/plugins/internal/estim"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Log       bool    `json:"log" doc:"model the log of each feature (features must be > 0)"`
	Bandwidth float64 `json:"bandwidth" doc:"kernel bandwidth in standardised units; 0 for Scott's rule"`
}

func (p params) Validate() error {
	if p.Bandwidth < 0 || math.IsInf(p.Bandwidth, 0) || math.IsNaN(p.Bandwidth) {
		return fmt.Errorf("kde: bandwidth is %v, want > 0, or 0 for Scott's rule", p.Bandwidth)
	}
	return nil
}

func init() {
	sdk.Estimator(sdk.Info{Name: "kde", Version: "1.0.0",
		Description: "Gaussian KDE on standardised (log-)features, Scott bandwidth."},
		params{Log: true},
		func(p params) (sdk.Model, error) { return &estim.KDE{NoLog: !p.Log, Bandwidth: p.Bandwidth}, nil })
}

func main() {}
