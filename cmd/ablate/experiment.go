package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/report"
	"github.com/ablate-ml/ablate/internal/atomicfile"
	"github.com/ablate-ml/ablate/sdk/abi"
)

// EnvRoot names the environment variable that sets the default results root.
const EnvRoot = "ABLATE_ROOT"

func defaultRoot() string {
	if r := os.Getenv(EnvRoot); r != "" {
		return r
	}
	return "runs"
}

// parseMixed parses flags that may come before, between or after
// positional arguments (`ablate run FILE -j 2 k=v --dry-run`).
func parseMixed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos, flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // fs.Parse reports it
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	if err := fs.Parse(flags); err != nil {
		return nil, usagef("%v", err)
	}
	return pos, nil
}

// experimentEnv is what planning needs: the studies this binary knows, the
// plugin resolvers and the host version.
func experimentEnv(pluginDir string) (experiment.Env, error) {
	reg, err := experiment.NewRegistry(studies()...)
	if err != nil {
		return experiment.Env{}, err
	}
	return experiment.Env{Studies: reg, Resolvers: resolvers(pluginDir), Host: currentVersion().Ablate, CheckPlugin: checkPlugin}, nil
}

// checkPlugin loads a resolved plugin once, as its run will, so that a
// module with the wrong ABI or kind, or parameters its manifest refuses,
// is reported before any run starts.
func checkPlugin(ctx context.Context, p experiment.Plugin) error {
	trust := plugin.Guarded
	if p.Trust == experiment.TrustTrusted {
		trust = plugin.Trusted
	}
	pl, err := plugin.Load(ctx, p.Wasm, plugin.Config{
		Name: p.Slot, Digest: p.Digest, Kind: abi.Kind(p.Kind), Trust: trust, Params: p.Params, MaxInstances: 1,
	})
	if err != nil {
		return err
	}
	return pl.Close(ctx)
}

// resolvers maps plugin schemes to resolvers: built-ins from pluginDir (or
// built on demand from ./plugins), files by path, and registry:name@range
// through the registry in $ABLATE_REGISTRY (pinned in ablate.lock).
func resolvers(pluginDir string) experiment.Resolvers {
	return experiment.Resolvers{
		"builtin":  experiment.BuiltinResolver{Dir: pluginDir, SourceDir: "plugins"},
		"file":     experiment.FileResolver{},
		"registry": registryResolver(os.Stderr),
	}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// runRun implements `ablate run FILE [key=value...]`.
func runRun(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	root := fs.String("root", defaultRoot(), "results root (env "+EnvRoot+")")
	jobs := fs.Int("j", 1, "runs in parallel")
	force := fs.Bool("force", false, "recompute runs that are already done")
	failFast := fs.Bool("fail-fast", false, "start no more runs after the first failure")
	dry := fs.Bool("dry-run", false, "list the runs with their identities and states; compute nothing")
	shard := fs.String("shard", "", "run only shard I/N of the sweep (runs whose index % N == I)")
	plugins := fs.String("plugins", filepath.Join("bin", "plugins"), "directory of built-in plugin modules")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: ablate run FILE [key=value...] [-j N] [--force] [--fail-fast] [--dry-run] [--shard I/N] [--root DIR]")
		fs.PrintDefaults()
	}
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("run: name an experiment file")
	}
	if *jobs < 1 {
		return usagef("run: -j %d: want at least 1", *jobs)
	}
	opt := experiment.Options{Jobs: *jobs, Force: *force, FailFast: *failFast, Progress: e.stdout, Live: isTerminal(e.stdout)}
	if *shard != "" {
		if opt.Shard, opt.Shards, err = experiment.ParseShard(*shard); err != nil {
			return usagef("run: %v", err)
		}
	}
	xenv, err := experimentEnv(*plugins)
	if err != nil {
		return err
	}
	p, err := experiment.Load(ctx, pos[0], pos[1:], xenv)
	if err != nil {
		return err
	}
	opt.Host = xenv.Host
	store := &experiment.Store{Root: *root}
	runs := experiment.ShardOf(p.Runs, opt.Shard, opt.Shards)
	fmt.Fprintf(e.stdout, "%s/%s: %d runs", p.Study.Name(), p.File.Name, len(p.Runs))
	if opt.Shards > 0 {
		fmt.Fprintf(e.stdout, ", shard %d/%d has %d", opt.Shard, opt.Shards, len(runs))
	}
	fmt.Fprintf(e.stdout, " (root %s)\n", *root)
	if *dry {
		for i := range runs {
			r := &runs[i]
			st := store.State(r)
			if st == "" {
				st = "new"
			}
			fmt.Fprintf(e.stdout, "%4d  %s  %-11s  %s\n", r.Index, r.Short(), st, r.Label())
		}
		return nil
	}
	start := time.Now()
	res, err := store.Execute(ctx, p, opt)
	if res != nil {
		fmt.Fprintf(e.stdout, "%d ran, %d already done, %d failed", res.Ran, res.Skipped, res.Failed)
		if res.Busy > 0 {
			fmt.Fprintf(e.stdout, ", %d running elsewhere", res.Busy)
		}
		if res.Cancelled > 0 {
			fmt.Fprintf(e.stdout, ", %d not started", res.Cancelled)
		}
		fmt.Fprintf(e.stdout, " in %s\n", time.Since(start).Round(10*time.Millisecond))
	}
	return err
}

// runLs implements `ablate ls [STUDY[/SWEEP]]`.
func runLs(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	root := fs.String("root", defaultRoot(), "results root (env "+EnvRoot+")")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("ls: at most one STUDY or STUDY/SWEEP")
	}
	recs, lerr := (&experiment.Store{Root: *root}).List()
	n := 0
	for _, r := range recs {
		if len(pos) == 1 && pos[0] != r.Meta.Study && pos[0] != r.Meta.Study+"/"+r.Meta.Sweep {
			continue
		}
		n++
		state := r.State
		fmt.Fprintf(e.stdout, "%s  %-24s  %-11s  %s", r.Meta.ID[:12], r.Meta.Study+"/"+r.Meta.Sweep, state, label(r.Meta))
		if state == experiment.StateDone {
			fmt.Fprintf(e.stdout, "  %s", summaryLine(r.Summary, 3))
		}
		if state == experiment.StateFailed {
			fmt.Fprintf(e.stdout, "  %s", firstLine(r.Status.Error))
		}
		fmt.Fprintln(e.stdout)
	}
	if n == 0 {
		fmt.Fprintf(e.stdout, "no runs under %s\n", *root)
	}
	return lerr
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func label(m experiment.Meta) string {
	var b strings.Builder
	for _, a := range m.Axes {
		fmt.Fprintf(&b, "%s=%s ", a.Key, experiment.FormatValue(a.Value))
	}
	fmt.Fprintf(&b, "seed=%d", m.Seed)
	return b.String()
}

// summaryLine renders up to n numeric summary values, sorted by key.
func summaryLine(s map[string]any, n int) string {
	keys := make([]string, 0, len(s))
	for k, v := range s {
		if _, ok := v.(float64); ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for i, k := range keys {
		if i == n {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, s[k]))
	}
	return strings.Join(parts, " ")
}

// runShow implements `ablate show RUN`.
func runShow(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	root := fs.String("root", defaultRoot(), "results root (env "+EnvRoot+")")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("show: name one run (an ID prefix or a run directory)")
	}
	rec, err := (&experiment.Store{Root: *root}).Find(pos[0])
	if err != nil {
		return err
	}
	w := e.stdout
	fmt.Fprintf(w, "run     %s\ndir     %s\nstudy   %s\nsweep   %s (%s, index %d)\nvalues  %s\nstate   %s\n",
		rec.Meta.ID, rec.Dir, rec.Meta.Study, rec.Meta.Sweep, rec.Meta.File, rec.Meta.Index, label(rec.Meta), rec.State)
	if !rec.Status.Started.IsZero() {
		fmt.Fprintf(w, "started %s on %s (pid %d)\n", rec.Status.Started.Format(time.RFC3339), rec.Status.Host, rec.Status.PID)
	}
	if rec.Status.Seconds > 0 {
		fmt.Fprintf(w, "took    %.1fs\n", rec.Status.Seconds)
	}
	if rec.Status.Error != "" {
		fmt.Fprintf(w, "error   %s\n", rec.Status.Error)
	}
	if rec.Summary != nil {
		b, _ := json.MarshalIndent(rec.Summary, "", "  ")
		fmt.Fprintf(w, "\nsummary.json\n%s\n", b)
	}
	for _, f := range []string{experiment.FileConfig, experiment.FileLock} {
		if b, err := os.ReadFile(filepath.Join(rec.Dir, f)); err == nil && len(b) > 0 {
			fmt.Fprintf(w, "\n%s\n%s", f, b)
		}
	}
	if ms, _ := experiment.Metrics(rec.Dir); len(ms) > 0 {
		last := ms[len(ms)-1]
		keys := make([]string, 0, len(last))
		for k := range last {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "\nmetrics.jsonl: %d lines; last:", len(ms))
		for _, k := range keys {
			fmt.Fprintf(w, " %s=%.4g", k, last[k])
		}
		fmt.Fprintln(w)
	}
	if plots, _ := filepath.Glob(filepath.Join(rec.Dir, experiment.DirPlots, "*")); len(plots) > 0 {
		fmt.Fprintf(w, "\nplots\n")
		for _, p := range plots {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	return nil
}

// selectRecords lists the store's runs; with a FILE, only that
// experiment's runs (its overrides applied).
func selectRecords(ctx context.Context, root string, pos []string, pluginDir string) ([]experiment.Record, error) {
	recs, err := (&experiment.Store{Root: root}).List()
	if err != nil && len(recs) == 0 {
		return nil, err
	}
	if len(pos) == 0 {
		return recs, nil
	}
	xenv, err := experimentEnv(pluginDir)
	if err != nil {
		return nil, err
	}
	p, err := experiment.Load(ctx, pos[0], pos[1:], xenv)
	if err != nil {
		return nil, err
	}
	want := map[string]*experiment.Run{}
	for i := range p.Runs {
		want[p.Runs[i].ID] = &p.Runs[i]
	}
	var out []experiment.Record
	for _, r := range recs {
		if pr, ok := want[r.Meta.ID]; ok {
			// A run shared with another sweep is labelled as this file has it.
			r.Meta.Sweep, r.Meta.Index, r.Meta.Axes = pr.Sweep, pr.Index, pr.Axes
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no runs of %s under %s yet (ablate run %s)", pos[0], root, pos[0])
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// runCompare implements `ablate compare [FILE [key=value...]]`.
func runCompare(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	root := fs.String("root", defaultRoot(), "results root (env "+EnvRoot+")")
	by := fs.String("by", "", "comma-separated axes that make the rows (others are pooled); default all axes")
	metric := fs.String("metric", "", "comma-separated summary metrics to show; default all numeric ones")
	format := fs.String("format", "text", "text, md or csv")
	plugins := fs.String("plugins", filepath.Join("bin", "plugins"), "directory of built-in plugin modules")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: ablate compare [FILE [key=value...]] [--by AXIS] [--metric M] [--format text|md|csv] [--root DIR]")
		fs.PrintDefaults()
	}
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if *format != "text" && *format != "md" && *format != "csv" {
		return usagef("compare: --format %q: want text, md or csv", *format)
	}
	recs, err := selectRecords(ctx, *root, pos, *plugins)
	if err != nil {
		return err
	}
	tables, err := report.Compare(recs, report.Options{By: splitList(*by), Metrics: splitList(*metric)})
	if err != nil {
		return err
	}
	if len(tables) == 0 {
		fmt.Fprintf(e.stdout, "no runs under %s\n", *root)
		return nil
	}
	return report.Write(e.stdout, tables, *format)
}

// runReport implements `ablate report [DIR] -o report.html`.
func runReport(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	out := fs.String("o", "report.html", "the HTML file to write")
	by := fs.String("by", "", "comma-separated axes that make the rows; default all axes")
	metric := fs.String("metric", "", "comma-separated summary metrics; default all numeric ones")
	title := fs.String("title", "ablate report", "the page title")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("report: at most one results directory")
	}
	root := defaultRoot()
	if len(pos) == 1 {
		root = pos[0]
	}
	recs, err := (&experiment.Store{Root: root}).List()
	if err != nil && len(recs) == 0 {
		return err
	}
	page, err := report.BuildPage(*title, root, recs, report.Options{By: splitList(*by), Metrics: splitList(*metric)})
	if err != nil {
		return err
	}
	var buf strings.Builder
	if err := report.WriteHTML(&buf, page); err != nil {
		return err
	}
	if err := atomicfile.Write(*out, []byte(buf.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s: %d sweeps, %d runs, %d KB\n", *out, len(page.Sections), len(recs), len(buf.String())/1024)
	return nil
}
