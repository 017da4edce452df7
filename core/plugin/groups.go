package plugin

import "fmt"

// NewGroups packs nested token slices into a ragged Groups batch: group i
// is prompts[i] with candidates cands[i]. Inputs are copied, not kept.
func NewGroups(prompts [][]int32, cands [][][]int32) (Groups, error) {
	if len(prompts) != len(cands) {
		return Groups{}, fmt.Errorf("%w: %d prompts, %d candidate lists", ErrInput, len(prompts), len(cands))
	}
	g := Groups{PromptOff: []int32{0}, CandOff: []int32{0}, GroupOff: []int32{0}}
	for i, p := range prompts {
		g.PromptTok = append(g.PromptTok, p...)
		g.PromptOff = append(g.PromptOff, int32(len(g.PromptTok)))
		if len(cands[i]) < 2 {
			return Groups{}, fmt.Errorf("%w: group %d has %d candidates, want at least 2", ErrInput, i, len(cands[i]))
		}
		for _, c := range cands[i] {
			g.CandTok = append(g.CandTok, c...)
			g.CandOff = append(g.CandOff, int32(len(g.CandTok)))
		}
		g.GroupOff = append(g.GroupOff, int32(len(g.CandOff)-1))
	}
	return g, nil
}

// Pairs is NewGroups for pairwise judging: group i is prompts[i] with
// candidates a[i] and b[i], so a judge's scores are (A, B) per group.
func Pairs(prompts, a, b [][]int32) (Groups, error) {
	if len(a) != len(prompts) || len(b) != len(prompts) {
		return Groups{}, fmt.Errorf("%w: %d prompts, %d A and %d B completions", ErrInput, len(prompts), len(a), len(b))
	}
	cands := make([][][]int32, len(prompts))
	for i := range prompts {
		cands[i] = [][]int32{a[i], b[i]}
	}
	return NewGroups(prompts, cands)
}

// Pick returns, for each group, the candidate with the highest score
// (chosen) and the one with the lowest (rejected), as indices into the
// batch's candidates; ties go to the lower index. scores has one value per
// candidate, as a judge or bias writes them.
func Pick(g Groups, scores []float64) (chosen, rejected []int, err error) {
	if err := g.Validate(); err != nil {
		return nil, nil, err
	}
	if len(scores) != g.Candidates() {
		return nil, nil, fmt.Errorf("%w: %d scores for %d candidates", ErrInput, len(scores), g.Candidates())
	}
	chosen, rejected = make([]int, g.Len()), make([]int, g.Len())
	for i := range g.Len() {
		lo, hi := int(g.GroupOff[i]), int(g.GroupOff[i+1])
		best, worst := lo, lo
		for c := lo + 1; c < hi; c++ {
			if scores[c] > scores[best] {
				best = c
			}
			if scores[c] < scores[worst] {
				worst = c
			}
		}
		if best == worst { // all equal: prefer the first, reject the second
			worst = lo + 1
		}
		chosen[i], rejected[i] = best, worst
	}
	return chosen, rejected, nil
}
