package experiment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Trust levels of a plugin, as in `trust = "guarded"` (deadline enforced,
// the default for plugins from a path or a registry) or "trusted" (fast; the
// default for built-ins).
const (
	TrustGuarded = "guarded"
	TrustTrusted = "trusted"
)

// PluginRef is a plugin reference as the experiment file gives it, split
// into its scheme and name.
type PluginRef struct {
	Slot    string // the [plugins.<slot>] it fills
	Kind    string // the slot's plugin kind
	Use     string // the reference as written
	Scheme  string // "builtin", "file", "registry", or another scheme
	Name    string // the reference without its scheme
	BaseDir string // the experiment file's directory, for relative paths
}

// Resolved is the module a reference resolves to.
type Resolved struct {
	Source   string // where the bytes came from (a path, a registry reference with version)
	Digest   string // "sha256:<hex>" of Wasm
	Wasm     []byte
	MayTrust bool // the source allows trust = "trusted"
}

// Resolver turns a reference into module bytes. The plugin host, the
// registry and tests each provide one; core/experiment never loads a module.
type Resolver interface {
	Resolve(ctx context.Context, ref PluginRef) (Resolved, error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, ref PluginRef) (Resolved, error)

// Resolve calls fn.
func (fn ResolverFunc) Resolve(ctx context.Context, ref PluginRef) (Resolved, error) {
	return fn(ctx, ref)
}

// Resolvers maps a scheme to its resolver.
type Resolvers map[string]Resolver

// ParseUse splits a `use` reference: "builtin:kde" or a bare name "kde" is a
// built-in, "x.wasm" or anything with a slash is a file path ("file:" also
// works), "registry:name@range" is a registry reference, and "scheme:rest"
// goes to that scheme's resolver.
func ParseUse(use string) (scheme, name string, err error) {
	if use == "" {
		return "", "", errors.New("empty plugin reference")
	}
	if s, rest, ok := strings.Cut(use, ":"); ok && nameRE.MatchString(s) && len(s) > 1 {
		if rest == "" {
			return "", "", fmt.Errorf("reference %q names no plugin after %q", use, s+":")
		}
		return s, rest, nil
	}
	if strings.HasSuffix(use, ".wasm") || strings.ContainsAny(use, `/\`) {
		return "file", use, nil
	}
	if !nameRE.MatchString(use) {
		return "", "", fmt.Errorf("reference %q is not a built-in name, a .wasm path or scheme:name", use)
	}
	return "builtin", use, nil
}

// Digest returns "sha256:<hex>" of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// FileResolver reads a .wasm from a path, relative paths against the
// experiment file's directory.
type FileResolver struct{}

// Resolve reads the file.
func (FileResolver) Resolve(_ context.Context, ref PluginRef) (Resolved, error) {
	p := ref.Name
	if !filepath.IsAbs(p) {
		p = filepath.Join(ref.BaseDir, p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return Resolved{}, fmt.Errorf("experiment: plugin file: %w", err)
	}
	return Resolved{Source: p, Digest: Digest(b), Wasm: b, MayTrust: true}, nil
}

// BuiltinResolver finds built-in plugins: first <Dir>/<kind>-<name>.wasm
// (what `make plugins` writes to bin/plugins), then, when SourceDir holds
// <kind>/<name>/main.go, builds it with the Go toolchain (GOOS=wasip1,
// -trimpath, so the bytes and their digest do not depend on where the tree
// lives), relying on the go build cache for speed.
type BuiltinResolver struct {
	Dir       string // prebuilt modules; "" to skip
	SourceDir string // the plugins/ tree; "" to never build
	CacheDir  string // scratch space for builds; "" means os.UserCacheDir()/ablate/plugins
	GoCmd     string // the go command; "" means "go"
}

// Resolve finds or builds the module.
func (r BuiltinResolver) Resolve(ctx context.Context, ref PluginRef) (Resolved, error) {
	file := ref.Kind + "-" + ref.Name + ".wasm"
	var looked []string
	if r.Dir != "" {
		p := filepath.Join(r.Dir, file)
		looked = append(looked, p)
		if b, err := os.ReadFile(p); err == nil {
			return Resolved{Source: p, Digest: Digest(b), Wasm: b, MayTrust: true}, nil
		}
	}
	if r.SourceDir != "" {
		src := filepath.Join(r.SourceDir, ref.Kind, ref.Name)
		looked = append(looked, src)
		if _, err := os.Stat(filepath.Join(src, "main.go")); err == nil {
			return r.build(ctx, src, file)
		}
	}
	return Resolved{}, fmt.Errorf("experiment: no built-in %s plugin %q (looked in %s; `make plugins` builds them)",
		ref.Kind, ref.Name, strings.Join(looked, ", "))
}

func (r BuiltinResolver) build(ctx context.Context, src, file string) (Resolved, error) {
	// Always ask the go command: its build cache knows every dependency
	// (the SDK included), so an unchanged plugin links in well under a
	// second and a changed one is never served stale.
	dir := r.CacheDir
	if dir == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return Resolved{}, fmt.Errorf("experiment: plugin cache: %w", err)
		}
		dir = filepath.Join(c, "ablate", "plugins")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Resolved{}, fmt.Errorf("experiment: plugin cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+file+".*.tmp")
	if err != nil {
		return Resolved{}, fmt.Errorf("experiment: plugin cache: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	abs, err := filepath.Abs(src)
	if err != nil {
		return Resolved{}, fmt.Errorf("experiment: %w", err)
	}
	goCmd := r.GoCmd
	if goCmd == "" {
		goCmd = "go"
	}
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-buildmode=c-shared", "-o", tmp.Name(), ".")
	cmd.Dir = abs
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return Resolved{}, fmt.Errorf("experiment: building built-in plugin %s: %w\n%s", src, err, b)
	}
	b, err := os.ReadFile(tmp.Name())
	if err != nil {
		return Resolved{}, fmt.Errorf("experiment: plugin build: %w", err)
	}
	return Resolved{Source: src, Digest: Digest(b), Wasm: b, MayTrust: true}, nil
}

var (
	_ Resolver = FileResolver{}
	_ Resolver = BuiltinResolver{}
	_ Resolver = ResolverFunc(nil)
)
