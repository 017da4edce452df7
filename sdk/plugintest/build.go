// Package plugintest builds Go plugins for tests: Build compiles a plugin
// directory to a .wasm once per test binary (cached by the hash of its
// sources), with the standard Go toolchain for GOOS=wasip1.
//
// The conformance kit that runs a .wasm under the real host lives in
// core/plugin/plugintest: it needs the host, and sdk/ must not import core/
// (sdk/ compiles to wasip1). This package stays host-free so plugin authors
// can use it beside their plugin.
package plugintest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// builds serialises builds of one directory inside a test binary.
var builds sync.Map // dir -> *sync.Mutex

// Build compiles the Go plugin in dir (a main package) and returns the
// path of the .wasm, failing the test on error. Builds are cached under
// os.UserCacheDir()/ablate/plugins by a hash of the directory's files and
// the module's sdk sources, so a test binary builds each plugin once.
func Build(t testing.TB, dir string) string {
	t.Helper()
	p, err := BuildDir(dir)
	if err != nil {
		t.Fatalf("plugintest: %v", err)
	}
	return p
}

// BuildDir is Build outside a test: it returns the .wasm path or an error
// carrying the compiler's output.
func BuildDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("plugintest: %w", err)
	}
	mu, _ := builds.LoadOrStore(abs, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	key, err := sourceKey(abs)
	if err != nil {
		return "", err
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	out := filepath.Join(cache, "ablate", "plugins", filepath.Base(abs)+"-"+key[:16]+".wasm")
	if _, err := os.Stat(out); err == nil {
		return out, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return "", fmt.Errorf("plugintest: %w", err)
	}
	tmp := out + fmt.Sprintf(".tmp%d", os.Getpid())
	if err := GoBuild(abs, tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", fmt.Errorf("plugintest: %w", err)
	}
	return out, nil
}

// GoBuild runs GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared in dir,
// writing out.
func GoBuild(dir, out string) error {
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("plugintest: go build in %s: %w\n%s", dir, err, strings.TrimSpace(string(b)))
	}
	return nil
}

// sourceKey hashes the .go files and go.mod/go.sum of dir, of the module's
// sdk directory when dir is inside a module that has one, and the toolchain.
func sourceKey(dir string) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, os.Getenv("GOFLAGS"))
	if b, err := exec.Command("go", "version").Output(); err == nil {
		h.Write(b)
	}
	roots := []string{dir}
	if mod := findModRoot(dir); mod != "" {
		roots = append(roots, filepath.Join(mod, "sdk"), filepath.Join(mod, "plugins", "internal"))
		for _, f := range []string{"go.mod", "go.sum"} {
			if b, err := os.ReadFile(filepath.Join(mod, f)); err == nil {
				h.Write(b)
			}
		}
	}
	for _, r := range roots {
		var files []string
		err := filepath.WalkDir(r, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if r != dir && os.IsNotExist(err) {
					return filepath.SkipDir
				}
				return err
			}
			if d.IsDir() && p != r && r == dir {
				return filepath.SkipDir
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".go") || filepath.Base(p) == "go.mod") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("plugintest: %w", err)
		}
		sort.Strings(files)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return "", fmt.Errorf("plugintest: %w", err)
			}
			fmt.Fprintf(h, "%s %d\n", f, len(b))
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func findModRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}
