package discount

import (
	"fmt"
	"math"
)

// GammaFromHorizon returns 1 - 1/h, the discount whose effective horizon
// 1/(1-gamma) is h >= 1; h = +Inf gives 1.
func GammaFromHorizon(h float64) (float64, error) {
	if !(h >= 1) {
		return 0, fmt.Errorf("discount: horizon is %v, want >= 1 (or +Inf for no discount)", h)
	}
	return 1 - 1/h, nil
}

// Exponential is a constant discount given as Gamma or, when Horizon is
// not 0, as the horizon 1/(1-gamma), which then takes precedence (so a sweep
// over horizons needs no gamma).
type Exponential struct {
	Gamma   float64 `json:"gamma"`
	Horizon float64 `json:"horizon"`
}

// DefaultGamma is the exponential plugin's default gamma (the paper's value
// at sequence length 4096).
const DefaultGamma = 0.99

// Resolve returns the discount factor Exponential describes.
func (e Exponential) Resolve() (float64, error) {
	if e.Horizon != 0 {
		return GammaFromHorizon(e.Horizon)
	}
	if !(e.Gamma >= 0 && e.Gamma <= 1) {
		return 0, fmt.Errorf("discount: gamma is %v, want a value in [0, 1]", e.Gamma)
	}
	return e.Gamma, nil
}

// Annealed moves gamma from From to To over Steps training steps, then holds
// it at To. Shape is "linear" (in gamma), "cosine" (half-cosine in gamma) or
// "horizon" (linear in the horizon 1/(1-gamma); From and To must be < 1).
type Annealed struct {
	From  float64 `json:"from"`
	To    float64 `json:"to"`
	Steps int64   `json:"steps"`
	Shape string  `json:"shape"`
}

// Validate reports the first bad field.
func (a Annealed) Validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"from", a.From}, {"to", a.To}} {
		if !(f.v >= 0 && f.v <= 1) {
			return fmt.Errorf("discount: annealed %s is %v, want a gamma in [0, 1]", f.name, f.v)
		}
	}
	if a.Steps < 1 {
		return fmt.Errorf("discount: annealed steps is %d, want >= 1", a.Steps)
	}
	switch a.Shape {
	case "linear", "cosine":
	case "horizon":
		if a.From == 1 || a.To == 1 {
			return fmt.Errorf("discount: annealed shape horizon needs from and to < 1 (got %v and %v)", a.From, a.To)
		}
	default:
		return fmt.Errorf("discount: annealed shape is %q, want linear, cosine or horizon", a.Shape)
	}
	return nil
}

// Gamma returns the discount at a training step (steps before 0 count as 0).
// a must be valid.
func (a Annealed) Gamma(step int64) float64 {
	f := 1.0
	if step < a.Steps {
		f = float64(max(step, 0)) / float64(a.Steps)
	}
	switch a.Shape {
	case "cosine":
		f = (1 - math.Cos(math.Pi*f)) / 2
	case "horizon":
		h := 1/(1-a.From) + f*(1/(1-a.To)-1/(1-a.From))
		return 1 - 1/h
	}
	return a.From + f*(a.To-a.From)
}
