package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/plugin/plugintest"
	"github.com/ablate-ml/ablate/sdk/abi"
	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

// runPlugin implements `ablate plugin new|build|test|inspect`.
func runPlugin(ctx context.Context, e *env, args []string) error {
	usage := "usage: ablate plugin new KIND NAME [-dir DIR] | build DIR [-o FILE] | test FILE.wasm|DIR [key=value...] | inspect FILE.wasm"
	if len(args) == 0 {
		return usagef("%s", usage)
	}
	switch args[0] {
	case "new":
		return pluginNew(e, args[1:])
	case "build":
		return pluginBuild(e, args[1:])
	case "test":
		return pluginTest(ctx, e, args[1:])
	case "inspect":
		return pluginInspect(ctx, e, args[1:])
	}
	return usagef("plugin: unknown subcommand %q\n%s", args[0], usage)
}

var pluginNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

func pluginNew(e *env, args []string) error {
	fs := flag.NewFlagSet("plugin new", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("dir", "", "directory to create (default: NAME)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("plugin new: want KIND NAME (KIND is judge, bias, discount or estimator)")
	}
	kind, name := abi.Kind(pos[0]), pos[1]
	if !kind.Valid() {
		return usagef("plugin new: kind %q: want judge, bias, discount or estimator", kind)
	}
	if !pluginNameRE.MatchString(name) {
		return usagef("plugin new: name %q: want 1-64 of [a-z0-9._-], starting with a letter or digit", name)
	}
	if *dir == "" {
		*dir = name
	}
	if _, err := os.Stat(*dir); err == nil {
		return fmt.Errorf("plugin new: %s already exists; nothing written", *dir)
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return fmt.Errorf("plugin new: %w", err)
	}
	files := map[string]string{
		"main.go":      fmt.Sprintf(scaffoldHeader, name, kind) + scaffoldBody[kind],
		"main_test.go": scaffoldTest,
	}
	for f, body := range files {
		body = strings.ReplaceAll(body, "NAME", name)
		if err := os.WriteFile(filepath.Join(*dir, f), []byte(body), 0o644); err != nil {
			return fmt.Errorf("plugin new: %w", err)
		}
	}
	fmt.Fprintf(e.stdout, "wrote %s/main.go and %s/main_test.go: a %s named %s\n", *dir, *dir, kind, name)
	fmt.Fprintf(e.stdout, "build it with: ablate plugin build %s\ntest it with:  go test ./%s  (or ablate plugin test %s)\n", *dir, *dir, *dir)
	return nil
}

func pluginBuild(e *env, args []string) error {
	fs := flag.NewFlagSet("plugin build", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	out := fs.String("o", "", "output file (default: the directory's base name + .wasm, here)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("plugin build: want one plugin directory")
	}
	dir := pos[0]
	if *out == "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("plugin build: %w", err)
		}
		*out = filepath.Base(abs) + ".wasm"
	}
	outAbs, err := filepath.Abs(*out)
	if err != nil {
		return fmt.Errorf("plugin build: %w", err)
	}
	if err := sdkplugintest.GoBuild(dir, outAbs); err != nil {
		return err
	}
	b, err := os.ReadFile(outAbs)
	if err != nil {
		return fmt.Errorf("plugin build: %w", err)
	}
	fmt.Fprintf(e.stdout, "%s  %d bytes  %s\n", *out, len(b), plugin.Digest(b))
	return nil
}

// parseParams reads key=value arguments; a value that is valid JSON is
// decoded as JSON, anything else is a string.
func parseParams(args []string) (map[string]any, error) {
	p := map[string]any{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usagef("parameter %q: want key=value", a)
		}
		var x any
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			x = v
		}
		p[k] = x
	}
	return p, nil
}

func pluginTest(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("plugin test", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	trusted := fs.Bool("trusted", false, "run in trusted mode (no per-call deadline)")
	noOOD := fs.Bool("no-ood-check", false, "estimators: skip the in- vs far-from-distribution ordering check")
	probs := fs.Bool("probabilities", false, "judges: check that scores are probabilities")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 1 {
		return usagef("plugin test: want FILE.wasm or a plugin directory, then key=value parameters")
	}
	path := pos[0]
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		if path, err = sdkplugintest.BuildDir(path); err != nil {
			return err
		}
	}
	params, err := parseParams(pos[1:])
	if err != nil {
		return err
	}
	opts := []plugintest.Option{plugintest.WithParams(params)}
	if *trusted {
		opts = append(opts, plugintest.WithConfig(plugin.Config{Trust: plugin.Trusted}))
	}
	if *noOOD {
		opts = append(opts, plugintest.WithoutOODCheck())
	}
	if *probs {
		opts = append(opts, plugintest.WithProbabilities())
	}
	r := plugintest.Check(ctx, path, opts...)
	fmt.Fprint(e.stdout, r)
	if r.Failed() {
		return fmt.Errorf("plugin test: %s failed conformance", path)
	}
	return nil
}

func pluginInspect(ctx context.Context, e *env, args []string) error {
	if len(args) < 1 {
		return usagef("plugin inspect: want FILE.wasm, then optional key=value parameters")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return fmt.Errorf("plugin inspect: %w", err)
	}
	params, err := parseParams(args[1:])
	if err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "file:        %s (%d bytes)\n", args[0], len(b))
	fmt.Fprintf(w, "digest:      %s\n", plugin.Digest(b))
	p, err := plugin.Load(ctx, b, plugin.Config{Params: params})
	if err != nil {
		return fmt.Errorf("plugin inspect: %w", err)
	}
	defer p.Close(ctx)
	printInspect(w, p)
	return nil
}

func printInspect(w io.Writer, p *plugin.Plugin) {
	m := p.Manifest()
	fmt.Fprintf(w, "abi:         %d\n", m.ABI)
	fmt.Fprintf(w, "name:        %s\n", m.Name)
	fmt.Fprintf(w, "kind:        %s\n", m.Kind)
	fmt.Fprintf(w, "version:     %s\n", m.Version)
	fmt.Fprintf(w, "description: %s\n", m.Description)
	fmt.Fprintf(w, "params:      %s\n", p.Params())
	if len(m.Params) > 0 {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  NAME\tTYPE\tDEFAULT\tDOC")
		for _, q := range m.Params {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", q.Name, q.Type, q.Default, q.Doc)
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "exports:     %s\n", strings.Join(p.Exports(), " "))
	imp := p.Imports()
	if len(imp) == 0 {
		imp = []string{"(none)"}
	}
	sort.Strings(imp)
	fmt.Fprintf(w, "imports:     %s\n", strings.Join(imp, " "))
}

// parseInterleaved parses flags that may come before or after positional
// arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usagef("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

const scaffoldHeader = `// Command %[1]s is an ablate %[2]s plugin. Build it with
//
//	ablate plugin build .
//
// (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared), test it with go test.
package main

`

const scaffoldTest = `package main

import (
	"testing"

	"github.com/ablate-ml/ablate/core/plugin/plugintest"
)

// TestConformance builds this plugin for wasip1 and runs the conformance kit
// on it under the real host.
func TestConformance(t *testing.T) {
	plugintest.RunDir(t, ".")
}
`

var scaffoldBody = map[abi.Kind]string{
	abi.KindJudge: `import "github.com/ablate-ml/ablate/sdk"

type params struct {
	Sign float64 ` + "`json:\"sign\" doc:\"+1 prefers longer completions, -1 shorter\"`" + `
}

func init() {
	sdk.Judge(sdk.Info{Name: "NAME", Version: "0.1.0", Description: "Prefers completions by length."},
		params{Sign: -1},
		func(p params, g sdk.Groups, out []float64) error {
			for c := range out {
				out[c] = p.Sign * float64(len(g.Cand(c)))
			}
			return nil
		})
}

func main() {}
`,
	abi.KindBias: `import "github.com/ablate-ml/ablate/sdk"

type params struct {
	Scale float64 ` + "`json:\"scale\" doc:\"multiplies every score\"`" + `
}

func init() {
	sdk.Bias(sdk.Info{Name: "NAME", Version: "0.1.0", Description: "Scales the judge's scores."},
		params{Scale: 1},
		func(p params, g sdk.Groups, scores, out []float64) error {
			for c := range out {
				out[c] = p.Scale * scores[c]
			}
			return nil
		})
}

func main() {}
`,
	abi.KindDiscount: `import (
	"fmt"

	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	Gamma float64 ` + "`json:\"gamma\" doc:\"discount factor in [0, 1]\"`" + `
}

func init() {
	sdk.Discount(sdk.Info{Name: "NAME", Version: "0.1.0", Description: "Discounted returns G_t = r_t + gamma G_{t+1}."},
		params{Gamma: 0.9},
		func(p params, b sdk.DiscountBatch, out []float64) error {
			if p.Gamma < 0 || p.Gamma > 1 {
				return fmt.Errorf("NAME: gamma is %v, want [0, 1]", p.Gamma)
			}
			for i := range b.B {
				g := 0.0
				for j := b.T - 1; j >= 0; j-- {
					k := i*b.T + j
					out[k] = 0
					if b.Mask[k] == 0 {
						g *= p.Gamma
						continue
					}
					g = b.Rewards[k] + p.Gamma*g
					out[k] = g
					if b.Control != nil {
						out[k] -= b.Control[k]
					}
				}
			}
			return nil
		})
}

func main() {}
`,
	abi.KindEstimator: `import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	MinVar float64 ` + "`json:\"min_var\" doc:\"variance floor\"`" + `
}

// model is an independent normal per feature.
type model struct {
	minVar     float64
	mean, vars []float64
}

func (m *model) Fit(x []float64, n, d int) error {
	if n < 2 {
		return fmt.Errorf("NAME: fit on %d rows, need at least 2", n)
	}
	m.mean, m.vars = make([]float64, d), make([]float64, d)
	for j := range d {
		for i := range n {
			m.mean[j] += x[i*d+j] / float64(n)
		}
		for i := range n {
			r := x[i*d+j] - m.mean[j]
			m.vars[j] += r * r / float64(n-1)
		}
		m.vars[j] = math.Max(m.vars[j], m.minVar)
	}
	return nil
}

func (m *model) Score(dst, x []float64, rows, d int) error {
	if m.mean == nil {
		return errors.New("NAME: not fitted")
	}
	if d != len(m.mean) {
		return fmt.Errorf("NAME: %d features, fitted on %d", d, len(m.mean))
	}
	for i := range rows {
		s := 0.0
		for j := range d {
			r := x[i*d+j] - m.mean[j]
			s -= 0.5*r*r/m.vars[j] + 0.5*math.Log(2*math.Pi*m.vars[j])
		}
		dst[i] = s
	}
	return nil
}

func (m *model) Save() ([]byte, error) {
	if m.mean == nil {
		return nil, errors.New("NAME: not fitted")
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(m.mean)))
	for _, v := range append(append([]float64{}, m.mean...), m.vars...) {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b, nil
}

func (m *model) Load(b []byte) error {
	if len(b) < 4 {
		return errors.New("NAME: state too short")
	}
	d := int(binary.LittleEndian.Uint32(b))
	if d < 1 || len(b) != 4+16*d {
		return fmt.Errorf("NAME: state has %d bytes, want %d for %d features", len(b), 4+16*d, d)
	}
	m.mean, m.vars = make([]float64, d), make([]float64, d)
	for j := range d {
		m.mean[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[4+8*j:]))
		m.vars[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[4+8*(d+j):]))
	}
	return nil
}

func init() {
	sdk.Estimator(sdk.Info{Name: "NAME", Version: "0.1.0", Description: "Independent normal per feature; score = log-density."},
		params{MinVar: 1e-12},
		func(p params) (sdk.Model, error) { return &model{minVar: p.MinVar}, nil })
}

func main() {}
`,
}
