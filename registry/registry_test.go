package registry

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// roundTrip publishes, searches, pulls, verifies, yanks and resolves through
// backend, with a separate cache directory; then takes the backend away
// (down) and checks that the pinned run is served from the cache.
func roundTrip(t *testing.T, backend Backend, down Backend) {
	ctx := context.Background()
	cacheDir := t.TempDir()
	author := seededKey(t, "alice", 1)
	pub := &Client{Backend: backend, Cache: Local{Root: cacheDir}, Inspector: fakeInspector{}, Conformer: fakeConformer{}}
	v100 := fakeWasm(t, "kde-test", "estimator", "1.0.0", 1, "")
	v110 := fakeWasm(t, "kde-test", "estimator", "1.1.0", 1, "")
	v200 := fakeWasm(t, "kde-test", "estimator", "2.0.0", 1, "")
	a100 := mustPublish(t, pub, v100, author, "estimator/kde-test")
	mustPublish(t, pub, v110, author, "estimator/kde-test")
	mustPublish(t, pub, v200, author, "estimator/kde-test")
	mustPublish(t, pub, fakeWasm(t, "len-test", "judge", "0.1.0", 1, ""), author, "judge/len-test")

	// Same bytes again: no-op with the same digest.
	again := mustPublish(t, pub, v100, author, "estimator/kde-test")
	if again.Digest != a100.Digest {
		t.Errorf("republishing identical bytes changed the digest: %s -> %s", a100.Digest, again.Digest)
	}
	// Different bytes under 1.0.0: refused.
	if _, err := pub.Publish(ctx, fakeWasm(t, "kde-test", "estimator", "1.0.0", 1, "changed"), author, "estimator/kde-test"); !errors.Is(err, ErrExists) {
		t.Errorf("overwrite with different content: got %v, want ErrExists", err)
	}

	user := &Client{Backend: backend, Cache: Local{Root: cacheDir}, Trusted: []TrustedKey{trusted(author)}, Inspector: fakeInspector{}, RequireSignature: true}

	hits, err := user.Search(ctx, "", "estimator")
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Name != "estimator/kde-test" || hits[0].Version != "2.0.0" || hits[0].Kind != "estimator" {
		t.Errorf("search --kind estimator = %+v, want estimator/kde-test 2.0.0", hits)
	}
	if hits, _ := user.Search(ctx, "JUDGE", ""); len(hits) != 1 || hits[0].Name != "judge/len-test" {
		t.Errorf("search JUDGE = %+v, want judge/len-test", hits)
	}
	if hits, _ := user.Search(ctx, "nothing-like-this", ""); len(hits) != 0 {
		t.Errorf("search for an absent word found %+v", hits)
	}

	for _, tc := range []struct{ rng, want string }{{"~1.0", "1.0.0"}, {"^1", "1.1.0"}, {"", "2.0.0"}, {"1.0.0", "1.0.0"}, {"<2", "1.1.0"}} {
		a, err := user.Pull(ctx, Ref{Name: "estimator/kde-test", Range: tc.rng})
		if err != nil {
			t.Fatalf("pull @%s: %v", tc.rng, err)
		}
		if a.Version != tc.want || a.Signer != "alice" {
			t.Errorf("pull @%s = %s signed by %q, want %s by alice", tc.rng, a.Version, a.Signer, tc.want)
		}
		if want := digestOf(map[string][]byte{"1.0.0": v100, "1.1.0": v110, "2.0.0": v200}[tc.want]); a.WasmDigest != want {
			t.Errorf("pull @%s wasm digest %s, want %s", tc.rng, a.WasmDigest, want)
		}
	}
	if _, err := user.Verify(ctx, "estimator/kde-test", "1.1.0"); err != nil {
		t.Errorf("verify with the author's key trusted: %v", err)
	}
	stranger := &Client{Backend: backend, Cache: Local{Root: cacheDir}, Trusted: []TrustedKey{trusted(seededKey(t, "bob", 2))}}
	if _, err := stranger.Verify(ctx, "estimator/kde-test", "1.1.0"); !errors.Is(err, ErrUntrusted) {
		t.Errorf("verify with only another key trusted: got %v, want ErrUntrusted", err)
	}

	// Resolve and pin ^1 -> 1.1.0; then yank 1.1.0: a new range skips it,
	// the pin keeps it with a warning.
	expDir := t.TempDir()
	var warn bytes.Buffer
	r := &Resolver{Client: user, Warn: &warn}
	res, err := r.Resolve(ctx, expDir, "estimator/kde-test@^1", abi.KindEstimator)
	if err != nil {
		t.Fatal(err)
	}
	if res.Pin.Version != "1.1.0" || !res.Trusted || res.Digest != digestOf(v110) || !bytes.Equal(res.Wasm, v110) {
		t.Errorf("resolve ^1 = %+v trusted=%v, want 1.1.0 trusted", res.Pin, res.Trusted)
	}
	lock, err := ReadLock(expDir)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := lock.Find("estimator/kde-test@^1"); !ok || p.Version != "1.1.0" || p.WasmDigest != digestOf(v110) || p.Source != backend.String() {
		t.Errorf("lock = %+v, want the 1.1.0 pin from %s", lock, backend)
	}
	if err := pub.Yank(ctx, "estimator/kde-test", "1.1.0", "wrong bandwidth"); err != nil {
		t.Fatal(err)
	}
	if v, err := user.Resolve(ctx, Ref{Name: "estimator/kde-test", Range: "^1"}); err != nil || v != "1.0.0" {
		t.Errorf("after yanking 1.1.0, ^1 resolves to %q (%v), want 1.0.0", v, err)
	}
	if _, err := r.Resolve(ctx, expDir, "estimator/kde-test@^1", abi.KindEstimator); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warn.String(), "yanked: wrong bandwidth") {
		t.Errorf("pinned yanked version: warning %q, want it to say yanked and why", warn.String())
	}
	if _, err := r.Resolve(ctx, expDir, "estimator/kde-test@^1", abi.KindJudge); !errors.Is(err, ErrKind) {
		t.Errorf("estimator in a judge slot: got %v, want ErrKind", err)
	}

	// Registry down: the pinned ref is served from the cache, a new one fails.
	offline := &Resolver{Client: &Client{Backend: down, Cache: Local{Root: cacheDir}, Trusted: user.Trusted, RequireSignature: true}}
	res2, err := offline.Resolve(ctx, expDir, "estimator/kde-test@^1", abi.KindEstimator)
	if err != nil {
		t.Fatalf("pinned resolve with the registry down: %v", err)
	}
	if res2.Digest != res.Digest || !res2.Trusted {
		t.Errorf("offline pinned resolve = %s trusted=%v, want %s trusted", res2.Digest, res2.Trusted, res.Digest)
	}
	before := snapshot(t, expDir)
	if _, err := offline.Resolve(ctx, expDir, "estimator/kde-test@^2", abi.KindEstimator); err == nil {
		t.Error("an unpinned ref resolved with the registry down")
	}
	assertUnchanged(t, expDir, before)
}

func TestRoundTripLocal(t *testing.T) {
	roundTrip(t, Local{Root: t.TempDir()}, Remote{Host: "127.0.0.1:1"})
}

func TestValidateName(t *testing.T) {
	good := []string{"kde", "estimator/kde", "a/b-c/d_e.f", "0x"}
	bad := []string{"", "../x", "a/../b", "a/..", "Kde", "a//b", "/abs", "a/", ".hidden", "-x", "a b", "a\\b", "ké", strings.Repeat("a", MaxNameLen+1), "a/b%2f"}
	for _, n := range good {
		if err := ValidateName(n); err != nil {
			t.Errorf("ValidateName(%q) = %v, want ok", n, err)
		}
	}
	for _, n := range bad {
		if err := ValidateName(n); !errors.Is(err, ErrName) {
			t.Errorf("ValidateName(%q) = %v, want ErrName", n, err)
		}
	}
	for _, v := range []string{"1.0", "v1.0.0", "1.0.0+build", "01.0.0", ""} {
		if _, err := ParseVersion(v); !errors.Is(err, ErrVersion) {
			t.Errorf("ParseVersion(%q) = %v, want ErrVersion", v, err)
		}
	}
}

// TestRefusals checks each bad input and attack is refused with its error
// and writes nothing: not to the registry, the cache or the experiment dir.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	regDir, cacheDir := t.TempDir(), t.TempDir()
	author := seededKey(t, "alice", 1)
	mallory := seededKey(t, "mallory", 3)
	pub := &Client{Backend: Local{Root: regDir}, Cache: Local{Root: cacheDir}, Inspector: fakeInspector{}, Conformer: fakeConformer{}, MaxSize: 4096}
	good := mustPublish(t, pub, fakeWasm(t, "kde", "estimator", "1.0.0", 1, ""), author, "")
	user := func() *Client {
		return &Client{Backend: Local{Root: regDir}, Cache: Local{Root: cacheDir}, Trusted: []TrustedKey{trusted(author)}, Inspector: fakeInspector{}, RequireSignature: true, MaxSize: 4096}
	}

	// Publishing: each refused before any write.
	pubCases := []struct {
		name   string
		c      *Client
		wasm   []byte
		asName string
		want   error
	}{
		{"traversal name", pub, fakeWasm(t, "x", "estimator", "1.0.0", 1, ""), "../../etc", ErrName},
		{"layout-reserved name", pub, fakeWasm(t, "x", "estimator", "1.0.0", 1, ""), "kde/blobs", ErrName},
		{"odd name", pub, fakeWasm(t, "x", "estimator", "1.0.0", 1, ""), "Evil Name", ErrName},
		{"manifest name traversal", pub, fakeWasm(t, "a/../../b", "estimator", "1.0.0", 1, ""), "", ErrArtifact},
		{"oversized", pub, fakeWasm(t, "big", "estimator", "1.0.0", 1, strings.Repeat("x", 5000)), "", ErrTooLarge},
		{"huge manifest", &Client{Backend: pub.Backend, Cache: pub.Cache, Inspector: fakeInspector{}, Conformer: fakeConformer{}}, fakeWasm(t, "big2", "estimator", "1.0.0", 1, strings.Repeat("d", 70<<10)), "", ErrTooLarge},
		{"not wasm", pub, []byte("#!/bin/sh\nrm -rf /\n"), "", ErrNotWasm},
		{"wrong ABI", pub, fakeWasm(t, "kde2", "estimator", "1.0.0", 2, ""), "", ErrABI},
		{"bad version", pub, fakeWasm(t, "kde3", "estimator", "1.0", 1, ""), "", ErrVersion},
		{"failing conformance", &Client{Backend: pub.Backend, Cache: pub.Cache, Inspector: fakeInspector{}, Conformer: fakeConformer{fail: true}}, fakeWasm(t, "kde4", "estimator", "1.0.0", 1, ""), "", ErrConformance},
		{"different content, same version", pub, fakeWasm(t, "kde", "estimator", "1.0.0", 1, "other"), "", ErrExists},
	}
	for _, tc := range pubCases {
		t.Run("publish/"+tc.name, func(t *testing.T) {
			before := snapshot(t, regDir)
			_, err := tc.c.Publish(ctx, tc.wasm, author, tc.asName)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			assertUnchanged(t, regDir, before)
		})
	}

	// Pulling: each refused before the cache or lockfile is touched.
	expDir := t.TempDir()
	pull := func(t *testing.T, c *Client, ref string, want error) {
		t.Helper()
		beforeCache, beforeExp := snapshot(t, cacheDir), snapshot(t, expDir)
		r := &Resolver{Client: c}
		_, err := r.Resolve(ctx, expDir, ref, "")
		if !errors.Is(err, want) {
			t.Fatalf("resolve %s: got %v, want %v", ref, err, want)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "registry: ") && !strings.Contains(err.Error(), "registry: ") {
			t.Errorf("error %q does not say where it comes from", err)
		}
		assertUnchanged(t, cacheDir, beforeCache)
		assertUnchanged(t, expDir, beforeExp)
	}
	t.Run("pull/range matching nothing", func(t *testing.T) { pull(t, user(), "kde@^3", ErrRange) })
	t.Run("pull/traversal", func(t *testing.T) { pull(t, user(), "../kde@^1", ErrName) })
	t.Run("pull/absent", func(t *testing.T) { pull(t, user(), "nope@^1", ErrNotFound) })
	t.Run("pull/reserved segment", func(t *testing.T) { pull(t, user(), "kde/blobs@^1", ErrName) })
	t.Run("pull/untrusted signer", func(t *testing.T) {
		c := user()
		c.Trusted = []TrustedKey{trusted(mallory)}
		pull(t, c, "kde@^1", ErrUntrusted)
	})
	t.Run("pull/oversized", func(t *testing.T) {
		c := user()
		c.MaxSize = 16
		pull(t, c, "kde@^1", ErrTooLarge)
	})

	// Attacks on the stored artifact: each in its own copy of the registry.
	attack := func(t *testing.T, mutate func(t *testing.T, l Local, repo Repo), want error) {
		t.Helper()
		dir := t.TempDir()
		if err := os.CopyFS(dir, os.DirFS(regDir)); err != nil {
			t.Fatal(err)
		}
		l := Local{Root: dir}
		repo, err := l.Open(ctx, "kde", false)
		if err != nil {
			t.Fatal(err)
		}
		mutate(t, l, repo)
		c := user()
		c.Backend = l
		pull(t, c, "kde@^1", want)
	}
	wasmBlob := func(t *testing.T, l Local) string {
		return filepath.Join(l.Root, "kde", "blobs", "sha256", strings.TrimPrefix(good.WasmDigest, "sha256:"))
	}
	t.Run("attack/tampered blob", func(t *testing.T) {
		attack(t, func(t *testing.T, l Local, _ Repo) {
			p := wasmBlob(t, l)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-2] ^= 1
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, ErrDigest)
	})
	t.Run("attack/missing signature", func(t *testing.T) {
		attack(t, func(t *testing.T, _ Local, repo Repo) {
			if err := repo.(interface {
				Untag(context.Context, string) error
			}).Untag(ctx, sigTag("1.0.0")); err != nil {
				t.Fatal(err)
			}
		}, ErrUnsigned)
	})
	t.Run("attack/signature over another digest", func(t *testing.T) {
		attack(t, func(t *testing.T, _ Local, repo Repo) {
			if err := pub.sign(ctx, repo, "sha256:"+strings.Repeat("0", 64), "1.0.0", author); err != nil {
				t.Fatal(err)
			}
		}, ErrSignature)
	})
	t.Run("attack/re-signed by another key", func(t *testing.T) {
		attack(t, func(t *testing.T, _ Local, repo Repo) {
			if err := pub.sign(ctx, repo, good.Digest, "1.0.0", mallory); err != nil {
				t.Fatal(err)
			}
		}, ErrUntrusted)
	})
	t.Run("attack/wrong ABI in config", func(t *testing.T) {
		attack(t, func(t *testing.T, l Local, repo Repo) {
			evil := &Client{Backend: l, Cache: pub.Cache, Inspector: fakeInspector{}, Conformer: fakeConformer{}}
			// Publish a 1.1.0 whose inspector lies that it is ABI 1, then
			// check the config it stored says 2: use a config-level forgery.
			w := fakeWasm(t, "kde", "estimator", "1.1.0", 2, "")
			a, err := evil.forge(ctx, repo, w, "1.1.0", author)
			if err != nil {
				t.Fatal(err)
			}
			_ = a
		}, ErrABI)
	})
	t.Run("attack/non-wasm layer", func(t *testing.T) {
		attack(t, func(t *testing.T, l Local, repo Repo) {
			if _, err := pub.forgeRaw(ctx, repo, []byte("not wasm at all"), "text/plain", fakeWasm(t, "kde", "estimator", "1.1.0", 1, "")[8:], "1.1.0", author); err != nil {
				t.Fatal(err)
			}
		}, ErrNotWasm)
	})
}
