package estim

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to every estimator's Load: it must never
// panic, and a state it accepts must save to bytes that load and save again
// unchanged (Save is a pure function of the loaded state).
func FuzzLoad(f *testing.F) {
	x := logNormalData(rand.New(rand.NewPCG(1, 9)), 30, 3, -1)
	for _, e := range all() {
		if err := e.Fit(x, 30, 3); err != nil {
			f.Fatal(err)
		}
		b, _ := e.Save()
		f.Add(b)
	}
	f.Add([]byte("ablate-estim"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range all() {
			if err := e.Load(b); err != nil {
				continue
			}
			s1, err := e.Save()
			if err != nil {
				t.Fatalf("%s: loaded state does not save: %v", e.Name(), err)
			}
			l := fresh(e.Name())
			if err := l.Load(s1); err != nil {
				t.Fatalf("%s: saved state does not load: %v", e.Name(), err)
			}
			s2, _ := l.Save()
			if !bytes.Equal(s1, s2) {
				t.Fatalf("%s: save is not stable across load", e.Name())
			}
			out := make([]float64, 1)
			row := make([]float64, len(x)/30)
			copy(row, x)
			_ = e.Score(out, row, 1, len(row)) // must not panic
		}
	})
}
