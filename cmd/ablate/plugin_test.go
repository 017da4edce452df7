package main

import (
	"bytes"
	"context"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

func TestPluginNewWritesFormattedSources(t *testing.T) {
	for _, kind := range []string{"judge", "bias", "discount", "estimator"} {
		dir := filepath.Join(t.TempDir(), "p")
		code, out, errOut := runPluginCLI(t, "new", kind, "my-"+kind, "-dir", dir)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", kind, code, errOut)
		}
		if !strings.Contains(out, "a "+kind+" named my-"+kind) {
			t.Errorf("%s: stdout %q", kind, out)
		}
		for _, f := range []string{"main.go", "main_test.go"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			src, err := format.Source(b)
			if err != nil || string(src) != string(b) {
				t.Errorf("%s/%s is not gofmt-clean Go: %v", kind, f, err)
			}
		}
		if code, _, _ := runPluginCLI(t, "new", kind, "x", "-dir", dir); code == 0 {
			t.Errorf("%s: overwrote an existing directory", kind)
		}
	}
	if code, _, errOut := runPluginCLI(t, "new", "oracle", "x"); code != 2 || !strings.Contains(errOut, `kind "oracle"`) {
		t.Errorf("bad kind: exit %d, %q", code, errOut)
	}
}

func TestPluginBuildTestInspect(t *testing.T) {
	src := "../../core/plugin/testdata/judge"
	wasm := filepath.Join(t.TempDir(), "j.wasm")
	code, out, errOut := runPluginCLI(t, "build", src, "-o", wasm)
	if code != 0 || !strings.Contains(out, "sha256:") {
		t.Fatalf("build: exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut = runPluginCLI(t, "test", wasm, "sign=1")
	if code != 0 || !strings.Contains(out, "0 failed") {
		t.Fatalf("test: exit %d: %s %s", code, out, errOut)
	}
	code, out, errOut = runPluginCLI(t, "inspect", wasm)
	for _, want := range []string{"abi:         1", "name:        test-judge", "kind:        judge", "+1 prefers longer, -1 shorter", "ablate_judge"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect: exit %d, output lacks %q:\n%s%s", code, want, out, errOut)
		}
	}
	bad := sdkplugintest.Build(t, "../../core/plugin/testdata/bad")
	code, out, _ = runPluginCLI(t, "test", bad, "mode=nan")
	if code != 1 || !strings.Contains(out, "FAIL judge: one pair") {
		t.Errorf("test of a bad plugin: exit %d:\n%s", code, out)
	}
	code, _, errOut = runPluginCLI(t, "inspect", bad, "nope=1")
	if code != 1 || !strings.Contains(errOut, `unknown parameter "nope"`) {
		t.Errorf("inspect with a bad parameter: exit %d: %s", code, errOut)
	}
}

// runPluginCLI runs `ablate plugin ARGS` the way run does, without
// depending on the command table.
func runPluginCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	err := runPlugin(context.Background(), &env{stdout: &o, stderr: &e}, args)
	if err != nil {
		e.WriteString("ablate plugin: " + err.Error() + "\n")
		code = 1
		if _, ok := err.(*usageError); ok {
			code = 2
		}
	}
	return code, o.String(), e.String()
}
