package train

import (
	"bytes"
	"errors"
	"testing"
)

func TestPackState(t *testing.T) {
	in := map[string][]byte{"params": []byte{1, 2, 3}, "rng": []byte("pcg"), "empty": nil}
	b := PackState(in)
	if !bytes.Equal(b, PackState(map[string][]byte{"rng": []byte("pcg"), "empty": {}, "params": {1, 2, 3}})) {
		t.Fatal("packing depends on map order")
	}
	out, err := UnpackState(b, "params", "rng")
	if err != nil || len(out) != 3 || !bytes.Equal(out["params"], in["params"]) || string(out["rng"]) != "pcg" || len(out["empty"]) != 0 {
		t.Fatalf("got %v, %v", out, err)
	}
	if _, err := UnpackState(b, "adam"); !errors.Is(err, ErrState) || err.Error() != `train: state: no part "adam" (have 3 parts): malformed packed state` {
		t.Fatalf("missing part: %v", err)
	}
	for i := 0; i < len(b); i++ { // every truncation is an error, never a panic
		if _, err := UnpackState(b[:i]); !errors.Is(err, ErrState) {
			t.Fatalf("truncated to %d bytes: err = %v", i, err)
		}
	}
	if _, err := UnpackState(append(b, 0)); !errors.Is(err, ErrState) {
		t.Fatal("trailing byte accepted")
	}
}

func FuzzUnpackState(f *testing.F) {
	f.Add(PackState(map[string][]byte{"a": {1}, "bb": {2, 3}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		parts, err := UnpackState(b)
		if err != nil {
			return
		}
		if !bytes.Equal(PackState(parts), b) {
			t.Fatal("accepted state does not re-pack to the same bytes")
		}
	})
}
