package boundaries

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestLanguages(t *testing.T) {
	for _, name := range Languages {
		t.Run(name, func(t *testing.T) {
			l, err := NewLanguage(name, 7, 4, 0.9)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Words) != 50 {
				t.Fatalf("%d words, want 50", len(l.Words))
			}
			seen := map[string]bool{}
			for _, w := range l.Words {
				if seen[string(w)] {
					t.Errorf("word %q twice", w)
				}
				seen[string(w)] = true
				if bytes.IndexByte(w, ' ') >= 0 || len(w) < 2 || len(w) > 6 {
					t.Errorf("word %q: want 2..6 letters, no space", w)
				}
			}
			if name == "prefix" {
				// Every word extends another one's stem: a word is only
				// known at its space.
				for i := 0; i < 50; i += 5 {
					for j := 1; j < 5; j++ {
						if !hasPrefix(l.Words[i+j], l.Words[i]) {
							t.Errorf("%q does not extend the stem %q", l.Words[i+j], l.Words[i])
						}
					}
				}
			}
			b, ws := l.Generate(rand.New(rand.NewPCG(1, 2)), 200000)
			// The stream is the words joined by spaces.
			var sb strings.Builder
			for _, w := range ws {
				sb.Write(l.Words[w])
				sb.WriteByte(' ')
			}
			if sb.String() != string(b) {
				t.Fatal("stream is not the words joined by spaces")
			}
			// The rule holds with probability follow + (1-follow)/50; 4 sd of a
			// binomial proportion on ~40000 words is about 0.006.
			hit := 0
			for i := l.Lag; i < len(ws); i++ {
				if ws[i] == l.Next[ws[i-l.Lag]] {
					hit++
				}
			}
			p, want := float64(hit)/float64(len(ws)-l.Lag), 0.9+0.1/50
			if sd := math.Sqrt(want * (1 - want) / float64(len(ws))); math.Abs(p-want) > 4*sd {
				t.Errorf("rule followed %.4f of the time, want %.4f ± %.4f", p, want, 4*sd)
			}
			sp := float64(bytes.Count(b, []byte{' '})) / float64(len(b))
			if sp < 0.15 || sp > 0.25 {
				t.Errorf("spaces are %.3f of the bytes, want about 0.2", sp)
			}
			again, _ := l.Generate(rand.New(rand.NewPCG(1, 2)), 200000)
			l2, _ := NewLanguage(name, 7, 4, 0.9)
			if !bytes.Equal(again, b) || string(l2.Words[3]) != string(l.Words[3]) {
				t.Error("same seed, different language or stream")
			}
			l3, _ := NewLanguage(name, 8, 4, 0.9)
			if string(bytes.Join(l3.Words, nil)) == string(bytes.Join(l.Words, nil)) {
				t.Error("another seed gave the same words")
			}
		})
	}
	if _, err := NewLanguage("klingon", 1, 1, 0.9); err == nil {
		t.Error("unknown language accepted")
	}
	if _, err := NewLanguage("skip", 1, 0, 0.9); err == nil {
		t.Error("lag 0 accepted")
	}
}

func TestCorpusSynthetic(t *testing.T) {
	c, err := LoadCorpus(CorpusSpec{Name: "prefix", Seed: 3, Lag: 2, Follow: 0.9, TrainBytes: 50000, ValidBytes: 5000})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Train) < 50000 || len(c.Valid) < 5000 || bytes.Equal(c.Train[:5000], c.Valid[:5000]) {
		t.Fatalf("train %d, valid %d bytes; want separate streams", len(c.Train), len(c.Valid))
	}
	if c.Alpha.Size() > 27 || !c.Alpha.Space[c.Alpha.Index[' ']] {
		t.Errorf("alphabet %q: want lowercase letters and the space", c.Alpha.Bytes)
	}
	in, tgt := c.Alpha.Tokens([][]byte{c.Train[:9]})
	for i := 0; i < 8; i++ {
		if c.Alpha.Bytes[in[i]] != c.Train[i] || c.Alpha.Bytes[tgt[i]] != c.Train[i+1] {
			t.Fatalf("symbol %d does not map back to its byte", i)
		}
	}
	if _, err := LoadCorpus(CorpusSpec{Name: "nope"}); err == nil {
		t.Error("unknown corpus accepted")
	}
}

// TestCorpusReal reads the Opticks from the Go toolchain (always present
// where the tests build).
func TestCorpusReal(t *testing.T) {
	c, err := LoadCorpus(CorpusSpec{Name: "opticks"})
	if err != nil {
		t.Skipf("opticks: %v", err)
	}
	if len(c.Train) < 400000 || len(c.Valid) < 40000 || c.Digest == "" {
		t.Errorf("train %d, valid %d bytes, digest %q", len(c.Train), len(c.Valid), c.Digest)
	}
}
