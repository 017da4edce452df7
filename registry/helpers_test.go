package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// fakeWasm is a wasm header followed by the manifest JSON; fakeInspector
// reads it back. pad adds bytes to vary content.
func fakeWasm(t testing.TB, name, kind, version string, abiV int, pad string) []byte {
	t.Helper()
	m := map[string]any{"abi": abiV, "name": name, "kind": kind, "version": version, "description": "a " + kind + " for tests " + pad, "params": []any{}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return append([]byte{0, 'a', 's', 'm', 1, 0, 0, 0}, b...)
}

type fakeInspector struct{}

func (fakeInspector) Inspect(_ context.Context, wasm []byte) (abi.Manifest, error) {
	var m abi.Manifest
	if len(wasm) < 8 {
		return m, errors.New("fake: short")
	}
	if err := json.NewDecoder(bytes.NewReader(wasm[8:])).Decode(&m); err != nil {
		return m, fmt.Errorf("fake: no manifest: %w", err)
	}
	return m, nil
}

type fakeConformer struct{ fail bool }

func (f fakeConformer) Check(context.Context, []byte) error {
	if f.fail {
		return errors.New("estimator: scores before fit trapped")
	}
	return nil
}

// seededKey makes a deterministic key.
func seededKey(t testing.TB, name string, seed uint64) Key {
	t.Helper()
	src := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	k, err := GenerateKey(name, src)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func trusted(k Key) TrustedKey {
	keys, err := ParseTrustedKeys("test", []byte(k.Public()))
	if err != nil || len(keys) != 1 {
		panic(fmt.Sprint("trusted: ", err))
	}
	return keys[0]
}

// snapshot lists every file under dir with its size and content hash; a
// missing dir is an empty snapshot.
func snapshot(t testing.TB, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			lines = append(lines, rel+"/")
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		lines = append(lines, fmt.Sprintf("%s %x", rel, sha256.Sum256(b)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// assertUnchanged fails when dir differs from before.
func assertUnchanged(t testing.TB, dir, before string) {
	t.Helper()
	if after := snapshot(t, dir); after != before {
		t.Errorf("%s changed by a refused operation:\nbefore:\n%s\nafter:\n%s", dir, before, after)
	}
}

func mustPublish(t testing.TB, c *Client, wasm []byte, k Key, name string) Artifact {
	t.Helper()
	a, err := c.Publish(context.Background(), wasm, k, name)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return a
}
