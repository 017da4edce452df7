package registry

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// BenchmarkResolve measures getting a 4 MiB module (the size of a Go
// plugin): an unpinned pull from a layout directory and from a real
// registry, and a pinned resolve from the cache (what every run after the
// first does).
func BenchmarkResolve(b *testing.B) {
	ctx := context.Background()
	k := seededKey(b, "alice", 1)
	wasm := append(fakeWasm(b, "kde", "estimator", "1.0.0", 1, ""), strings.Repeat("\n", 4<<20)...)
	targets := map[string]Backend{"local": Local{Root: b.TempDir()}}
	if addr := os.Getenv("ABLATE_TEST_REGISTRY"); addr != "" {
		targets["docker-registry"] = Remote{Host: addr, Prefix: fmt.Sprintf("b%d", time.Now().UnixNano())}
	}
	for label, backend := range targets {
		c := &Client{Backend: backend, Cache: Local{Root: b.TempDir()}, Trusted: []TrustedKey{trusted(k)}, Inspector: fakeInspector{}, Conformer: fakeConformer{}, MaxSize: 8 << 20}
		if _, err := c.Publish(ctx, wasm, k, ""); err != nil {
			b.Fatal(err)
		}
		b.Run("pull/"+label, func(b *testing.B) {
			b.SetBytes(int64(len(wasm)))
			for b.Loop() {
				if _, err := c.Pull(ctx, Ref{Name: "kde", Range: "^1"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("pinned/"+label, func(b *testing.B) {
			r := &Resolver{Client: c}
			dir := b.TempDir()
			if _, err := r.Resolve(ctx, dir, "kde@^1", abi.KindEstimator); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(wasm)))
			for b.Loop() {
				if _, err := r.Resolve(ctx, dir, "kde@^1", abi.KindEstimator); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
