package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/BurntSushi/toml"

	"github.com/ablate-ml/ablate/internal/atomicfile"
)

// LockFile is the lockfile's name, beside the experiment file.
const LockFile = "ablate.lock"

// Pin is one locked plugin.
type Pin struct {
	Ref        string `toml:"ref"`         // name@range as the experiment wrote it
	Name       string `toml:"name"`        // plugin name
	Version    string `toml:"version"`     // resolved version
	Digest     string `toml:"digest"`      // OCI manifest digest
	WasmDigest string `toml:"wasm_digest"` // sha256 of the module
	Source     string `toml:"source"`      // the registry it was resolved from
}

// Lock is the contents of ablate.lock.
type Lock struct {
	Plugins []Pin `toml:"plugin"`
}

// Find returns the pin for ref.
func (l Lock) Find(ref string) (Pin, bool) {
	for _, p := range l.Plugins {
		if p.Ref == ref {
			return p, true
		}
	}
	return Pin{}, false
}

// ReadLock reads dir/ablate.lock; a missing file is an empty lock.
func ReadLock(dir string) (Lock, error) {
	path := filepath.Join(dir, LockFile)
	var l Lock
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, fmt.Errorf("%w: %w", ErrLock, err)
	}
	md, err := toml.Decode(string(b), &l)
	if err != nil {
		return l, fmt.Errorf("%w: %s: %w", ErrLock, path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return l, fmt.Errorf("%w: %s: unknown key %s", ErrLock, path, und[0])
	}
	for i, p := range l.Plugins {
		if err := ValidateName(p.Name); err != nil {
			return l, fmt.Errorf("%w: %s: plugin %d: %w", ErrLock, path, i+1, err)
		}
		if _, err := ParseVersion(p.Version); err != nil {
			return l, fmt.Errorf("%w: %s: plugin %d: %w", ErrLock, path, i+1, err)
		}
	}
	return l, nil
}

// WriteLock writes l to dir/ablate.lock atomically (temp file + rename),
// sorted by ref.
func WriteLock(dir string, l Lock) error {
	sort.Slice(l.Plugins, func(i, j int) bool { return l.Plugins[i].Ref < l.Plugins[j].Ref })
	var buf bytes.Buffer
	buf.WriteString("# ablate.lock: registry plugins pinned by digest. Written by ablate; commit it.\n\n")
	if err := toml.NewEncoder(&buf).Encode(l); err != nil {
		return fmt.Errorf("%w: %w", ErrLock, err)
	}
	if err := atomicfile.Write(filepath.Join(dir, LockFile), buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("%w: %w", ErrLock, err)
	}
	return nil
}
