package discount

import (
	"fmt"
	"math"
)

// Options says how Advantages turns rewards into advantages.
type Options struct {
	// Gamma is the discount factor in [0, 1].
	Gamma float64
	// Center subtracts, at each position, the mean reward over the sequences
	// of the batch whose mask is on there.
	Center bool
}

// Advantages writes the advantages of the b x t rewards to dst:
//
//  1. r'_{i,j} = r_{i,j} - mean over i' with mask_{i',j} on of r_{i',j}
//     (when Center; positions no sequence covers are left alone);
//  2. G_{i,j} = r'_{i,j} + Gamma G_{i,j+1}, scanning backwards, where
//     positions with the mask off contribute no reward but still count as a
//     step of time (the carry is discounted across them);
//  3. A_{i,j} = G_{i,j} - control_{i,j} when control is not nil.
//
// Positions with the mask off get advantage 0. A mask value is on when it is
// not zero. The control variate is subtracted from the return, not from the
// reward: c_{i,j} may depend on everything before position j, and only then
// is E[(G_t - c_t) grad log pi(a_t)] = E[G_t grad log pi(a_t)]; subtracting
// it from r_{t+k} inside the sum would bias the gradient at t.
//
// It returns an error naming the first bad value: a shape mismatch, a
// non-finite reward or control where the mask is on, or Gamma outside [0, 1].
func Advantages(dst, rewards, mask, control []float64, b, t int, o Options) error {
	if b < 1 || t < 1 {
		return fmt.Errorf("discount: batch is %d x %d, want at least 1 x 1", b, t)
	}
	n := b * t
	for _, a := range []struct {
		name string
		v    []float64
	}{{"rewards", rewards}, {"mask", mask}, {"output", dst}} {
		if len(a.v) != n {
			return fmt.Errorf("discount: %s has %d values, want %d x %d = %d", a.name, len(a.v), b, t, n)
		}
	}
	if control != nil && len(control) != n {
		return fmt.Errorf("discount: control variate has %d values, want %d x %d = %d", len(control), b, t, n)
	}
	if !(o.Gamma >= 0 && o.Gamma <= 1) {
		return fmt.Errorf("discount: gamma is %v, want a value in [0, 1]", o.Gamma)
	}
	for k := 0; k < n; k++ {
		if mask[k] == 0 {
			continue
		}
		if v := rewards[k]; math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("discount: reward of sequence %d at position %d is %v", k/t, k%t, v)
		}
		if control != nil {
			if v := control[k]; math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("discount: control variate of sequence %d at position %d is %v", k/t, k%t, v)
			}
		}
		if math.IsNaN(mask[k]) {
			return fmt.Errorf("discount: mask of sequence %d at position %d is NaN", k/t, k%t)
		}
	}
	var mean []float64
	if o.Center {
		mean = make([]float64, t)
		for j := 0; j < t; j++ {
			s, c := 0.0, 0
			for i := 0; i < b; i++ {
				if mask[i*t+j] != 0 {
					s += rewards[i*t+j]
					c++
				}
			}
			if c > 0 {
				mean[j] = s / float64(c)
			}
		}
	}
	for i := 0; i < b; i++ {
		g := 0.0
		for j := t - 1; j >= 0; j-- {
			k := i*t + j
			r := 0.0
			if mask[k] != 0 {
				r = rewards[k]
				if mean != nil {
					r -= mean[j]
				}
			}
			g = r + o.Gamma*g
			switch {
			case mask[k] == 0:
				dst[k] = 0
			case control != nil:
				dst[k] = g - control[k]
			default:
				dst[k] = g
			}
		}
	}
	return nil
}
