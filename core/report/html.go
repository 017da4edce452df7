package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/ablate-ml/ablate/core/experiment"
)

// maxCurves bounds the metric curves drawn per sweep.
const maxCurves = 8

// Page is what the HTML report shows.
type Page struct {
	Title     string
	Root      string
	Generated time.Time
	Sections  []Section
}

// Section is one sweep: its table, its metric curves and its runs' plots.
type Section struct {
	Table  Table
	Curves []Figure
	Plots  []Figure
}

// Figure is an inline SVG with a caption.
type Figure struct {
	Caption string
	SVG     template.HTML
}

// BuildPage assembles the report's content from a store's records: the
// comparison tables, per sweep a plot of each logged metric against step
// (one line per table row, averaged over seeds), and every SVG the runs
// wrote under plots/.
func BuildPage(title, root string, recs []experiment.Record, opt Options) (*Page, error) {
	tables, err := Compare(recs, opt)
	if err != nil {
		return nil, err
	}
	p := &Page{Title: title, Root: root, Generated: time.Now().UTC()}
	for _, t := range tables {
		s := Section{Table: t}
		curves, err := metricCurves(&t)
		if err != nil {
			return nil, err
		}
		s.Curves = curves
		axisPlots, err := axisCurves(&t)
		if err != nil {
			return nil, err
		}
		s.Curves = append(axisPlots, s.Curves...)
		for _, row := range t.Rows {
			for _, r := range row.Runs {
				files, _ := filepath.Glob(filepath.Join(r.Dir, experiment.DirPlots, "*.svg"))
				sort.Strings(files)
				for _, f := range files {
					b, err := os.ReadFile(f)
					if err != nil {
						return nil, fmt.Errorf("report: %w", err)
					}
					cap := fmt.Sprintf("%s — %s (run %s, seed %d)", strings.TrimSuffix(filepath.Base(f), ".svg"),
						rowLabel(&t, row), r.Meta.ID[:12], r.Meta.Seed)
					s.Plots = append(s.Plots, Figure{Caption: cap, SVG: inlineSVG(b)})
				}
			}
		}
		p.Sections = append(p.Sections, s)
	}
	return p, nil
}

func rowLabel(t *Table, row Row) string {
	if len(t.Keys) == 0 {
		return "all runs"
	}
	parts := make([]string, len(t.Keys))
	for i, k := range t.Keys {
		parts[i] = k + "=" + row.Keys[i]
	}
	return strings.Join(parts, " ")
}

var (
	xmlProlog = regexp.MustCompile(`(?s)^\s*<\?xml.*?\?>\s*(<!DOCTYPE[^>]*>\s*)?`)
	scriptTag = regexp.MustCompile(`(?is)<script.*?</script\s*>`)
)

// inlineSVG strips the XML prolog (not allowed inside HTML) and any script.
func inlineSVG(b []byte) template.HTML {
	s := xmlProlog.ReplaceAllString(string(b), "")
	s = scriptTag.ReplaceAllString(s, "")
	return template.HTML(s) // the SVG comes from the store's own runs; scripts are removed
}

// metricCurves plots each metric of metrics.jsonl against step, one line
// per row, averaged over that row's runs at each step.
func metricCurves(t *Table) ([]Figure, error) {
	type series map[int][]float64 // step -> values
	perMetric := map[string][]series{}
	var names []string
	for ri, row := range t.Rows {
		for _, r := range row.Runs {
			ms, err := experiment.Metrics(r.Dir)
			if err != nil && len(ms) == 0 {
				continue
			}
			for _, m := range ms {
				step := int(m["step"])
				for k, v := range m {
					if k == "step" {
						continue
					}
					if _, ok := perMetric[k]; !ok {
						perMetric[k] = make([]series, len(t.Rows))
						names = append(names, k)
					}
					if perMetric[k][ri] == nil {
						perMetric[k][ri] = series{}
					}
					perMetric[k][ri][step] = append(perMetric[k][ri][step], v)
				}
			}
		}
	}
	sort.Strings(names)
	if len(names) > maxCurves {
		names = names[:maxCurves]
	}
	var out []Figure
	for _, name := range names {
		p := plot.New()
		p.Title.Text = name
		p.X.Label.Text = "step"
		p.Legend.Top = true
		drawn := 0
		for ri, s := range perMetric[name] {
			if len(s) == 0 {
				continue
			}
			steps := make([]int, 0, len(s))
			for st := range s {
				steps = append(steps, st)
			}
			sort.Ints(steps)
			pts := make(plotter.XYs, 0, len(steps))
			for _, st := range steps {
				sum := 0.0
				for _, v := range s[st] {
					sum += v
				}
				pts = append(pts, plotter.XY{X: float64(st), Y: sum / float64(len(s[st]))})
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				continue // non-finite values: skip this line
			}
			l.Color = Palette[ri%len(Palette)]
			l.Width = vg.Points(1.2)
			p.Add(l)
			if len(t.Rows) > 1 && ri < 12 {
				p.Legend.Add(rowLabel(t, t.Rows[ri]), l)
			}
			drawn++
		}
		if drawn == 0 {
			continue
		}
		b, err := experiment.SVG(p, 14*vg.Centimeter, 9*vg.Centimeter)
		if err != nil {
			return nil, err
		}
		out = append(out, Figure{Caption: name + " by step (mean over seeds)", SVG: inlineSVG(b)})
	}
	return out, nil
}

// axisCurves plots, for a table with one numeric key axis, each metric's
// mean against the axis with its 95% interval as error bars.
func axisCurves(t *Table) ([]Figure, error) {
	if len(t.Keys) != 1 || len(t.Rows) < 2 {
		return nil, nil
	}
	xs := make([]float64, len(t.Rows))
	for i, r := range t.Rows {
		x, err := strconv.ParseFloat(r.Keys[0], 64)
		if err != nil {
			return nil, nil // not a numeric axis
		}
		xs[i] = x
	}
	var out []Figure
	for mi, m := range t.Metrics {
		var pts plotter.XYs
		var errs plotter.YErrors
		for ri, r := range t.Rows {
			iv := r.Cells[mi]
			if iv.N == 0 || math.IsNaN(iv.Mean) || math.IsInf(iv.Mean, 0) {
				continue
			}
			hw := iv.HalfWidth
			if math.IsNaN(hw) {
				hw = 0
			}
			pts = append(pts, plotter.XY{X: xs[ri], Y: iv.Mean})
			errs = append(errs, struct{ Low, High float64 }{hw, hw})
		}
		if len(pts) < 2 {
			continue
		}
		sort.Sort(byX{pts, errs})
		p := plot.New()
		p.Title.Text = m
		p.X.Label.Text = t.Keys[0]
		l, err := plotter.NewLine(pts)
		if err != nil {
			continue
		}
		l.Color = Palette[0]
		eb, err := plotter.NewYErrorBars(struct {
			plotter.XYs
			plotter.YErrors
		}{pts, errs})
		if err != nil {
			continue
		}
		eb.Color = Palette[0]
		p.Add(l, eb)
		b, err := experiment.SVG(p, 10*vg.Centimeter, 7*vg.Centimeter)
		if err != nil {
			return nil, err
		}
		out = append(out, Figure{Caption: fmt.Sprintf("%s by %s (mean ± 95%% CI)", m, t.Keys[0]), SVG: inlineSVG(b)})
	}
	return out, nil
}

// byX sorts points and their error bars together by x.
type byX struct {
	pts  plotter.XYs
	errs plotter.YErrors
}

func (b byX) Len() int           { return len(b.pts) }
func (b byX) Less(i, j int) bool { return b.pts[i].X < b.pts[j].X }
func (b byX) Swap(i, j int) {
	b.pts[i], b.pts[j] = b.pts[j], b.pts[i]
	b.errs[i], b.errs[j] = b.errs[j], b.errs[i]
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"cell":   Cell,
	"header": header,
	"cells":  cells,
	"isnum":  func(t Table, i int) bool { return i >= len(t.Keys) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}th,td{padding:.25rem .6rem;border-bottom:1px solid #ddd}
th{text-align:left;background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{display:inline-block;margin:.5rem;vertical-align:top}figcaption{font-size:.85rem;color:#555}
.note{color:#7a5b00}h2{border-top:2px solid #eee;padding-top:1rem}
</style></head><body>
<h1>{{.Title}}</h1>
<p>Results root <code>{{.Root}}</code>, generated {{.Generated.Format "2006-01-02 15:04 UTC"}}. Cells are mean ± 95% confidence half-width over seeds (Student t); n is the number of runs pooled.</p>
{{if not .Sections}}<p>No runs found.</p>{{end}}
{{range .Sections}}{{$t := .Table}}
<h2 id="{{$t.Title}}">{{$t.Title}}</h2>
<table><tr>{{range header $t}}<th>{{.}}</th>{{end}}</tr>
{{range $t.Rows}}<tr>{{range $i, $c := cells $t .}}<td{{if isnum $t $i}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>
{{range $t.Notes}}<p class="note">{{.}}</p>{{end}}
{{if .Curves}}<h3>Metrics</h3>{{range .Curves}}<figure>{{.SVG}}<figcaption>{{.Caption}}</figcaption></figure>{{end}}{{end}}
{{if .Plots}}<h3>Plots</h3>{{range .Plots}}<figure>{{.SVG}}<figcaption>{{.Caption}}</figcaption></figure>{{end}}{{end}}
{{end}}
</body></html>
`))

// WriteHTML writes the page as one self-contained HTML document.
func WriteHTML(w io.Writer, p *Page) error {
	var buf bytes.Buffer
	if err := page.Execute(&buf, p); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
