package data

import "fmt"

// Alphabet maps the bytes a corpus uses to the symbols 0..Size()-1, in byte
// order: a model over the bytes present has a smaller softmax and the same
// bits per byte on the corpus as one over all 256.
type Alphabet struct {
	Bytes []byte   // symbol -> byte, ascending
	Index [256]int // byte -> symbol, -1 when absent
	Space []bool   // symbol -> whether its byte is whitespace (IsSpace)
}

// IsSpace reports whether byte c is whitespace for word boundaries: space,
// tab, newline or carriage return.
func IsSpace(c int) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

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
	return a
}

// Size is the number of symbols.
func (a *Alphabet) Size() int { return len(a.Bytes) }

// Tokens turns windows of S+1 bytes into the len(ws) x S input symbols and
// the symbols that follow them (the next-byte targets). It panics on a byte
// outside the alphabet or on windows of different lengths: both are
// programming errors, as the alphabet is built from every text the windows
// come from.
func (a *Alphabet) Tokens(ws [][]byte) (in, tgt []int) {
	S := len(ws[0]) - 1
	in, tgt = make([]int, 0, len(ws)*S), make([]int, 0, len(ws)*S)
	sym := func(c byte) int {
		s := a.Index[c]
		if s < 0 {
			panic(fmt.Sprintf("data: byte %#x is not in the alphabet", c))
		}
		return s
	}
	for _, w := range ws {
		if len(w) != S+1 {
			panic(fmt.Sprintf("data: windows of %d and %d bytes", S+1, len(w)))
		}
		for t := 0; t < S; t++ {
			in = append(in, sym(w[t]))
			tgt = append(tgt, sym(w[t+1]))
		}
	}
	return in, tgt
}
