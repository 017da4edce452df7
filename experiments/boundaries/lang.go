package boundaries

import (
	"fmt"
	"math/rand/v2"
)

// Language is a seeded synthetic language with known word boundaries: a
// stream of words separated by single spaces, in which word i is, with
// probability Follow, a fixed permutation of word i-Lag, and otherwise uniform.
type Language struct {
	Name   string
	Words  [][]byte // the vocabulary
	Next   []int    // Next[w] is the word that follows w at distance Lag
	Lag    int
	Follow float64
}

// Languages are the names NewLanguage knows.
var Languages = []string{"skip", "prefix"}

// NewLanguage builds the named language from seed:
//
//   - "skip": 50 random words of 3-5 lowercase letters (all distinct);
//   - "prefix": 10 stems of 2-4 letters (none a prefix of another) times the
//     endings "", "a", "o", "an", "on": 50 words, where a word is only known
//     at its space (the stem "kel" may still become "kela" or "kelon").
//
// Words average about 4 letters, so spaces are about a fifth of the bytes.
// lag >= 1 is the distance of the dependency in words, follow in [0, 1].
func NewLanguage(name string, seed uint64, lag int, follow float64) (*Language, error) {
	if lag < 1 {
		return nil, fmt.Errorf("boundaries: language lag is %d, want >= 1", lag)
	}
	if !(follow >= 0 && follow <= 1) {
		return nil, fmt.Errorf("boundaries: language follow is %v, want [0, 1]", follow)
	}
	rng := rand.New(rand.NewPCG(seed, 0x6c616e67))
	l := &Language{Name: name, Lag: lag, Follow: follow}
	seen := map[string]bool{}
	randWord := func(lo, hi int) []byte {
		for {
			w := make([]byte, lo+rng.IntN(hi-lo+1))
			for i := range w {
				w[i] = byte('a' + rng.IntN(26))
			}
			if !seen[string(w)] {
				seen[string(w)] = true
				return w
			}
		}
	}
	switch name {
	case "skip":
		for len(l.Words) < 50 {
			l.Words = append(l.Words, randWord(3, 5))
		}
	case "prefix":
		var stems [][]byte
		for len(stems) < 10 {
			s := randWord(2, 4)
			ok := true
			for _, o := range stems {
				if hasPrefix(s, o) || hasPrefix(o, s) {
					ok = false
				}
			}
			// A stem must not end in an ending's letters either, so that
			// stem+ending splits one way only.
			if last := s[len(s)-1]; last == 'a' || last == 'o' || last == 'n' {
				ok = false
			}
			if ok {
				stems = append(stems, s)
			}
		}
		for _, s := range stems {
			for _, e := range []string{"", "a", "o", "an", "on"} {
				l.Words = append(l.Words, append(append([]byte{}, s...), e...))
			}
		}
	default:
		return nil, fmt.Errorf("boundaries: unknown language %q (want skip or prefix)", name)
	}
	// A permutation, so that following the rule keeps every word in use
	// (iterating a random function would end in a few short cycles).
	l.Next = rng.Perm(len(l.Words))
	return l, nil
}

func hasPrefix(s, p []byte) bool {
	return len(p) <= len(s) && string(s[:len(p)]) == string(p)
}

// Generate returns at least n bytes of the language drawn from rng: words
// separated by single spaces, and the word index of each word in order.
func (l *Language) Generate(rng *rand.Rand, n int) ([]byte, []int) {
	out := make([]byte, 0, n+16)
	var ws []int
	for len(out) < n {
		w := rng.IntN(len(l.Words))
		if i := len(ws); i >= l.Lag && rng.Float64() < l.Follow {
			w = l.Next[ws[i-l.Lag]]
		}
		ws = append(ws, w)
		out = append(out, l.Words[w]...)
		out = append(out, ' ')
	}
	return out, ws
}
