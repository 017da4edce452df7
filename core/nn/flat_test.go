package nn

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlatRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "m.f64")
	in := [][]float64{{1, -2.5, math.Inf(1)}, {}, {math.SmallestNonzeroFloat64, math.Copysign(0, -1)}}
	if err := WriteFlat(path, in); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 8*5 {
		t.Fatalf("stat: %v, size %d, want 40", err, fi.Size())
	}
	out := [][]float64{make([]float64, 3), nil, make([]float64, 2)}
	if err := ReadFlat(path, out); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		for j := range in[i] {
			if math.Float64bits(in[i][j]) != math.Float64bits(out[i][j]) {
				t.Fatalf("[%d][%d] = %v, want %v", i, j, out[i][j], in[i][j])
			}
		}
	}
	// A size mismatch is refused and leaves the parameters alone.
	short := [][]float64{{7, 7}}
	err := ReadFlat(path, short)
	if err == nil || !strings.Contains(err.Error(), "40 bytes, want 16 for 2 parameters") {
		t.Fatalf("err = %v", err)
	}
	if short[0][0] != 7 || short[0][1] != 7 {
		t.Fatalf("parameters changed on refusal: %v", short)
	}
	// No temporary files are left beside the result.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("directory holds %d entries, want 1", len(ents))
	}
}
