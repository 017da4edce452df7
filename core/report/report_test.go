package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ablate-ml/ablate/core/experiment"
)

// fakeStore writes run directories by hand: sweep "s" of study "toy" with
// axes width in {8, 16} and act in {relu, tanh}, seeds 1..3, and summary
// acc = width/100 + seed/10 (+0.5 for tanh); plus one failed run.
func fakeStore(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	i := 0
	write := func(dir, name string, v any) {
		b, _ := json.Marshal(v)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, width := range []int64{8, 16} {
		for _, act := range []string{"relu", "tanh"} {
			for seed := int64(1); seed <= 3; seed++ {
				id := fmt.Sprintf("%012x%052d", i+1, 0)
				dir := filepath.Join(root, "toy", id[:12])
				os.MkdirAll(filepath.Join(dir, "plots"), 0o755)
				write(dir, experiment.FileMeta, experiment.Meta{ID: id, Study: "toy", Sweep: "s", Index: i, Seed: seed,
					Axes: []experiment.AxisValue{{Key: "model.width", Value: width}, {Key: "model.act", Value: act}}})
				acc := float64(width)/100 + float64(seed)/10
				if act == "tanh" {
					acc += 0.5
				}
				write(dir, experiment.FileStatus, experiment.Status{State: experiment.StateDone, Finished: time.Unix(int64(i), 0)})
				write(dir, experiment.FileSummary, map[string]any{"acc": acc, "note": "x"})
				var m bytes.Buffer
				for step := 1; step <= 3; step++ {
					fmt.Fprintf(&m, `{"step":%d,"loss":%g}`+"\n", step, acc/float64(step))
				}
				os.WriteFile(filepath.Join(dir, experiment.FileMetrics), m.Bytes(), 0o644)
				os.WriteFile(filepath.Join(dir, "plots", "hist.svg"), []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script><rect width="1" height="1"/></svg>`), 0o644)
				i++
			}
		}
	}
	id := fmt.Sprintf("%012x%052d", 999, 0)
	dir := filepath.Join(root, "toy", id[:12])
	os.MkdirAll(dir, 0o755)
	write(dir, experiment.FileMeta, experiment.Meta{ID: id, Study: "toy", Sweep: "s", Index: i, Seed: 9,
		Axes: []experiment.AxisValue{{Key: "model.width", Value: int64(8)}, {Key: "model.act", Value: "relu"}}})
	write(dir, experiment.FileStatus, experiment.Status{State: experiment.StateFailed, Error: "boom"})
	return root
}

func records(t *testing.T, root string) []experiment.Record {
	recs, err := (&experiment.Store{Root: root}).List()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// t975 holds Student-t 0.975 quantiles from printed tables, by degrees of
// freedom, as an independent check of the intervals.
var t975 = map[int]float64{2: 4.302653, 5: 2.570582}

func TestCompareMeansAndIntervals(t *testing.T) {
	tables, err := Compare(records(t, fakeStore(t)), Options{})
	if err != nil || len(tables) != 1 {
		t.Fatalf("%d tables, %v", len(tables), err)
	}
	tb := tables[0]
	if fmt.Sprint(tb.Keys) != "[model.width model.act]" || fmt.Sprint(tb.Metrics) != "[acc]" || len(tb.Rows) != 4 {
		t.Fatalf("table %+v", tb)
	}
	for _, row := range tb.Rows {
		w, _ := strconv.Atoi(row.Keys[0])
		want := float64(w)/100 + 0.2 // mean of seeds 1..3 /10
		if row.Keys[1] == "tanh" {
			want += 0.5
		}
		iv := row.Cells[0]
		// sample sd of {0.1, 0.2, 0.3} is 0.1
		hw := t975[2] * 0.1 / math.Sqrt(3)
		if iv.N != 3 || math.Abs(iv.Mean-want) > 1e-12 || math.Abs(iv.HalfWidth-hw) > 1e-5 {
			t.Errorf("row %v: %+v, want mean %g half-width %g", row.Keys, iv, want, hw)
		}
	}
	if !strings.Contains(strings.Join(tb.Notes, ";"), "1 runs failed") {
		t.Errorf("notes %v do not count the failed run", tb.Notes)
	}

	// --by pools the other axes: width 8 has 6 runs (both activations).
	tables, err = Compare(records(t, fakeStore(t)), Options{By: []string{"model.width"}, Metrics: []string{"acc"}})
	if err != nil || len(tables[0].Rows) != 2 {
		t.Fatalf("by width: %v %v", tables, err)
	}
	var xs []float64
	for _, act := range []float64{0, 0.5} {
		for s := 1; s <= 3; s++ {
			xs = append(xs, 0.08+float64(s)/10+act)
		}
	}
	mean, ss := 0.0, 0.0
	for _, x := range xs {
		mean += x / 6
	}
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	hw := t975[5] * math.Sqrt(ss/5) / math.Sqrt(6)
	iv := tables[0].Rows[0].Cells[0]
	if tables[0].Rows[0].Keys[0] != "8" || iv.N != 6 || math.Abs(iv.Mean-mean) > 1e-12 || math.Abs(iv.HalfWidth-hw) > 1e-5 {
		t.Errorf("by width row 0: %v %+v, want mean %g hw %g", tables[0].Rows[0].Keys, iv, mean, hw)
	}
	if _, err := Compare(records(t, fakeStore(t)), Options{By: []string{"nope"}}); err == nil {
		t.Error("an unknown axis is accepted")
	}
}

func TestFormats(t *testing.T) {
	tables, err := Compare(records(t, fakeStore(t)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var txt, md, cs bytes.Buffer
	for f, b := range map[string]*bytes.Buffer{"text": &txt, "md": &md, "csv": &cs} {
		if err := Write(b, tables, f); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(txt.String(), "toy/s") || !strings.Contains(txt.String(), "0.28 ± 0.25") {
		t.Errorf("text:\n%s", txt.String())
	}
	if !strings.Contains(md.String(), "| model.width | model.act | n | acc |") || !strings.Contains(md.String(), "|---|---|---:|---:|") {
		t.Errorf("markdown:\n%s", md.String())
	}
	rows, err := csv.NewReader(&cs).ReadAll()
	if err != nil || len(rows) != 5 {
		t.Fatalf("csv: %d rows, %v\n%s", len(rows), err, cs.String())
	}
	if fmt.Sprint(rows[0]) != "[study sweep model.width model.act n acc_mean acc_ci95 acc_n]" {
		t.Errorf("csv header %v", rows[0])
	}
	m, _ := strconv.ParseFloat(rows[1][5], 64)
	if math.Abs(m-0.28) > 1e-12 {
		t.Errorf("csv mean %v, want 0.28", rows[1][5])
	}
	if err := Write(&txt, tables, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestHTMLSelfContained(t *testing.T) {
	root := fakeStore(t)
	p, err := BuildPage("toy results", root, records(t, root), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, p); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if n := strings.Count(html, "<svg"); n != 12+1 { // 12 run plots, 1 loss curve
		t.Errorf("%d inline SVGs, want 13", n)
	}
	for _, bad := range []string{"<script", "<link", " src=", `href="http`, "<?xml", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	for _, want := range []string{"toy/s", "0.28 ± 0.25", "loss by step", "1 runs failed"} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// With one numeric axis, each metric is also plotted against it.
	p, err = BuildPage("by width", root, records(t, root), Options{By: []string{"model.width"}})
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := WriteHTML(&b, p); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "<svg"); n != 14 || !strings.Contains(b.String(), "acc by model.width (mean ± 95% CI)") {
		t.Errorf("%d inline SVGs, want 14 with the axis plot", n)
	}
}
