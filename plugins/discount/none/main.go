// Command none is the undiscounted variance reducer (gamma = 1): the
// advantage at t is the sum of the (batch-centred) rewards from t to the end,
// minus the control variate when the host passes one.
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/discount"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Center bool `json:"center" doc:"subtract, per position, the mean reward over the batch (within the mask)"`
}

func init() {
	sdk.Discount(sdk.Info{Name: "none", Version: "1.0.0",
		Description: "G_t = sum of rewards from t on (gamma 1), after batch centring; minus the control variate."},
		params{Center: true},
		func(p params, b sdk.DiscountBatch, out []float64) error {
			return discount.Advantages(out, b.Rewards, b.Mask, b.Control, b.B, b.T, discount.Options{Gamma: 1, Center: p.Center})
		})
}

func main() {}
