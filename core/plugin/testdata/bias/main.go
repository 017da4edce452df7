// Command bias is a test bias: it adds bonus to a candidate's score for
// every occurrence of token.
package main

import "github.com/ablate-ml/ablate/sdk"

type params struct {
	Token int32   `json:"token" doc:"the rewarded token"`
	Bonus float64 `json:"bonus" doc:"added per occurrence"`
}

func init() {
	sdk.Bias(sdk.Info{Name: "test-bias", Version: "1.0.0", Description: "token bonus"},
		params{Token: 7, Bonus: 1},
		func(p params, g sdk.Groups, scores, out []float64) error {
			for c := range out {
				out[c] = scores[c]
				for _, tok := range g.Cand(c) {
					if tok == p.Token {
						out[c] += p.Bonus
					}
				}
			}
			return nil
		})
}

func main() {}
