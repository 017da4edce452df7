package autodiff

import "testing"

// TestAttnSpanMatchesAllowed checks that the key range Attention loops over
// is exactly the set of keys AttnOpts.allowed admits, for causal and
// bidirectional attention with and without windows.
func TestAttnSpanMatchesAllowed(t *testing.T) {
	const s = 9
	for _, causal := range []bool{false, true} {
		for w := 0; w <= s+1; w++ {
			o := AttnOpts{Causal: causal, Window: w}
			for i := 0; i < s; i++ {
				lo, hi := o.span(i, s)
				for j := 0; j < s; j++ {
					if in := lo <= j && j < hi; in != o.allowed(i, j) {
						t.Errorf("causal=%v window=%d: query %d key %d: in span [%d,%d) = %v, allowed = %v", causal, w, i, j, lo, hi, in, o.allowed(i, j))
					}
				}
			}
		}
	}
}
