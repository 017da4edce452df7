package data

import (
	"slices"
	"strings"
	"testing"
)

// TestAlphabet: symbols are the bytes present, ascending, with Index its
// inverse and -1 elsewhere; whitespace marked; Tokens shifts by one byte;
// bad windows panic naming the problem.
func TestAlphabet(t *testing.T) {
	a := NewAlphabet([]byte("ba c\n"), []byte("ca\tb"))
	if got := string(a.Bytes); got != "\t\n abc" {
		t.Fatalf("bytes %q", got)
	}
	if a.Size() != 6 {
		t.Fatalf("size %d", a.Size())
	}
	for c := 0; c < 256; c++ {
		s := a.Index[c]
		if in := strings.IndexByte(string(a.Bytes), byte(c)); s != in {
			t.Fatalf("index of %q: %d, want %d", rune(c), s, in)
		}
		if s >= 0 && a.Space[s] != IsSpace(c) {
			t.Fatalf("space of %q", rune(c))
		}
	}
	in, tgt := a.Tokens([][]byte{[]byte("abc"), []byte("c a")})
	sym := func(s string) []int {
		var out []int
		for _, c := range []byte(s) {
			out = append(out, a.Index[c])
		}
		return out
	}
	if w := sym("abc "); !slices.Equal(in, w) {
		t.Fatalf("in %v, want %v", in, w)
	}
	if w := sym("bc a"); !slices.Equal(tgt, w) {
		t.Fatalf("targets %v, want %v", tgt, w)
	}
	for name, ws := range map[string][][]byte{"absent byte": {[]byte("az")}, "lengths": {[]byte("ab"), []byte("abc")}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			a.Tokens(ws)
		}()
	}
}
