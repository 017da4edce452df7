package plugintest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/sdk/abi"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

// Option changes what the kit runs.
type Option func(*options)

type options struct {
	cfg      plugin.Config
	fit      []float64
	n, d     int
	probs    bool
	seed     uint64
	checkOOD bool
}

// WithParams loads the plugin with these parameters.
func WithParams(p map[string]any) Option { return func(o *options) { o.cfg.Params = p } }

// WithConfig sets the host configuration (trust, limits, seed...). Kind,
// Params and LogProb set by other options win.
func WithConfig(c plugin.Config) Option {
	return func(o *options) { p, lp := o.cfg.Params, o.cfg.LogProb; o.cfg = c; o.cfg.Params, o.cfg.LogProb = p, lp }
}

// WithFitData gives an estimator its n x d fit data (row-major). By default
// the kit fits on 200 x 5 log-normal features (all > 0).
func WithFitData(x []float64, n, d int) Option {
	return func(o *options) { o.fit, o.n, o.d = x, n, d }
}

// WithoutOODCheck skips the in- vs out-of-distribution ordering check, for
// estimators whose score is not a density.
func WithoutOODCheck() Option { return func(o *options) { o.checkOOD = false } }

// WithProbabilities checks that a judge's scores are in [0, 1] and that a
// pair's two scores sum to 1.
func WithProbabilities() Option { return func(o *options) { o.probs = true } }

// WithHostModel supplies the judge's ablate.logprob. The default toy model
// gives log p = -0.5 per continuation token minus (token mod 7)/10.
func WithHostModel(f plugin.LogProbFunc) Option { return func(o *options) { o.cfg.LogProb = f } }

// ToyLogProb is the default host model of the kit.
func ToyLogProb(_ context.Context, model string, ctxTok, ctxOff, contTok, contOff []int32, out []float64) error {
	for i := range out {
		s := -0.1 * float64(len(model)%3)
		for _, tok := range contTok[contOff[i]:contOff[i+1]] {
			s -= 0.5 + float64(((tok%7)+7)%7)/10
		}
		s -= 0.01 * float64(ctxOff[i+1]-ctxOff[i])
		out[i] = s
	}
	return nil
}

// Result is one check: its name and, when it failed, why.
type Result struct {
	Name string
	Err  error
}

// Report is what Check found.
type Report struct {
	File    string
	Plugin  string
	Digest  string
	Kind    abi.Kind
	Results []Result
}

// Failed reports whether any check failed.
func (r Report) Failed() bool {
	for _, c := range r.Results {
		if c.Err != nil {
			return true
		}
	}
	return false
}

// String prints one line per check (ok or FAIL with the reason) and a total.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s (%s)\n", r.File, r.Kind, r.Plugin, r.Digest)
	failed := 0
	for _, c := range r.Results {
		if c.Err != nil {
			failed++
			fmt.Fprintf(&b, "FAIL %s: %v\n", c.Name, c.Err)
		} else {
			fmt.Fprintf(&b, "ok   %s\n", c.Name)
		}
	}
	fmt.Fprintf(&b, "%d checks, %d failed\n", len(r.Results), failed)
	return b.String()
}

// Run checks the plugin at wasmPath and reports every failed check with
// t.Errorf.
func Run(t testing.TB, wasmPath string, opts ...Option) {
	t.Helper()
	r := Check(context.Background(), wasmPath, opts...)
	for _, c := range r.Results {
		if c.Err != nil {
			t.Errorf("%s: %s: %v", r.Plugin, c.Name, c.Err)
		}
	}
}

// RunDir builds the Go plugin in dir (cached) and runs the kit on it.
func RunDir(t testing.TB, dir string, opts ...Option) {
	t.Helper()
	Run(t, sdkplugintest.Build(t, dir), opts...)
}

type checker struct {
	ctx  context.Context
	wasm []byte
	o    options
	r    *Report
}

func (c *checker) check(name string, f func() error) {
	err := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("host panic: %v", v)
			}
		}()
		return f()
	}()
	c.r.Results = append(c.r.Results, Result{Name: name, Err: err})
}

func (c *checker) load(params map[string]any) (*plugin.Plugin, error) {
	cfg := c.o.cfg
	if params != nil {
		cfg.Params = params
	}
	return plugin.Load(c.ctx, c.wasm, cfg)
}

// noTrap turns a trap on input the plugin must handle into a failure, and
// accepts an ordinary error.
func noTrap(err error) error {
	var te *plugin.TrapError
	if errors.As(err, &te) {
		return fmt.Errorf("trapped instead of returning an error: %w", err)
	}
	if err == nil {
		return errors.New("accepted it, want an error")
	}
	return nil
}

// Check runs every check for the plugin's kind and returns the report.
func Check(ctx context.Context, wasmPath string, opts ...Option) Report {
	o := options{checkOOD: true, seed: 1}
	o.cfg.LogProb = ToyLogProb
	for _, f := range opts {
		f(&o)
	}
	r := Report{File: wasmPath}
	c := &checker{ctx: ctx, o: o, r: &r}
	var err error
	c.wasm, err = os.ReadFile(wasmPath)
	if err != nil {
		r.Results = append(r.Results, Result{Name: "read", Err: err})
		return r
	}
	r.Digest = plugin.Digest(c.wasm)
	var p *plugin.Plugin
	c.check("load", func() error {
		p, err = c.load(nil)
		return err
	})
	if p == nil {
		return r
	}
	defer p.Close(ctx)
	m := p.Manifest()
	r.Plugin, r.Kind = m.Name, m.Kind
	c.check("manifest", func() error {
		if m.Description == "" {
			return errors.New("description is empty")
		}
		for _, prm := range m.Params {
			if strings.TrimSpace(prm.Doc) == "" {
				return fmt.Errorf("parameter %s has no doc", prm.Name)
			}
		}
		return nil
	})
	c.check("unknown parameter refused", func() error {
		q, err := c.load(map[string]any{"no_such_parameter_xyz": 1})
		if err == nil {
			q.Close(ctx)
			return errors.New("loaded with an unknown parameter")
		}
		if !errors.Is(err, plugin.ErrParams) {
			return fmt.Errorf("want a parameter error, got %w", err)
		}
		return nil
	})
	c.check("defaults passed explicitly", func() error {
		given := map[string]any{}
		for _, prm := range m.Params {
			var v any
			if err := json.Unmarshal(prm.Default, &v); err != nil {
				return fmt.Errorf("parameter %s: default %s: %w", prm.Name, prm.Default, err)
			}
			given[prm.Name] = v
		}
		q, err := c.load(given)
		if err != nil {
			return err
		}
		defer q.Close(ctx)
		if c.o.cfg.Params == nil && string(q.Params()) != string(p.Params()) {
			return fmt.Errorf("resolved %s, want the defaults %s", q.Params(), p.Params())
		}
		return nil
	})
	p2, err := c.load(nil)
	if err != nil {
		c.check("second copy", func() error { return err })
		return r
	}
	defer p2.Close(ctx)
	switch m.Kind {
	case abi.KindJudge, abi.KindBias:
		c.groups(p, p2, m.Kind)
	case abi.KindDiscount:
		c.discount(p, p2)
	case abi.KindEstimator:
		c.estimator(p, p2)
	}
	return r
}
