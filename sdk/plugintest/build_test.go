package plugintest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildIsCachedAndWasm(t *testing.T) {
	a := Build(t, "../../core/plugin/testdata/judge")
	st, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	b := Build(t, "../../core/plugin/testdata/judge")
	st2, _ := os.Stat(b)
	if a != b || !st.ModTime().Equal(st2.ModTime()) {
		t.Errorf("second build %s (%v) is not the cached %s (%v)", b, st2.ModTime(), a, st.ModTime())
	}
	head := make([]byte, 4)
	f, _ := os.Open(a)
	defer f.Close()
	if _, err := f.Read(head); err != nil || string(head) != "\x00asm" {
		t.Errorf("%s does not start with the wasm magic: %q", a, head)
	}
}

func TestBuildErrorCarriesCompilerOutput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "broken")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module broken\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644)
	_, err := BuildDir(dir)
	if err == nil || !strings.Contains(err.Error(), "undefined: undefinedThing") {
		t.Fatalf("err = %v, want the compiler's message", err)
	}
}
