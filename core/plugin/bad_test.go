package plugin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// TestBadModulesAtLoad loads purpose-made modules that must be refused,
// each with its sentinel and a message naming what is wrong.
func TestBadModulesAtLoad(t *testing.T) {
	good := rawJudge(rawManifest)
	cases := []struct {
		name string
		mod  rawModule
		kind abi.Kind
		want error
		msg  string
	}{
		{"missing export", good.with("ablate_alloc", nil), "", ErrMissingExport, "ablate_alloc"},
		{"wrong signature", good.with("ablate_abi_version", &rawFunc{export: "ablate_abi_version", results: []byte{i64}, body: i64c(1)}),
			"", ErrSignature, "ablate_abi_version is () -> (i64), want () -> (i32)"},
		{"wrong ABI version", good.with("ablate_abi_version", &rawFunc{export: "ablate_abi_version", results: []byte{i32}, body: i32c(7)}),
			"", ErrABIVersion, "implements ABI 7, this host implements ABI 1"},
		{"garbage manifest", rawJudge(`{"abi":1,"name":`), "", ErrManifest, "manifest"},
		{"manifest with unknown field", rawJudge(`{"abi":1,"name":"x","kind":"judge","version":"1.0.0","description":"","params":[],"extra":1}`),
			"", ErrManifest, `unknown field "extra"`},
		{"manifest with a default of the wrong type", rawJudge(`{"abi":1,"name":"x","kind":"judge","version":"1.0.0","description":"",` +
			`"params":[{"name":"k","type":"integer","default":1.5,"doc":""}]}`), "", ErrManifest, `params[0] "k": default`},
		{"wrong kind", good, abi.KindEstimator, ErrKind, "the module is a judge, loaded as a estimator"},
		{"kind without its export", rawJudge(strings.Replace(rawManifest, `"judge"`, `"discount"`, 1)), "", ErrMissingExport, "ablate_discount"},
		{"manifest pointer out of range", good.with("ablate_manifest", &rawFunc{export: "ablate_manifest", results: []byte{i64},
			body: packed(0xFFFF0000, 100)}), "", ErrOutput, "outside the 65536 bytes of memory"},
		{"forbidden import", rawModule{imports: []rawImport{{module: "env", name: "now", results: []byte{i64}}}, funcs: good.funcs, data: good.data},
			"", ErrForbiddenImport, `env.now: only modules "ablate" and "wasi_snapshot_preview1" may be imported`},
		{"unknown host import", rawModule{imports: []rawImport{{module: "ablate", name: "files"}}, funcs: good.funcs, data: good.data},
			"", ErrForbiddenImport, "ablate.files"},
		{"init fails", good.with("ablate_init", &rawFunc{export: "ablate_init", params: []byte{i32, i32}, results: []byte{i32}, body: i32c(1)}),
			"", ErrGuest, "status 1 with no message"},
		{"alloc out of range", good.with("ablate_alloc", &rawFunc{export: "ablate_alloc", params: []byte{i32}, results: []byte{i32},
			body: i32c(0x7FFFFFF8)}), "", ErrOutput, "outside the 65536 bytes of memory"},
		{"not wasm", rawModule{}, "", ErrModule, "not a valid WebAssembly module"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wasm := c.mod.bytes()
			if c.name == "not wasm" {
				wasm = []byte("garbage")
			}
			_, err := Load(context.Background(), wasm, Config{Kind: c.kind, NoCache: true})
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "sha256:") {
				t.Errorf("err = %q, want it to contain %q and the digest", err, c.msg)
			}
		})
	}
}

func TestRawJudgeWorks(t *testing.T) {
	p, err := Load(context.Background(), rawJudge(rawManifest).bytes(), Config{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	j, err := NewJudge(p)
	if err != nil {
		t.Fatal(err)
	}
	g := sample()
	out := []float64{9, 9, 9, 9, 9, 9, 9}
	if err := j.Judge(context.Background(), out, g); err != nil {
		t.Fatal(err)
	}
	// The raw judge writes nothing; its output buffer is fresh zeroed memory.
	for c, v := range out {
		if v != 0 {
			t.Errorf("score[%d] = %v, want 0", c, v)
		}
	}
}

func TestDigestPin(t *testing.T) {
	wasm := rawJudge(rawManifest).bytes()
	d := Digest(wasm)
	if _, err := Load(context.Background(), wasm, Config{Digest: d, NoCache: true}); err != nil {
		t.Fatalf("pinned the right digest: %v", err)
	}
	if _, err := Load(context.Background(), wasm, Config{Digest: strings.TrimPrefix(d, "sha256:"), NoCache: true}); err != nil {
		t.Fatalf("pinned the right bare digest: %v", err)
	}
	bad := "sha256:" + strings.Repeat("0", 64)
	_, err := Load(context.Background(), wasm, Config{Digest: bad, NoCache: true})
	if !errors.Is(err, ErrDigest) || !strings.Contains(err.Error(), d) {
		t.Fatalf("err = %v, want ErrDigest naming %s", err, d)
	}
}

// trigger makes the bad plugin misbehave: its first prompt starts with 13.
func trigger() Groups {
	g := sample()
	g.PromptTok = append([]int32(nil), g.PromptTok...)
	g.PromptTok[0] = 13
	return g
}

// TestBadGuestCalls runs misbehaving calls; each ends in a clear error, and
// the next ordinary call on the same plugin works.
func TestBadGuestCalls(t *testing.T) {
	cases := []struct {
		mode  string
		cfg   Config
		trap  bool
		want  error
		msg   string
		lpErr bool
	}{
		{mode: "loop", cfg: Config{Timeout: 300 * time.Millisecond}, trap: true, want: ErrDeadline, msg: "deadline"},
		{mode: "grow", cfg: Config{MemoryLimitPages: 1024}, trap: true, want: ErrTrap, msg: "bad: fatal error: out of memory"},
		{mode: "exit-mid-batch", trap: true, want: ErrTrap, msg: "exited with code 3"},
		{mode: "panic", want: ErrGuest, msg: "assignment to entry in nil map"},
		{mode: "nan", want: ErrOutput, msg: "scores[6] is NaN"},
		{mode: "bad-log-pointer", trap: true, want: ErrTrap, msg: "ablate.log message: 4294967040 + 1000 bytes is outside"},
		{mode: "logprob", want: ErrHostModel, msg: `no host model "base"`},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			ctx := context.Background()
			cfg := c.cfg
			cfg.Params = map[string]any{"mode": c.mode}
			cfg.MaxInstances = 1
			log := &syncBuffer{}
			cfg.Log = log
			j, err := NewJudge(mustLoad(t, "bad", cfg))
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float64, 7)
			err = j.Judge(ctx, out, trigger())
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.want != ErrDeadline && errors.Is(err, ErrDeadline) {
				t.Errorf("stopped by the deadline, not by %v: %v", c.want, err)
			}
			var te *TrapError
			if errors.As(err, &te) != c.trap {
				t.Errorf("trap = %v, want %v: %v", !c.trap, c.trap, err)
			}
			if !strings.Contains(err.Error(), c.msg) && !strings.Contains(log.String(), c.msg) {
				t.Errorf("err = %q (log %q), want it to say %q", err, log.String(), c.msg)
			}
			if !strings.Contains(err.Error(), "bad (sha256:") || !strings.Contains(err.Error(), "ablate_judge") {
				t.Errorf("err = %q, want it to name the plugin, digest and export", err)
			}
			// The host goes on: an ordinary call works.
			if err := j.Judge(ctx, out, sample()); err != nil {
				t.Fatalf("next call: %v", err)
			}
			for i, v := range out {
				if v != float64(i) {
					t.Fatalf("next call: out = %v, want 0..6", out)
				}
			}
		})
	}
}

func TestBadParams(t *testing.T) {
	cases := []struct {
		params map[string]any
		want   error
		msg    string
	}{
		{map[string]any{"sgn": 1}, ErrParams, `unknown parameter "sgn": test-judge takes sign, noise, say`},
		{map[string]any{"sign": "up"}, ErrParams, `sign: abi: value "up" is not of type number`},
		{map[string]any{"sign": 2}, ErrGuest, "judge: sign is 2, want 1 or -1"},
	}
	for _, c := range cases {
		_, err := Load(context.Background(), wasmOf(t, "judge"), Config{Params: c.params})
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("params %v: err = %v, want %v saying %q", c.params, err, c.want, c.msg)
		}
	}
}
