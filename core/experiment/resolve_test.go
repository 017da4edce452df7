package experiment

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseUse(t *testing.T) {
	cases := []struct{ use, scheme, name string }{
		{"kde", "builtin", "kde"},
		{"builtin:kde", "builtin", "kde"},
		{"x.wasm", "file", "x.wasm"},
		{"../p/x", "file", "../p/x"},
		{"file:/abs/x.wasm", "file", "/abs/x.wasm"},
		{"registry:kde@^1.2", "registry", "kde@^1.2"},
		{"oci:ghcr.io/a/b:1", "oci", "ghcr.io/a/b:1"},
	}
	for _, c := range cases {
		s, n, err := ParseUse(c.use)
		if err != nil || s != c.scheme || n != c.name {
			t.Errorf("%s: %s %s %v, want %s %s", c.use, s, n, err, c.scheme, c.name)
		}
	}
	for _, bad := range []string{"", "Kde Plugin", "registry:"} {
		if _, _, err := ParseUse(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestFileResolverRelativeToExperiment(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	r, err := FileResolver{}.Resolve(context.Background(), PluginRef{Name: "p.wasm", BaseDir: dir})
	if err != nil || r.Digest != Digest([]byte("\x00asm\x01\x00\x00\x00")) {
		t.Fatalf("%+v %v", r, err)
	}
	if _, err := (FileResolver{}).Resolve(context.Background(), PluginRef{Name: "p.wasm", BaseDir: t.TempDir()}); err == nil {
		t.Error("a missing file resolved")
	}
}

// TestBuiltinBuildsOnDemand builds a built-in plugin from source with the Go
// toolchain: the same source gives the same bytes, a changed source other
// bytes, and a prebuilt module wins.
func TestBuiltinBuildsOnDemand(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go toolchain")
	}
	src := t.TempDir()
	pdir := filepath.Join(src, "estimator", "dummy")
	os.MkdirAll(pdir, 0o755)
	os.WriteFile(filepath.Join(pdir, "go.mod"), []byte("module dummy\n\ngo 1.24\n"), 0o644)
	write := func(v string) {
		os.WriteFile(filepath.Join(pdir, "main.go"), []byte("package main\n\n//go:wasmexport ablate_abi_version\nfunc abiVersion() int32 { return "+v+" }\n\nfunc main() {}\n"), 0o644)
	}
	write("1")
	cache := t.TempDir()
	r := BuiltinResolver{Dir: t.TempDir(), SourceDir: src, CacheDir: cache}
	ref := PluginRef{Kind: "estimator", Name: "dummy"}
	a, err := r.Resolve(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(a.Wasm, []byte("\x00asm")) || a.Digest != Digest(a.Wasm) || !a.MayTrust {
		t.Fatalf("built module: %d bytes, digest %s", len(a.Wasm), a.Digest)
	}
	b, err := r.Resolve(context.Background(), ref)
	left, _ := filepath.Glob(filepath.Join(cache, "*"))
	if err != nil || b.Digest != a.Digest || len(left) != 0 {
		t.Fatalf("second build: %v, same bytes %v, %d files left behind", err, b.Digest == a.Digest, len(left))
	}
	write("2")
	c, err := r.Resolve(context.Background(), ref)
	if err != nil || c.Digest == a.Digest {
		t.Fatalf("after a source change: %v, same digest %v", err, c.Digest == a.Digest)
	}
	// A prebuilt module in Dir wins over the sources.
	os.WriteFile(filepath.Join(r.Dir, "estimator-dummy.wasm"), []byte("\x00asm prebuilt"), 0o644)
	d, err := r.Resolve(context.Background(), ref)
	if err != nil || string(d.Wasm) != "\x00asm prebuilt" {
		t.Fatalf("prebuilt: %q %v", d.Wasm, err)
	}
	_, err = r.Resolve(context.Background(), PluginRef{Kind: "judge", Name: "nope"})
	if err == nil || !strings.Contains(err.Error(), "make plugins") {
		t.Errorf("missing built-in: %v", err)
	}
}

func TestRegistrySchemeNeedsAResolver(t *testing.T) {
	f, err := Decode("r.toml", []byte("study = \"toy\"\n[plugins.estimator]\nuse = \"registry:kde@^1\"\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Plan(context.Background(), testEnv(t, ""))
	if err == nil || !strings.Contains(err.Error(), `r.toml:3: plugins.estimator.use: no resolver for scheme "registry:"`) {
		t.Fatalf("%v", err)
	}
	// With one configured, the reference reaches it whole.
	env := testEnv(t, "")
	var got PluginRef
	env.Resolvers["registry"] = ResolverFunc(func(_ context.Context, ref PluginRef) (Resolved, error) {
		got = ref
		return Resolved{Source: "reg/kde@1.2.0", Digest: Digest([]byte("k")), Wasm: []byte("k")}, nil
	})
	p, err := f.Plan(context.Background(), env)
	if err != nil || got.Name != "kde@^1" || got.Kind != "estimator" || p.Runs[0].Plugins[0].Trust != TrustGuarded {
		t.Fatalf("%v %+v", err, got)
	}
	// An unverified registry plugin may not run trusted.
	f2, _ := Decode("r.toml", []byte("study = \"toy\"\n[plugins.estimator]\nuse = \"registry:kde@^1\"\ntrust = \"trusted\"\n"), nil)
	if _, err := f2.Plan(context.Background(), env); err == nil || !strings.Contains(err.Error(), "cannot run trusted") {
		t.Errorf("trusted unverified plugin: %v", err)
	}
}

func TestCheckPluginReportsBeforeRunning(t *testing.T) {
	env := testEnv(t, "")
	calls := 0
	env.CheckPlugin = func(_ context.Context, p Plugin) error {
		calls++
		if p.Params["k"] == int64(0) {
			return errors.New("plugin: estimator kde: parameter k: want > 0, got 0\ndetail")
		}
		return nil
	}
	src := "study = \"toy\"\nseeds = [1, 2]\n[plugins.estimator]\nuse = \"kde\"\nparams = { k = 0 }\n"
	f, err := Decode("c.toml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Plan(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "c.toml:3: plugins.estimator: estimator kde: parameter k: want > 0, got 0") || strings.Contains(err.Error(), "detail") {
		t.Fatalf("%v", err)
	}
	if calls != 1 {
		t.Errorf("checked %d times, want once for one module and parameters", calls)
	}
	// A swept plugin is reported at its axis with the value.
	f, _ = Decode("c.toml", []byte(src+"[sweep.grid]\n\"plugins.estimator.use\" = [\"kde\", \"gmm\"]\n"), nil)
	_, err = f.Plan(context.Background(), env)
	if err == nil || !strings.Contains(err.Error(), "c.toml:7: plugins.estimator: estimator kde: parameter k: want > 0, got 0 (sweep value kde)") {
		t.Fatalf("%v", err)
	}
}
