package boundaries

import (
	"fmt"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/data"
)

// Corpus is a training stream and a validation stream of bytes.
type Corpus struct {
	Name         string
	Train, Valid []byte
	Alpha        *data.Alphabet
	Digest       string // of the real text read; "" for the synthetic languages
}

// Corpora are the names LoadCorpus knows.
var Corpora = []string{"skip", "prefix", "opticks", "fortunes", "go-source"}

// CorpusSpec says which corpus and how much of it.
type CorpusSpec struct {
	Name       string
	Seed       uint64  // the synthetic language's seed (its words and rules)
	Lag        int     // the synthetic dependency's distance, in words
	Follow     float64 // the probability that a word follows its rule
	TrainBytes int     // synthetic: bytes generated for training; go-source: bytes read
	ValidBytes int     // synthetic: bytes generated for validation
}

// LoadCorpus builds a synthetic language's streams (training and
// validation drawn from separate streams of the language seed) or reads a
// real corpus and holds out its last 10% (by document) for validation.
func LoadCorpus(s CorpusSpec) (*Corpus, error) {
	switch s.Name {
	case "skip", "prefix":
		l, err := NewLanguage(s.Name, s.Seed, s.Lag, s.Follow)
		if err != nil {
			return nil, err
		}
		tr, _ := l.Generate(rand.New(rand.NewPCG(s.Seed, 1)), s.TrainBytes)
		va, _ := l.Generate(rand.New(rand.NewPCG(s.Seed, 2)), s.ValidBytes)
		return &Corpus{Name: s.Name, Train: tr, Valid: va, Alpha: data.NewAlphabet(tr, va)}, nil
	case "opticks", "fortunes", "go-source":
		var t *data.Text
		var err error
		if s.Name == "go-source" {
			t, err = data.GoSource("", s.TrainBytes)
		} else {
			t, err = data.LoadText(s.Name, "")
		}
		if err != nil {
			return nil, err
		}
		tr, va := t.Split(0.1)
		return &Corpus{Name: s.Name, Train: tr.Bytes, Valid: va.Bytes, Alpha: data.NewAlphabet(t.Bytes),
			Digest: "sha256:" + data.FingerprintContent(t.Digests)}, nil
	}
	return nil, fmt.Errorf("boundaries: unknown corpus %q (want one of %v)", s.Name, Corpora)
}

// Windows returns n windows of length bytes at uniform offsets of b.
func Windows(b []byte, rng *rand.Rand, n, length int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		o := rng.IntN(len(b) - length + 1)
		out[i] = b[o : o+length]
	}
	return out
}

// Consecutive returns up to n consecutive windows of length bytes from the
// start of b (the fixed validation set).
func Consecutive(b []byte, n, length int) [][]byte {
	var out [][]byte
	for o := 0; o+length <= len(b) && len(out) < n; o += length {
		out = append(out, b[o:o+length])
	}
	return out
}
