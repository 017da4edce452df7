package prefs

import "fmt"

// Batch is g groups of a prompt and its candidate completions, ragged:
// prompt i is PromptTok[PromptOff[i]:PromptOff[i+1]], candidate c is
// CandTok[CandOff[c]:CandOff[c+1]], and group i owns candidates
// GroupOff[i] to GroupOff[i+1]-1.
type Batch struct {
	PromptTok, PromptOff []int32
	CandTok, CandOff     []int32
	GroupOff             []int32
}

// Groups returns the number of groups.
func (b *Batch) Groups() int { return len(b.GroupOff) - 1 }

// Candidates returns the total number of candidates.
func (b *Batch) Candidates() int { return len(b.CandOff) - 1 }

// Prompt returns the tokens of prompt i.
func (b *Batch) Prompt(i int) []int32 { return b.PromptTok[b.PromptOff[i]:b.PromptOff[i+1]] }

// Cand returns the tokens of candidate c.
func (b *Batch) Cand(c int) []int32 { return b.CandTok[b.CandOff[c]:b.CandOff[c+1]] }

// Validate checks the offsets: each array starts at 0, never decreases and
// ends at its token array's length; the groups cover the candidates, with at
// least two candidates each.
func (b *Batch) Validate() error {
	if len(b.GroupOff) < 2 {
		return fmt.Errorf("prefs: batch has no groups")
	}
	if len(b.PromptOff) != len(b.GroupOff) {
		return fmt.Errorf("prefs: %d prompt offsets for %d groups, want %d", len(b.PromptOff), b.Groups(), b.Groups()+1)
	}
	if err := checkOffsets("prompt", b.PromptOff, len(b.PromptTok)); err != nil {
		return err
	}
	if err := checkOffsets("candidate", b.CandOff, len(b.CandTok)); err != nil {
		return err
	}
	if err := checkOffsets("group", b.GroupOff, b.Candidates()); err != nil {
		return err
	}
	for i := 0; i < b.Groups(); i++ {
		if k := b.GroupOff[i+1] - b.GroupOff[i]; k < 2 {
			return fmt.Errorf("prefs: group %d has %d candidates, want at least 2", i, k)
		}
	}
	return nil
}

func checkOffsets(what string, off []int32, n int) error {
	if len(off) < 1 || off[0] != 0 {
		return fmt.Errorf("prefs: %s offsets must start at 0", what)
	}
	for i := 1; i < len(off); i++ {
		if off[i] < off[i-1] {
			return fmt.Errorf("prefs: %s offsets decrease at %d (%d after %d)", what, i, off[i], off[i-1])
		}
	}
	if int(off[len(off)-1]) != n {
		return fmt.Errorf("prefs: %s offsets end at %d, want %d", what, off[len(off)-1], n)
	}
	return nil
}
