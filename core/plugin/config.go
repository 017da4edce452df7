package plugin

import (
	"context"
	"io"
	"time"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// Trust says whether calls can be interrupted.
type Trust int

const (
	// Guarded enforces Config.Timeout on every call (wazero's
	// CloseOnContextDone, which slows guest loops). The default.
	Guarded Trust = iota
	// Trusted runs calls without interruption checks: for built-ins and
	// plugins whose signature verifies against a trusted key.
	Trusted
)

func (t Trust) String() string {
	if t == Trusted {
		return "trusted"
	}
	return "guarded"
}

// Defaults for the zero values of Config.
const (
	DefaultMemoryLimitPages = 4096 // 256 MiB of 64 KiB pages
	DefaultTimeout          = 10 * time.Second
)

// LogProbFunc scores n continuations under the host model named model:
// out[i] = log p(cont_i | ctx_i), with ragged ctx and cont (n+1 offsets
// each, already checked). It backs the judges' ablate.logprob import.
type LogProbFunc func(ctx context.Context, model string, ctxTok, ctxOff, contTok, contOff []int32, out []float64) error

// Config says how to load one plugin. The zero value is usable: guarded,
// 256 MiB, 10 s per call, any kind, default parameters, seed 0, logs
// discarded, the default disk cache.
type Config struct {
	// Name labels the plugin in errors and logs; empty means the manifest's.
	Name string
	// Digest, when not empty, is the pinned "sha256:<hex>" (or bare hex) of
	// the module's bytes; a mismatch refuses the module.
	Digest string
	// Kind, when not empty, is the kind the module must declare.
	Kind abi.Kind
	// Trust is Guarded (the zero value) or Trusted.
	Trust Trust
	// Timeout is the per-call deadline in Guarded mode; 0 means DefaultTimeout.
	Timeout time.Duration
	// MemoryLimitPages caps linear memory in 64 KiB pages; 0 means
	// DefaultMemoryLimitPages.
	MemoryLimitPages uint32
	// MaxInstances bounds the pool; 0 means runtime.GOMAXPROCS(0).
	MaxInstances int
	// Params are the plugin's parameters as decoded from TOML or JSON
	// (float64, int64, int, bool, string, slices of those or of any).
	Params map[string]any
	// Seed seeds the plugin's random streams (derive it from the run seed).
	Seed uint64
	// Log receives guest stdout, stderr and ablate.log lines, each prefixed
	// with the plugin's name; nil discards them.
	Log io.Writer
	// CacheDir is wazero's compilation cache directory; empty means
	// DefaultCacheDir(). NoCache compiles without a disk cache.
	CacheDir string
	NoCache  bool
	// LogProb backs ablate.logprob for judges; nil makes every logprob call
	// fail with a message saying no host model is available.
	LogProb LogProbFunc
}
