package registry

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// TestSignatureIndependently recomputes the manifest digest from the bytes
// on disk and checks the stored signature with crypto/ed25519 directly.
func TestSignatureIndependently(t *testing.T) {
	dir := t.TempDir()
	k := seededKey(t, "alice", 1)
	c := &Client{Backend: Local{Root: dir}, Cache: Local{Root: t.TempDir()}, Inspector: fakeInspector{}, Conformer: fakeConformer{}}
	a := mustPublish(t, c, fakeWasm(t, "kde", "estimator", "1.0.0", 1, ""), k, "")
	var index struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "kde", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &index); err != nil {
		t.Fatal(err)
	}
	blob := func(d string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, "kde", "blobs", "sha256", strings.TrimPrefix(d, "sha256:")))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tags := map[string]string{}
	for _, m := range index.Manifests {
		tags[m.Annotations["org.opencontainers.image.ref.name"]] = m.Digest
	}
	mb := blob(tags["1.0.0"])
	sum := sha256.Sum256(mb)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != a.Digest || got != tags["1.0.0"] {
		t.Fatalf("manifest digest: recomputed %s, published %s, tagged %s", got, a.Digest, tags["1.0.0"])
	}
	var sm struct {
		Layers []struct{ Digest string } `json:"layers"`
	}
	if err := json.Unmarshal(blob(tags["1.0.0.sig"]), &sm); err != nil || len(sm.Layers) != 1 {
		t.Fatalf("signature manifest: %v %+v", err, sm)
	}
	var s signature
	if err := json.Unmarshal(blob(sm.Layers[0].Digest), &s); err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(s.Signature)
	pub := k.Private.Public().(ed25519.PublicKey)
	if !ed25519.Verify(pub, []byte(a.Digest), sig) {
		t.Error("the stored signature does not verify over the manifest digest with the author's key")
	}
	if ed25519.Verify(pub, []byte(a.WasmDigest), sig) {
		t.Error("the signature verifies over another message")
	}
}

// TestTamperedCache: a pinned module whose cached blob changed is refused,
// not served.
func TestTamperedCache(t *testing.T) {
	ctx := context.Background()
	reg, cache, exp := t.TempDir(), t.TempDir(), t.TempDir()
	k := seededKey(t, "alice", 1)
	c := &Client{Backend: Local{Root: reg}, Cache: Local{Root: cache}, Trusted: []TrustedKey{trusted(k)}, Inspector: fakeInspector{}, Conformer: fakeConformer{}}
	a := mustPublish(t, c, fakeWasm(t, "kde", "estimator", "1.0.0", 1, ""), k, "")
	r := &Resolver{Client: c}
	if _, err := r.Resolve(ctx, exp, "kde@^1", abi.KindEstimator); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(cache, "kde", "blobs", "sha256", strings.TrimPrefix(a.WasmDigest, "sha256:"))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[10] ^= 0x20
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, exp)
	if _, err := r.Resolve(ctx, exp, "kde@^1", abi.KindEstimator); !errors.Is(err, ErrDigest) {
		t.Errorf("tampered cache: got %v, want ErrDigest", err)
	}
	assertUnchanged(t, exp, before)
}

// TestResolverConcurrent resolves several refs at once (a sweep with -j):
// the lock ends with every pin.
func TestResolverConcurrent(t *testing.T) {
	ctx := context.Background()
	reg, exp := t.TempDir(), t.TempDir()
	k := seededKey(t, "alice", 1)
	c := &Client{Backend: Local{Root: reg}, Cache: Local{Root: reg}, Inspector: fakeInspector{}, Conformer: fakeConformer{}}
	const n = 6
	for i := range n {
		mustPublish(t, c, fakeWasm(t, fmt.Sprintf("p%d", i), "estimator", "1.0.0", 1, ""), k, "")
	}
	r := &Resolver{Client: c}
	var wg sync.WaitGroup
	errs := make([]error, 3*n)
	for i := range 3 * n {
		wg.Go(func() {
			_, errs[i] = r.Resolve(ctx, exp, fmt.Sprintf("p%d@^1", i%n), abi.KindEstimator)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	lock, err := ReadLock(exp)
	if err != nil {
		t.Fatal(err)
	}
	if len(lock.Plugins) != n {
		t.Errorf("lock has %d pins, want %d: %+v", len(lock.Plugins), n, lock.Plugins)
	}
}

func TestLockRoundTripAndErrors(t *testing.T) {
	dir := t.TempDir()
	in := Lock{Plugins: []Pin{
		{Ref: "b@^1", Name: "b", Version: "1.2.0", Digest: "sha256:aa", WasmDigest: "sha256:bb", Source: "127.0.0.1:5000/x"},
		{Ref: "a@~2.0", Name: "est/a", Version: "2.0.1", Digest: "sha256:cc", WasmDigest: "sha256:dd", Source: "/r"},
	}}
	if err := WriteLock(dir, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadLock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Plugins) != 2 || out.Plugins[0].Ref != "a@~2.0" || out.Plugins[1] != in.Plugins[1] {
		t.Errorf("round trip: %+v", out.Plugins)
	}
	for name, body := range map[string]string{
		"unknown key": "[[plugin]]\nref = \"a\"\nname = \"a\"\nversion = \"1.0.0\"\nsha = \"x\"\n",
		"bad name":    "[[plugin]]\nref = \"a\"\nname = \"../a\"\nversion = \"1.0.0\"\n",
		"bad version": "[[plugin]]\nref = \"a\"\nname = \"a\"\nversion = \"one\"\n",
		"not toml":    "[[plugin\n",
	} {
		d := t.TempDir()
		if err := os.WriteFile(filepath.Join(d, LockFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadLock(d); !errors.Is(err, ErrLock) || !strings.Contains(err.Error(), LockFile) {
			t.Errorf("%s: got %v, want ErrLock naming the file", name, err)
		}
	}
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	k := seededKey(t, "alice", 7)
	p := filepath.Join(dir, "k", "alice.key")
	if err := WriteKey(p, k); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	if err := WriteKey(p, k); err == nil {
		t.Error("WriteKey overwrote an existing key")
	}
	k2, err := ReadKey(p)
	if err != nil || k2.Name != "alice" || !k2.Private.Equal(k.Private) {
		t.Fatalf("ReadKey: %v %v", err, k2.Name)
	}
	tk, err := ParseTrustedKeys("f", []byte("# comment\n\n"+k.Public()+"\n"))
	if err != nil || len(tk) != 1 || !tk[0].Public.Equal(k.Private.Public()) {
		t.Errorf("trusted keys: %v %+v", err, tk)
	}
	for _, bad := range []string{"alice", "alice notbase64!", "alice " + base64.StdEncoding.EncodeToString([]byte("short")), "a b c"} {
		_, err := ParseTrustedKeys("keys.txt", []byte("# ok\n"+bad+"\n"))
		if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "keys.txt:2") {
			t.Errorf("%q: got %v, want ErrKey at keys.txt:2", bad, err)
		}
	}
	if _, err := GenerateKey("has space", nil); !errors.Is(err, ErrKey) {
		t.Errorf("key name with a space: %v", err)
	}
	if keys, err := ReadTrustedKeys(filepath.Join(dir, "absent")); err != nil || keys != nil {
		t.Errorf("absent trusted keys file: %v %v", keys, err)
	}
}

func TestYankErrors(t *testing.T) {
	ctx := context.Background()
	reg := t.TempDir()
	c := &Client{Backend: Local{Root: reg}, Cache: Local{Root: reg}, Inspector: fakeInspector{}, Conformer: fakeConformer{}}
	mustPublish(t, c, fakeWasm(t, "kde", "estimator", "1.0.0", 1, ""), seededKey(t, "a", 1), "")
	before := snapshot(t, reg)
	if err := c.Yank(ctx, "kde", "1.0.0", " "); err == nil {
		t.Error("yank without a reason was accepted")
	}
	if err := c.Yank(ctx, "kde", "9.9.9", "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("yank of an unpublished version: %v", err)
	}
	if err := c.Yank(ctx, "../kde", "1.0.0", "x"); !errors.Is(err, ErrName) {
		t.Errorf("yank of a traversal name: %v", err)
	}
	assertUnchanged(t, reg, before)
}

// FuzzName: a name that validates stays inside the root as a path and
// round-trips through ParseRef.
func FuzzName(f *testing.F) {
	for _, s := range []string{"kde", "estimator/kde", "../x", "a/./b", "a/b/", "A", "x@^1", "x@>=1 <2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseRef(s)
		if err != nil {
			return
		}
		root := filepath.FromSlash("/r/oot")
		p := filepath.Join(root, filepath.FromSlash(ref.Name))
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") || filepath.ToSlash(rel) != ref.Name {
			t.Fatalf("valid name %q maps to %q outside or not equal to itself", ref.Name, p)
		}
		again, err := ParseRef(ref.String())
		if err != nil || again != ref {
			t.Fatalf("ParseRef(%q) = %+v, %v; want %+v", ref.String(), again, err, ref)
		}
	})
}

func TestOpenBackend(t *testing.T) {
	home, _ := os.UserHomeDir()
	for _, tc := range []struct {
		spec  string
		want  Backend
		plain bool
	}{
		{"/srv/reg", Local{Root: "/srv/reg"}, false},
		{"./reg", Local{Root: "./reg"}, false},
		{"file:/x", Local{Root: "/x"}, false},
		{"~/r", Local{Root: filepath.Join(home, "r")}, false},
		{"127.0.0.1:5000/ablate", Remote{Host: "127.0.0.1:5000", Prefix: "ablate"}, true},
		{"localhost:5000", Remote{Host: "localhost:5000"}, true},
		{"[::1]:5000/a/b", Remote{Host: "[::1]:5000", Prefix: "a/b"}, true},
		{"ghcr.io/org", Remote{Host: "ghcr.io", Prefix: "org"}, false},
		{"10.0.0.5:5000", Remote{Host: "10.0.0.5:5000"}, false},
	} {
		b, err := OpenBackend(tc.spec)
		if err != nil || b != tc.want {
			t.Errorf("OpenBackend(%q) = %#v, %v; want %#v", tc.spec, b, err, tc.want)
			continue
		}
		if r, ok := b.(Remote); ok && r.plainHTTP() != tc.plain {
			t.Errorf("%q: plain HTTP %v, want %v (loopback only)", tc.spec, r.plainHTTP(), tc.plain)
		}
	}
	for _, bad := range []string{"host/../x", "host/UPPER", "/prefix-only"[1:] + "//"} {
		if _, err := OpenBackend(bad); err == nil {
			t.Errorf("OpenBackend(%q) accepted", bad)
		}
	}
}
