// Command exponential is the constant discount of Dauncey & Wattenhofer:
// r_{b,t} -= mean_b r_{b,t}, then G_t = r_t + gamma G_{t+1}, minus the
// control variate when the host passes one. gamma is given directly or as a
// horizon 1/(1-gamma), which takes precedence when not 0.
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/discount"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Gamma   float64 `json:"gamma" doc:"discount factor in [0, 1]"`
	Horizon float64 `json:"horizon" doc:"effective horizon 1/(1-gamma) >= 1; when not 0 it sets gamma"`
	Center  bool    `json:"center" doc:"subtract, per position, the mean reward over the batch (within the mask)"`
}

func (p params) Validate() error {
	_, err := discount.Exponential{Gamma: p.Gamma, Horizon: p.Horizon}.Resolve()
	return err
}

func init() {
	sdk.Discount(sdk.Info{Name: "exponential", Version: "1.0.0",
		Description: "G_t = r_t + gamma G_{t+1} after batch centring (gamma or horizon 1/(1-gamma)); minus the control variate."},
		params{Gamma: discount.DefaultGamma, Center: true},
		func(p params, b sdk.DiscountBatch, out []float64) error {
			g, err := discount.Exponential{Gamma: p.Gamma, Horizon: p.Horizon}.Resolve()
			if err != nil {
				return err
			}
			return discount.Advantages(out, b.Rewards, b.Mask, b.Control, b.B, b.T, discount.Options{Gamma: g, Center: p.Center})
		})
}

func main() {}
