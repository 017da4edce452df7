package boundaries

import (
	"fmt"
	"sort"
)

// Alphabet maps the bytes a corpus uses to the symbols 0..len(Bytes)-1 (a
// model over the bytes present: the same bits per byte on the corpus, a
// smaller softmax).
type Alphabet struct {
	Bytes []byte   // symbol -> byte, in byte order
	Index [256]int // byte -> symbol, -1 when absent
	Space []bool   // symbol -> whether it is whitespace
}

// NewAlphabet collects the bytes of the texts.
func NewAlphabet(texts ...[]byte) *Alphabet {
	var seen [256]bool
	for _, t := range texts {
		for _, c := range t {
			seen[c] = true
		}
	}
	a := &Alphabet{}
	for c := 0; c < 256; c++ {
		a.Index[c] = -1
		if seen[c] {
			a.Index[c] = len(a.Bytes)
			a.Bytes = append(a.Bytes, byte(c))
			a.Space = append(a.Space, IsSpace(c))
		}
	}
	sort.Slice(a.Bytes, func(i, j int) bool { return a.Bytes[i] < a.Bytes[j] })
	return a
}

// Size is the number of symbols.
func (a *Alphabet) Size() int { return len(a.Bytes) }

// Tokens turns windows of S+1 bytes into the B x S input and target
// symbols. It panics on a byte outside the alphabet (a programming error:
// the alphabet is built from every text the windows come from).
func (a *Alphabet) Tokens(ws [][]byte) (in, tgt []int) {
	S := len(ws[0]) - 1
	in, tgt = make([]int, 0, len(ws)*S), make([]int, 0, len(ws)*S)
	sym := func(c byte) int {
		s := a.Index[c]
		if s < 0 {
			panic(fmt.Sprintf("boundaries: byte %#x is not in the alphabet", c))
		}
		return s
	}
	for _, w := range ws {
		if len(w) != S+1 {
			panic(fmt.Sprintf("boundaries: windows of %d and %d bytes", S+1, len(w)))
		}
		for t := 0; t < S; t++ {
			in = append(in, sym(w[t]))
			tgt = append(tgt, sym(w[t+1]))
		}
	}
	return in, tgt
}
