// Command discount is a test discount: G_t = r_t + gamma G_{t+1} over the
// masked positions, minus the control variate when given; gamma may anneal
// with the step as gamma * step / (step + 1) when anneal is set.
package main

import (
	"fmt"

	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Gamma  float64 `json:"gamma" doc:"discount in [0, 1]"`
	Anneal bool    `json:"anneal" doc:"scale gamma by step/(step+1)"`
}

func init() {
	sdk.Discount(sdk.Info{Name: "test-discount", Version: "1.0.0", Description: "discounted returns"},
		params{Gamma: 0.9},
		func(p params, b sdk.DiscountBatch, out []float64) error {
			if p.Gamma < 0 || p.Gamma > 1 {
				return fmt.Errorf("discount: gamma is %v, want [0, 1]", p.Gamma)
			}
			g := p.Gamma
			if p.Anneal {
				g *= float64(b.Step) / float64(b.Step+1)
			}
			for i := range b.B {
				carry := 0.0
				for j := b.T - 1; j >= 0; j-- {
					k := i*b.T + j
					r := 0.0
					if b.Mask[k] != 0 {
						r = b.Rewards[k]
					}
					carry = r + g*carry
					out[k] = 0
					if b.Mask[k] != 0 {
						out[k] = carry
						if b.Control != nil {
							out[k] -= b.Control[k]
						}
					}
				}
			}
			return nil
		})
}

func main() {}
