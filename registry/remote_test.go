package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// testRegistry returns the address of a real OCI registry: the one in
// $ABLATE_TEST_REGISTRY (started by CI with testdata/start-registry.sh),
// else Debian's docker-registry started here on a free loopback port with a
// temporary config and storage directory. It skips, loudly, only when there
// is neither.
func testRegistry(t *testing.T) string {
	t.Helper()
	if addr := os.Getenv("ABLATE_TEST_REGISTRY"); addr != "" {
		return addr
	}
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("SKIPPING THE REAL-REGISTRY TEST: docker-registry is not installed (apt-get install docker-registry) and ABLATE_TEST_REGISTRY is not set")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "storage"), addr)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for range 200 {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("docker-registry did not answer on %s; log:\n%s", addr, log.String())
	return ""
}

// TestRoundTripRemote runs the same publish, search, pull, verify, yank and
// pinned-offline checks as TestRoundTripLocal against a real registry.
func TestRoundTripRemote(t *testing.T) {
	addr := testRegistry(t)
	prefix := fmt.Sprintf("t%d", time.Now().UnixNano()) // a fresh namespace on a shared registry
	roundTrip(t, Remote{Host: addr, Prefix: prefix}, Remote{Host: "127.0.0.1:1", Prefix: prefix})
}

func TestRemoteRefusesTampering(t *testing.T) {
	addr := testRegistry(t)
	ctx := context.Background()
	prefix := fmt.Sprintf("u%d", time.Now().UnixNano())
	b := Remote{Host: addr, Prefix: prefix}
	cacheDir := t.TempDir()
	author := seededKey(t, "alice", 1)
	pub := &Client{Backend: b, Cache: Local{Root: cacheDir}, Inspector: fakeInspector{}, Conformer: fakeConformer{}}
	mustPublish(t, pub, fakeWasm(t, "kde", "estimator", "1.0.0", 1, ""), author, "kde")
	// A forged 1.1.0 with a wrong-ABI config and a valid signature.
	repo, err := b.Open(ctx, "kde", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.forge(ctx, repo, fakeWasm(t, "kde", "estimator", "1.1.0", 2, ""), "1.1.0", author); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, cacheDir)
	user := &Client{Backend: b, Cache: Local{Root: cacheDir}, Trusted: []TrustedKey{trusted(author)}, RequireSignature: true}
	if _, err := user.Pull(ctx, Ref{Name: "kde", Range: "^1"}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("ABI 2")) {
		t.Errorf("pull of a wrong-ABI artifact: got %v, want an ABI refusal", err)
	}
	if _, err := user.Pull(ctx, Ref{Name: "nope", Range: "^1"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("pull of an absent name: got %v, want ErrNotFound", err)
	}
	if _, err := user.Pull(ctx, Ref{Name: "kde", Range: "^7"}); !errors.Is(err, ErrRange) {
		t.Errorf("pull of a range matching nothing: got %v, want ErrRange", err)
	}
	assertUnchanged(t, cacheDir, before)
}
