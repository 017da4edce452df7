// Command annealed discounts with a gamma that moves from "from" to "to" over
// "steps" training steps (linear or cosine in gamma, or linear in the horizon
// 1/(1-gamma)) and then holds, after batch centring; minus the control
// variate when the host passes one.
package main

import (
	"github.com/ablate-ml/ablate/plugins/internal/discount"
	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	From   float64 `json:"from" doc:"gamma at step 0, in [0, 1]"`
	To     float64 `json:"to" doc:"gamma from step 'steps' on, in [0, 1]"`
	Steps  int64   `json:"steps" doc:"length of the schedule in training steps (>= 1)"`
	Shape  string  `json:"shape" doc:"linear or cosine (in gamma), or horizon (linear in 1/(1-gamma))"`
	Center bool    `json:"center" doc:"subtract, per position, the mean reward over the batch (within the mask)"`
}

func (p params) schedule() discount.Annealed {
	return discount.Annealed{From: p.From, To: p.To, Steps: p.Steps, Shape: p.Shape}
}

func (p params) Validate() error { return p.schedule().Validate() }

func init() {
	sdk.Discount(sdk.Info{Name: "annealed", Version: "1.0.0",
		Description: "Discount with gamma on a schedule over training steps, after batch centring; minus the control variate."},
		params{From: 0.9, To: 0.99, Steps: 1000, Shape: "linear", Center: true},
		func(p params, b sdk.DiscountBatch, out []float64) error {
			g := p.schedule().Gamma(b.Step)
			return discount.Advantages(out, b.Rewards, b.Mask, b.Control, b.B, b.T, discount.Options{Gamma: g, Center: p.Center})
		})
}

func main() {}
