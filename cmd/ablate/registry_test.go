package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/registry"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

func regCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errOut}, args)
	return code, out.String(), errOut.String()
}

// realRegistry is $ABLATE_TEST_REGISTRY or a docker-registry started here;
// "" (with a loud log line) when neither is available.
func realRegistry(t *testing.T) string {
	if addr := os.Getenv("ABLATE_TEST_REGISTRY"); addr != "" {
		return addr
	}
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Log("NOT TESTING A REAL REGISTRY: docker-registry is not installed and ABLATE_TEST_REGISTRY is not set")
		return ""
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n", filepath.Join(dir, "s"), addr)
	if err := os.WriteFile(filepath.Join(dir, "c.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "c.yml"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for range 200 {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("docker-registry did not answer on %s", addr)
	return ""
}

// TestRegistryWalkthrough is the author's and the user's walk-through with a
// real estimator (plugins/estimator/kde): key gen, publish (conformance
// kit), search, verify, pull, then an experiment reference resolved and
// pinned in ablate.lock, the estimator fitted and scored through the host,
// and the pinned reference served again with the registry down. It runs
// against the local layout directory and a real registry.
func TestRegistryWalkthrough(t *testing.T) {
	wasmPath := sdkplugintest.Build(t, filepath.Join("..", "..", "plugins", "estimator", "kde"))
	targets := map[string]string{"local": filepath.Join(t.TempDir(), "reg")}
	if addr := realRegistry(t); addr != "" {
		targets["docker-registry"] = addr + "/ablate"
	}
	for label, reg := range targets {
		t.Run(label, func(t *testing.T) {
			home := t.TempDir()
			t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
			t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "cfg"))
			t.Setenv("ABLATE_TRUSTED_KEYS", "")
			keyFile := filepath.Join(home, "alice.key")
			if code, out, errOut := regCLI(t, "key", "gen", "--name", "alice", "--out", keyFile, "--trust"); code != 0 || !strings.Contains(out, "public key:  alice ") {
				t.Fatalf("key gen: %d %s %s", code, out, errOut)
			}
			code, out, errOut := regCLI(t, "publish", wasmPath, "--to", reg, "--name", "estimator/kde", "--key", keyFile)
			if code != 0 || !strings.Contains(out, "published estimator/kde@") {
				t.Fatalf("publish: %d %s %s", code, out, errOut)
			}
			if code, out, _ := regCLI(t, "search", "--kind", "estimator", "--registry", reg); code != 0 || !strings.Contains(out, "estimator/kde") {
				t.Errorf("search: %d %s", code, out)
			}
			if code, out, _ := regCLI(t, "search", "--kind", "judge", "--registry", reg); code != 0 || strings.Contains(out, "estimator/kde") {
				t.Errorf("search --kind judge listed an estimator: %s", out)
			}
			version := strings.Fields(out[strings.Index(out, "estimator/kde@"):])[0]
			if code, out, errOut := regCLI(t, "verify", version, "--registry", reg); code != 0 || !strings.Contains(out, "trusted key alice") {
				t.Errorf("verify: %d %s %s", code, out, errOut)
			}
			if code, out, errOut := regCLI(t, "verify", version, "--registry", reg, "--keys", filepath.Join(home, "none")); code == 0 || !strings.Contains(out+errOut, "not in the trusted keys") {
				t.Errorf("verify with no trusted keys: exit %d, %s %s", code, out, errOut)
			}
			if code, _, errOut := regCLI(t, "pull", "estimator/kde@^1", "--registry", reg, "--require-signature"); code != 0 {
				t.Errorf("pull: %s", errOut)
			}
			if code, _, errOut := regCLI(t, "pull", "estimator/kde@^9", "--registry", reg); code != 1 || !strings.Contains(errOut, "no version matches") {
				t.Errorf("pull of a range matching nothing: exit %d, %s", code, errOut)
			}
			if code, _, errOut := regCLI(t, "pull", "../../etc@^1", "--registry", reg); code != 1 || !strings.Contains(errOut, "invalid name") {
				t.Errorf("pull of a traversal name: exit %d, %s", code, errOut)
			}

			// The experiment side: registry:estimator/kde@^1.
			t.Setenv("ABLATE_REGISTRY", reg)
			expDir := t.TempDir()
			ref := experiment.PluginRef{Slot: "density", Kind: "estimator", Use: "registry:estimator/kde@^1", Scheme: "registry", Name: "estimator/kde@^1", BaseDir: expDir}
			res, err := registryResolver(os.Stderr).Resolve(context.Background(), ref)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(wasmPath)
			if res.Digest != plugin.Digest(want) || !res.MayTrust {
				t.Fatalf("resolved %s trusted=%v, want %s trusted", res.Digest, res.MayTrust, plugin.Digest(want))
			}
			lock, err := registry.ReadLock(expDir)
			if err != nil {
				t.Fatal(err)
			}
			if p, ok := lock.Find("estimator/kde@^1"); !ok || p.WasmDigest != res.Digest {
				t.Fatalf("ablate.lock = %+v", lock)
			}
			scoreOK(t, res.Wasm, res.Digest)

			// Through an experiment file: planned, pinned, trusted.
			tomlDir := t.TempDir()
			tomlPath := filepath.Join(tomlDir, "e.toml")
			toml := "study = \"regdemo\"\n[plugins.density]\nuse = \"registry:estimator/kde@^1\"\ntrust = \"trusted\"\n"
			if err := os.WriteFile(tomlPath, []byte(toml), 0o644); err != nil {
				t.Fatal(err)
			}
			plan := loadDemo(t, tomlPath)
			if pl := plan.Runs[0].Plugins[0]; pl.Digest != res.Digest || pl.Trust != experiment.TrustTrusted {
				t.Errorf("planned plugin %s %s, want %s trusted", pl.Digest, pl.Trust, res.Digest)
			}
			if _, err := os.Stat(filepath.Join(tomlDir, registry.LockFile)); err != nil {
				t.Errorf("no %s beside the experiment: %v", registry.LockFile, err)
			}

			// Registry down: the pin is served from the cache.
			t.Setenv("ABLATE_REGISTRY", "127.0.0.1:1/ablate")
			if pl := loadDemo(t, tomlPath).Runs[0].Plugins[0]; pl.Digest != res.Digest {
				t.Errorf("planned offline: %s, want %s", pl.Digest, res.Digest)
			}
			// Nobody trusts the signer: trust = "trusted" is refused.
			t.Setenv("ABLATE_TRUSTED_KEYS", filepath.Join(home, "none"))
			if _, err := loadDemoErr(demoEnv(), tomlPath); err == nil || !strings.Contains(err.Error(), "trusted") {
				t.Errorf("trusted plugin signed by an untrusted key: planned anyway (%v)", err)
			}
			res2, err := registryResolver(os.Stderr).Resolve(context.Background(), ref)
			if err != nil {
				t.Fatalf("pinned resolve with the registry down: %v", err)
			}
			if res2.Digest != res.Digest {
				t.Errorf("offline resolve gave %s, want %s", res2.Digest, res.Digest)
			}
		})
	}
}

// scoreOK fits the estimator on a log-normal cloud and checks that points
// from it score higher than points far away.
func scoreOK(t *testing.T, wasm []byte, digest string) {
	t.Helper()
	ctx := context.Background()
	p, err := plugin.Load(ctx, wasm, plugin.Config{Digest: digest, Kind: "estimator", Trust: plugin.Trusted, MaxInstances: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	est, err := plugin.NewEstimator(p)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n, d = 200, 3
	x := make([]float64, n*d)
	for i := range x {
		x[i] = math.Exp(rng.NormFloat64()) // the estimator logs its (positive) features
	}
	if err := est.Fit(ctx, x, n, d); err != nil {
		t.Fatal(err)
	}
	q := []float64{1, 1, 1, math.Exp(8), math.Exp(8), math.Exp(8)}
	s := make([]float64, 2)
	if err := est.Score(ctx, s, q, 2, d); err != nil {
		t.Fatal(err)
	}
	if !(s[0] > s[1]) {
		t.Errorf("scores: centre %g, far %g; want centre higher", s[0], s[1])
	}
}

// regDemo is a study with one estimator slot, for planning tests.
type regDemo struct{}

func (regDemo) Name() string                                  { return "regdemo" }
func (regDemo) Settings() any                                 { return &struct{}{} }
func (regDemo) Run(context.Context, *experiment.RunEnv) error { return nil }
func (regDemo) Slots() []experiment.Slot {
	return []experiment.Slot{{Name: "density", Kind: "estimator", Required: true}}
}

// demoEnv is the planning environment with the registry resolver wired in.
func demoEnv() experiment.Env {
	reg, err := experiment.NewRegistry(regDemo{})
	if err != nil {
		panic(err)
	}
	return experiment.Env{Studies: reg, Host: "test", CheckPlugin: checkPlugin,
		Resolvers: experiment.Resolvers{"registry": registryResolver(os.Stderr)}}
}

func loadDemoErr(env experiment.Env, path string) (*experiment.Plan, error) {
	return experiment.Load(context.Background(), path, nil, env)
}

// loadDemo plans an experiment file with the registry resolver wired in.
func loadDemo(t *testing.T, path string) *experiment.Plan {
	t.Helper()
	plan, err := loadDemoErr(demoEnv(), path)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestPublishRefusesRealModules: a module that fails the conformance kit
// (registry/testdata/nan-score) and a file that is not wasm are refused by
// `ablate publish`, and the registry directory is never created.
func TestPublishRefusesRealModules(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "cache"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "cfg"))
	keyFile := filepath.Join(home, "k.key")
	if code, _, errOut := regCLI(t, "key", "gen", "--name", "k", "--out", keyFile); code != 0 {
		t.Fatal(errOut)
	}
	reg := filepath.Join(home, "reg")
	bad := sdkplugintest.Build(t, filepath.Join("..", "..", "registry", "testdata", "nan-score"))
	text := filepath.Join(home, "notes.wasm")
	if err := os.WriteFile(text, []byte("just text, not a module"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ file, want string }{
		{bad, "conformance check failed"},
		{text, "not a WebAssembly module"},
	} {
		code, _, errOut := regCLI(t, "publish", tc.file, "--to", reg, "--key", keyFile)
		if code != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("publish %s: exit %d, stderr %q; want exit 1 saying %q", filepath.Base(tc.file), code, errOut, tc.want)
		}
	}
	if _, err := os.Stat(reg); !os.IsNotExist(err) {
		t.Errorf("a refused publish created %s (%v)", reg, err)
	}
}
