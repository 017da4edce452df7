package boundaries

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/ablate-ml/ablate/core/experiment"
)

// A finished run as read back from a results root.
type runRec struct {
	sweep string
	seed  int
	axes  map[string]string
	sum   map[string]float64
	dir   string
	set   *Settings
}

// planned reads back the finished runs that the experiment file name.toml
// plans, found by their identities (so a run first computed from another
// file with the same settings counts), each labelled with name as its sweep.
// host is the ablate version the runs were made with (part of each identity),
// and the built-in plugins are those in bin/plugins.
func planned(t *testing.T, root, host, name string) []runRec {
	t.Helper()
	reg, err := experiment.NewRegistry(Study{})
	if err != nil {
		t.Fatal(err)
	}
	env := experiment.Env{Studies: reg, Host: host,
		Resolvers: experiment.Resolvers{"builtin": experiment.BuiltinResolver{Dir: filepath.Join("..", "..", "bin", "plugins")}}}
	p, err := experiment.Load(context.Background(), name+".toml", nil, env)
	if err != nil {
		t.Fatal(err)
	}
	st := &experiment.Store{Root: root}
	var out []runRec
	for i := range p.Runs {
		run := &p.Runs[i]
		rec, err := st.Read(st.Dir(run))
		if err != nil || rec.State != experiment.StateDone {
			continue
		}
		r := runRec{sweep: name, seed: int(run.Seed), axes: map[string]string{}, sum: map[string]float64{}, dir: rec.Dir, set: run.Settings.(*Settings)}
		for _, a := range run.Axes {
			r.axes[a.Key] = fmt.Sprint(a.Value)
		}
		for k, v := range rec.Summary {
			if f, ok := v.(float64); ok {
				r.sum[k] = f
			}
		}
		out = append(out, r)
	}
	return out
}

// cell is "mean (min–max)" over seeds.
func cell(xs []float64, prec int) string {
	if len(xs) == 0 {
		return "–"
	}
	m, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		m += x / float64(len(xs))
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	if len(xs) == 1 {
		return fmt.Sprintf("%.*f", prec, m)
	}
	return fmt.Sprintf("%.*f (%.*f–%.*f)", prec, m, prec, lo, prec, hi)
}

func group(runs []runRec, sweep string, keys ...string) (map[string][]runRec, []string) {
	g := map[string][]runRec{}
	var order []string
	for _, r := range runs {
		if r.sweep != sweep {
			continue
		}
		var parts []string
		for _, k := range keys {
			parts = append(parts, r.axes[k])
		}
		k := strings.Join(parts, " / ")
		if _, ok := g[k]; !ok {
			order = append(order, k)
		}
		g[k] = append(g[k], r)
	}
	sort.Strings(order)
	return g, order
}

func vals(rs []runRec, k string) []float64 {
	var out []float64
	for _, r := range rs {
		if v, ok := r.sum[k]; ok {
			out = append(out, v)
		}
	}
	return out
}

// TestReport writes the README's tables (to the test log) and plots (to
// experiments/boundaries/plots) from the runs under $BOUNDARIES_RUNS (a
// relative path is taken from the repository's root) that
// the experiment files here plan ($BOUNDARIES_HOST: the version the runs
// were made with, "(devel)" by default).
func TestReport(t *testing.T) {
	root := os.Getenv("BOUNDARIES_RUNS")
	if root == "" {
		t.Skip("set BOUNDARIES_RUNS to a results root")
	}
	if !filepath.IsAbs(root) {
		root = filepath.Join("..", "..", root) // relative to the repository, where ablate run puts runs/
	}
	host := os.Getenv("BOUNDARIES_HOST")
	if host == "" {
		host = "(devel)" // what a binary built in a checkout reports
	}
	var runs []runRec
	for _, name := range []string{"main", "heldout", "short", "long", "gamma", "gamma-long", "anneal", "ablations", "english", "code", "gate-weight",
		"tune", "tune2", "tune3", "tune4", "tune5", "tune6", "tune7", "tune8", "tune9", "tune10"} {
		runs = append(runs, planned(t, root, host, name)...)
	}
	metrics := []string{"bpb", "rate", "space_recall", "alignment", "offset_peak", "offset_peak_at", "variance/0", "variance/2", "train_seconds"}
	type row struct {
		label string
		rs    []runRec
	}
	sel := func(sweep string, kv ...string) []runRec {
		var out []runRec
		for _, r := range runs {
			ok := r.sweep == sweep
			for i := 0; i+1 < len(kv); i += 2 {
				ok = ok && r.axes[kv[i]] == kv[i+1]
			}
			if ok {
				out = append(out, r)
			}
		}
		return out
	}
	table := func(title, head string, rows []row) {
		var sb strings.Builder
		fmt.Fprintf(&sb, "\n### %s\n\n| %s | n | %s |\n|%s", title, head, strings.Join(metrics, " | "), strings.Repeat("---|", len(metrics)+2))
		for _, r := range rows {
			if len(r.rs) == 0 {
				continue
			}
			fmt.Fprintf(&sb, "\n| %s | %d |", r.label, len(r.rs))
			for _, m := range metrics {
				p := 3
				if m == "train_seconds" || m == "offset_peak_at" {
					p = 0
				}
				fmt.Fprintf(&sb, " %s |", cell(vals(r.rs, m), p))
			}
		}
		fmt.Fprintf(&sb, "\n\nP(boundary at offset k after the last whitespace), mean over seeds:\n\n| %s | k=0 | 1 | 2 | 3 | 4 | 5 | 6 | 7+ |\n|---|---|---|---|---|---|---|---|---|", head)
		for _, r := range rows {
			if len(r.rs) == 0 {
				continue
			}
			fmt.Fprintf(&sb, "\n| %s |", r.label)
			for o := 0; o < OffsetBins; o++ {
				fmt.Fprintf(&sb, " %.2f |", mean(vals(r.rs, fmt.Sprintf("offset/%d", o))))
			}
		}
		t.Log(sb.String())
	}
	// The five methods on the two synthetic languages, and the horizons.
	byMethod := func(sweep string) []row {
		var rows []row
		for _, c := range []string{"skip", "prefix"} {
			for _, m := range []string{WhiteSpace, FixedStr, UniformRnd, Reinforce, StraightTh} {
				rows = append(rows, row{c + " / " + m, sel(sweep, "data.corpus", c, "boundaries.method", m)})
			}
		}
		return rows
	}
	byHorizon := func(sweep string) []row {
		var rows []row
		for _, h := range []string{"4", "10", "20", "100", "0"} {
			label := h
			if h == "0" {
				label = "inf (gamma 1)"
			}
			rows = append(rows, row{label, sel(sweep, "plugins.discount.params.horizon", h)})
		}
		return rows
	}
	for _, sw := range []string{"main", "heldout", "short"} {
		table(sw, "corpus / method", byMethod(sw))
	}
	table("gamma", "horizon", append(byHorizon("gamma"), row{"annealed 4 -> 100", sel("anneal")}))
	table("gamma-long", "horizon", byHorizon("gamma-long"))
	table("ablations", "variant", []row{
		{"base (horizon 20)", sel("gamma", "plugins.discount.params.horizon", "20")},
		{"plain reward", sel("ablations", "boundaries.reward", "plain")},
		{"no centring", sel("ablations", "plugins.discount.params.center", "false")},
		{"no rate loss", sel("ablations", "boundaries.rate_weight", "0")},
		{"gamma 1", sel("gamma", "plugins.discount.params.horizon", "0")},
	})
	var rows []row
	for _, c := range []string{"opticks", "fortunes"} {
		for _, m := range []string{WhiteSpace, FixedStr, Reinforce} {
			rows = append(rows, row{c + " / " + m, sel("english", "data.corpus", c, "boundaries.method", m)})
		}
	}
	for _, m := range []string{WhiteSpace, FixedStr, Reinforce} {
		rows = append(rows, row{"go-source / " + m, sel("code", "boundaries.method", m)})
	}
	table("real text", "corpus / method", rows)
	table("long and gate-weight", "corpus / method", append(byMethod("long"),
		row{"skip / reinforce, gate_weight 0.1", sel("gate-weight", "data.corpus", "skip")},
		row{"prefix / reinforce, gate_weight 0.1", sel("gate-weight", "data.corpus", "prefix")}))

	// Per seed: REINFORCE against the stride of the same seed and budget
	// (main, short), and every learned run of the tuning sweeps.
	var sb strings.Builder
	sb.WriteString("\n### per seed\n\n| run | seed | bpb | stride bpb | rate | space_recall | offset_peak | at k |\n|---|---|---|---|---|---|---|---|")
	var per []runRec
	for _, sw := range []string{"main", "heldout", "short", "tune", "tune2", "tune3", "tune4", "tune5", "tune6", "tune7", "tune8", "tune9", "tune10"} {
		for _, r := range sel(sw) {
			if Learned(r.set.Boundaries.Method) {
				per = append(per, r)
			}
		}
	}
	label := func(r runRec) string {
		var keys []string
		for k := range r.axes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k[strings.LastIndex(k, ".")+1:]+" "+r.axes[k])
		}
		return r.sweep + ": " + strings.Join(parts, ", ")
	}
	sort.SliceStable(per, func(i, j int) bool {
		if li, lj := label(per[i]), label(per[j]); li != lj {
			return li < lj
		}
		return per[i].seed < per[j].seed
	})
	for _, r := range per {
		stride := "–"
		for _, s := range runs {
			if s.set.Boundaries.Method == FixedStr && s.set.Data.Corpus == r.set.Data.Corpus && s.seed == r.seed && s.set.Train.Steps == r.set.Train.Steps {
				stride = fmt.Sprintf("%.3f", s.sum["bpb"])
				break
			}
		}
		fmt.Fprintf(&sb, "\n| %s | %d | %.3f | %s | %.3f | %.2f | %.2f | %.0f |", label(r), r.seed, r.sum["bpb"], stride,
			r.sum["rate"], r.sum["space_recall"], r.sum["offset_peak"], r.sum["offset_peak_at"])
	}
	t.Log(sb.String())

	// BPB and alignment against the horizon (gamma.toml), seeds as points
	// and their mean as a line; infinity is drawn at 1000.
	g, _ := group(runs, "gamma", "plugins.discount.params.horizon")
	if len(g) > 0 {
		for _, m := range []struct{ key, label string }{{"bpb", "bits per byte"}, {"space_recall", "space recall"}, {"alignment", "alignment (boundaries on a space)"}} {
			p := plot.New()
			p.Title.Text = "REINFORCE on prefix: " + m.label + " vs horizon"
			p.X.Label.Text, p.Y.Label.Text = "horizon 1/(1-gamma) (1000 = infinity, gamma 1)", m.label
			p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{}
			var line, pts plotter.XYs
			var hs []float64
			for k := range g {
				var h float64
				fmt.Sscan(k, &h)
				hs = append(hs, h)
			}
			sort.Float64s(hs)
			if len(hs) > 0 && hs[0] == 0 {
				hs = append(hs[1:], 0)
			}
			for _, h := range hs {
				x := h
				if h == 0 {
					x = 1000
				}
				v := vals(g[fmt.Sprint(h)], m.key)
				for _, y := range v {
					pts = append(pts, plotter.XY{X: x, Y: y})
				}
				if len(v) > 0 {
					line = append(line, plotter.XY{X: x, Y: mean(v)})
				}
			}
			if err := plotutil.AddLinePoints(p, "mean over seeds", line); err != nil {
				t.Fatal(err)
			}
			if err := plotutil.AddScatters(p, "seeds", pts); err != nil {
				t.Fatal(err)
			}
			writeSVG(t, p, "gamma-"+strings.ReplaceAll(m.key, "_", "-"))
		}
	}
	// Offset histograms of every method of the main comparison.
	mg, order := group(runs, "main", "data.corpus", "boundaries.method")
	for _, corpus := range []string{"skip", "prefix"} {
		p := plot.New()
		p.Title.Text = "P(boundary at offset k after the last space), " + corpus
		p.X.Label.Text, p.Y.Label.Text = "k (7 = 7 and more)", "probability (mean over seeds)"
		i := 0
		for _, k := range order {
			if !strings.HasPrefix(k, corpus+" / ") {
				continue
			}
			var xy plotter.XYs
			for o := 0; o < OffsetBins; o++ {
				xy = append(xy, plotter.XY{X: float64(o), Y: mean(vals(mg[k], fmt.Sprintf("offset/%d", o)))})
			}
			l, pt, err := plotter.NewLinePoints(xy)
			if err != nil {
				t.Fatal(err)
			}
			l.Color, pt.Color = plotutil.Color(i), plotutil.Color(i)
			pt.Shape = plotutil.Shape(i)
			p.Add(l, pt)
			p.Legend.Add(strings.TrimPrefix(k, corpus+" / "), l, pt)
			i++
		}
		if i > 0 {
			writeSVG(t, p, "offsets-"+corpus)
		}
	}
	// Text samples with learned boundaries (seed 1).
	for _, r := range runs {
		if (r.sweep == "main" || r.sweep == "english" || r.sweep == "code") && r.seed == 1 {
			if b, err := os.ReadFile(filepath.Join(r.dir, "sample.txt")); err == nil {
				t.Logf("sample %s %v:\n%s", r.sweep, r.axes, b)
			}
		}
	}
}

func writeSVG(t *testing.T, p *plot.Plot, name string) {
	b, err := experiment.SVG(p, 6*vg.Inch, 4*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll("plots", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("plots", name+".svg"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
