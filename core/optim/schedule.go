package optim

import "math"

// Schedule gives the learning rate for an update step (0-based).
type Schedule interface{ LR(step int) float64 }

// Constant is a fixed learning rate.
type Constant float64

// LR implements Schedule.
func (c Constant) LR(int) float64 { return float64(c) }

// WarmupCosine rises linearly from Base/Warmup at step 0 to Base at step
// Warmup-1, then follows a half cosine from Base down to Min at step Total;
// steps at or past Total stay at Min.
type WarmupCosine struct {
	Base   float64
	Warmup int
	Total  int
	Min    float64
}

// LR implements Schedule.
func (s WarmupCosine) LR(step int) float64 {
	if step < s.Warmup {
		return s.Base * float64(step+1) / float64(s.Warmup)
	}
	if step >= s.Total {
		return s.Min
	}
	span := s.Total - s.Warmup
	if span <= 0 {
		return s.Min
	}
	p := float64(step-s.Warmup) / float64(span)
	return s.Min + (s.Base-s.Min)*0.5*(1+math.Cos(math.Pi*p))
}

var (
	_ Schedule = Constant(0)
	_ Schedule = WarmupCosine{}
)
