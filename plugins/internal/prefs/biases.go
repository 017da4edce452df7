package prefs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// LabelFlip reverses a group's preference with probability Rate: the
// candidates' scores are permuted so that the best gets the worst's score,
// the second best the second worst's, and so on (for a pair, the two scores
// swap). The set of score values is kept, so probabilities stay
// probabilities. One uniform draw per group, in group order.
type LabelFlip struct {
	Rate float64 `json:"rate"`
}

// Validate reports a rate outside [0, 1].
func (l LabelFlip) Validate() error {
	if !(l.Rate >= 0 && l.Rate <= 1) {
		return fmt.Errorf("prefs: label-flip: rate is %v, want a probability in [0, 1]", l.Rate)
	}
	return nil
}

// Apply writes the adjusted scores to dst (dst may be scores).
func (l LabelFlip) Apply(dst, scores []float64, b *Batch, rng *rand.Rand) {
	copy(dst, scores)
	for g := 0; g < b.Groups(); g++ {
		if rng.Float64() >= l.Rate {
			continue
		}
		lo, hi := int(b.GroupOff[g]), int(b.GroupOff[g+1])
		idx := make([]int, hi-lo)
		for i := range idx {
			idx[i] = lo + i
		}
		// Stable order by score (ties keep candidate order), then reverse.
		sort.SliceStable(idx, func(i, j int) bool { return scores[idx[i]] < scores[idx[j]] })
		for r, c := range idx {
			dst[c] = scores[idx[len(idx)-1-r]]
		}
	}
}

// TokenBonus adds Bonus to a candidate's score for every occurrence of any of
// Tokens in it (the prompt does not count).
type TokenBonus struct {
	Tokens []int32 `json:"tokens"`
	Bonus  float64 `json:"bonus"`
}

// Validate reports a non-finite bonus. (An empty token list is valid and
// leaves scores unchanged.)
func (t TokenBonus) Validate() error {
	if math.IsNaN(t.Bonus) || math.IsInf(t.Bonus, 0) {
		return fmt.Errorf("prefs: token-bonus: bonus is %v, want a finite value", t.Bonus)
	}
	return nil
}

// Apply writes the adjusted scores to dst (dst may be scores).
func (t TokenBonus) Apply(dst, scores []float64, b *Batch) {
	set := make(map[int32]bool, len(t.Tokens))
	for _, k := range t.Tokens {
		set[k] = true
	}
	for c := 0; c < b.Candidates(); c++ {
		n := 0
		for _, k := range b.Cand(c) {
			if set[k] {
				n++
			}
		}
		dst[c] = scores[c] + t.Bonus*float64(n)
	}
}
