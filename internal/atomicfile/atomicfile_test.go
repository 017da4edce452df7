package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	for _, c := range []struct {
		s    string
		perm os.FileMode
	}{{"first", 0o600}, {"second", 0o644}} {
		if err := Write(p, []byte(c.s), c.perm); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != c.s {
			t.Fatalf("got %q, want %q", b, c.s)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != c.perm {
			t.Fatalf("mode %v, want %v", fi.Mode().Perm(), c.perm)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	if err := Write(filepath.Join(dir, "no", "such"), nil, 0o600); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
	// A failed write leaves the old file and no temporary behind: a
	// directory in path's place cannot be renamed over.
	sub := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(sub, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(sub, []byte("y"), 0o600); err == nil {
		t.Fatal("rename over a non-empty directory succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("after a failed write the directory holds %v, want f and d", ents)
	}
}
