// Command gmm is a Gaussian mixture on the standardised (log-)features,
// fitted by EM from k-means++ starts (drawn from the deterministic random
// stream) refined by k-means, keeping the best of "inits" starts, with the
// number of components chosen by BIC over 1..components.
package main

import (
	"fmt"

	"github.com/ablate-ml/ablate/plugins/internal/estim"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Components int     `json:"components" doc:"largest number of components tried (BIC picks among 1..components)"`
	Covariance string  `json:"covariance" doc:"full or diag"`
	MaxIter    int     `json:"max_iter" doc:"EM iterations per start"`
	Tol        float64 `json:"tol" doc:"stop EM when the mean log-likelihood gains less than this"`
	Reg        float64 `json:"reg" doc:"added to covariance diagonals (standardised units)"`
	Inits      int     `json:"inits" doc:"EM starts (k-means++ then k-means) per component count; the best is kept"`
	Log        bool    `json:"log" doc:"model the log of each feature (features must be > 0)"`
}

func (p params) Validate() error {
	switch {
	case p.Components < 1:
		return fmt.Errorf("gmm: components is %d, want >= 1", p.Components)
	case p.Covariance != "full" && p.Covariance != "diag":
		return fmt.Errorf("gmm: covariance is %q, want full or diag", p.Covariance)
	case p.MaxIter < 1:
		return fmt.Errorf("gmm: max_iter is %d, want >= 1", p.MaxIter)
	case !(p.Tol > 0):
		return fmt.Errorf("gmm: tol is %v, want > 0", p.Tol)
	case !(p.Reg > 0):
		return fmt.Errorf("gmm: reg is %v, want > 0", p.Reg)
	case p.Inits < 1:
		return fmt.Errorf("gmm: inits is %d, want >= 1", p.Inits)
	}
	return nil
}

// model draws the k-means++ start from the fit call's random stream.
type model struct{ *estim.GMM }

func (m model) Fit(x []float64, n, d int) error {
	m.GMM.Rand = sdk.Rand()
	return m.GMM.Fit(x, n, d)
}

func init() {
	sdk.Estimator(sdk.Info{Name: "gmm", Version: "1.0.0",
		Description: "Gaussian mixture on standardised (log-)features: EM from k-means++ and k-means starts, components by BIC."},
		params{Components: 4, Covariance: "full", MaxIter: 100, Tol: 1e-3, Reg: 1e-6, Inits: 3, Log: true},
		func(p params) (sdk.Model, error) {
			return model{&estim.GMM{MaxComponents: p.Components, Diagonal: p.Covariance == "diag",
				MaxIter: p.MaxIter, Tol: p.Tol, Reg: p.Reg, Inits: p.Inits, NoLog: !p.Log}}, nil
		})
}

func main() {}
