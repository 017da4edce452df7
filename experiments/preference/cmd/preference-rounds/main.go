// Command preference-rounds summarises a preference experiment file's runs:
// a Markdown table of the trait probability's change from round 0 (mean ±
// 95% Student-t half-width over seeds) per group and round, and a plot (SVG
// or PNG, by the file's extension) of the mean trait probability by round
// per group with 95% error bars.
//
//	go run ./experiments/preference/cmd/preference-rounds -by condition -plot out.svg experiments/preference/headline.toml
//
// It reads exactly the file's runs (as `ablate compare FILE` does), so runs
// shared with another file count.
package main

import (
	"context"
	"flag"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/metrics"
	"github.com/ablate-ml/ablate/core/report"
	"github.com/ablate-ml/ablate/experiments/preference"
)

var colors = []color.Color{report.Red, report.Orange, report.Grey, report.Green, report.Blue, report.Purple, report.Cyan, report.Brown}

type group struct {
	name  string
	trait [][]float64 // [round][seed]
	delta [][]float64
	seeds int
}

func main() {
	root := flag.String("root", "runs", "results root")
	host := flag.String("host", "(devel)", "the host version the runs were made with (`ablate version`), part of their identity")
	by := flag.String("by", "condition", "axis keys (comma-separated) whose values make the groups (rows and lines)")
	svg := flag.String("plot", "", "write the plot here (.svg or .png)")
	title := flag.String("title", "", "plot title")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: preference-rounds [flags] FILE.toml  (run from the repository root)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *root, *host, *by, *svg, *title); err != nil {
		fmt.Fprintln(os.Stderr, "preference-rounds:", err)
		os.Exit(1)
	}
}

// label is the values of the axes named in by (comma-separated), joined
// with " ".
func label(axes []experiment.AxisValue, by string) (string, error) {
	var parts []string
	for _, k := range strings.Split(by, ",") {
		found := false
		for _, a := range axes {
			if a.Key == k {
				parts, found = append(parts, experiment.FormatValue(a.Value)), true
			}
		}
		if !found {
			return "", fmt.Errorf("no axis %q", k)
		}
	}
	return strings.Join(parts, " "), nil
}

func num(m map[string]any, k string) (float64, bool) {
	v, ok := m[k].(float64)
	return v, ok
}

func run(file, root, host, by, svg, title string) error {
	reg, err := experiment.NewRegistry(preference.Study{})
	if err != nil {
		return err
	}
	env := experiment.Env{Studies: reg, Host: host, Resolvers: experiment.Resolvers{
		"builtin": experiment.BuiltinResolver{Dir: filepath.Join("bin", "plugins"), SourceDir: "plugins"},
		"file":    experiment.FileResolver{}}}
	plan, err := experiment.Load(context.Background(), file, nil, env)
	if err != nil {
		return err
	}
	st := &experiment.Store{Root: root}
	var order []string
	groups := map[string]*group{}
	rounds, missing := 0, 0
	for i := range plan.Runs {
		r := &plan.Runs[i]
		rec, err := st.Read(st.Dir(r))
		if err != nil || rec.State != "done" {
			missing++
			continue
		}
		name, err := label(r.Axes, by)
		if err != nil {
			return fmt.Errorf("run %d: %w", r.Index, err)
		}
		g, ok := groups[name]
		if !ok {
			g = &group{name: name}
			groups[name] = g
			order = append(order, name)
		}
		g.seeds++
		for k := 0; ; k++ {
			tr, ok := num(rec.Summary, fmt.Sprintf("r%d/trait", k))
			if !ok {
				break
			}
			d, _ := num(rec.Summary, fmt.Sprintf("r%d/delta", k))
			if len(g.trait) <= k {
				g.trait, g.delta = append(g.trait, nil), append(g.delta, nil)
			}
			g.trait[k], g.delta[k] = append(g.trait[k], tr), append(g.delta[k], d)
			rounds = max(rounds, k)
		}
	}
	if len(order) == 0 {
		return fmt.Errorf("no finished runs of %s in %s", file, root)
	}
	if missing > 0 {
		fmt.Fprintf(os.Stderr, "preference-rounds: %d of %d runs not finished, left out\n", missing, len(plan.Runs))
	}

	var b strings.Builder
	fmt.Fprintf(&b, "| %s | n | p(target) round 0 |", by)
	for k := 1; k <= rounds; k++ {
		fmt.Fprintf(&b, " Δ round %d |", k)
	}
	b.WriteString("\n|---|---|---|")
	for k := 1; k <= rounds; k++ {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	cell := func(xs []float64, scale float64) string {
		iv, err := metrics.Mean95(xs)
		if err != nil {
			return "—"
		}
		return fmt.Sprintf("%+.1f ± %.1f", scale*iv.Mean, scale*iv.HalfWidth)
	}
	for _, n := range order {
		g := groups[n]
		iv, _ := metrics.Mean95(g.trait[0])
		fmt.Fprintf(&b, "| %s | %d | %.3f |", n, g.seeds, iv.Mean)
		for k := 1; k < len(g.delta); k++ {
			fmt.Fprintf(&b, " %s |", cell(g.delta[k], 100))
		}
		b.WriteString("\n")
	}
	fmt.Print(b.String())
	fmt.Println("\n(Δ: change of p(target) from round 0, percentage points, mean ± 95% CI half-width over seeds)")
	if svg == "" {
		return nil
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = "round", "p(target animal | NEUTRAL), renormalised"
	for i, n := range order {
		g := groups[n]
		var xy plotter.XYs
		var errs plotter.YErrors
		off := (float64(i) - float64(len(order)-1)/2) * 0.03
		for k, xs := range g.trait {
			iv, err := metrics.Mean95(xs)
			if err != nil {
				continue
			}
			hw := iv.HalfWidth
			if hw != hw { // one seed: no interval
				hw = 0
			}
			xy = append(xy, plotter.XY{X: float64(k) + off, Y: iv.Mean})
			errs = append(errs, struct{ Low, High float64 }{hw, hw})
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		c := colors[i%len(colors)]
		l.Color, pts.Color = c, c
		if i == 0 {
			l.Width = vg.Points(2)
		}
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{xy, errs})
		if err != nil {
			return err
		}
		eb.Color = c
		p.Add(l, pts, eb)
		p.Legend.Add(n, l)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.X.Tick.Marker = plot.ConstantTicks(func() []plot.Tick {
		var t []plot.Tick
		for k := 0; k <= rounds; k++ {
			t = append(t, plot.Tick{Value: float64(k), Label: fmt.Sprint(k)})
		}
		return t
	}())
	// The format follows the extension: .svg, .png, .pdf...
	return p.Save(16*vg.Centimeter, 11*vg.Centimeter, svg)
}
