package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/metrics"
)

// Options select what Compare aggregates.
type Options struct {
	// By lists the axes that make the rows; runs that differ only in other
	// axes (and seeds) are pooled. Empty means every axis of the sweep.
	By []string
	// Metrics lists the summary keys to show; empty means every numeric one.
	Metrics []string
}

// Table is one sweep's comparison.
type Table struct {
	Study, Sweep string
	Keys         []string // the row-key columns (axes)
	Metrics      []string
	Rows         []Row
	Notes        []string
}

// Title is "study/sweep".
func (t *Table) Title() string { return t.Study + "/" + t.Sweep }

// Row is one combination of the key axes.
type Row struct {
	Keys  []string
	Cells []metrics.Interval // one per metric; N == 0 when no run has it
	Runs  []experiment.Record
}

// Compare builds one table per sweep from the records of a store. When a
// point (its axis values and seed) was computed more than once (the sweep's
// file changed between passes), the most recently finished run counts.
func Compare(recs []experiment.Record, opt Options) ([]Table, error) {
	type sweepKey struct{ study, sweep string }
	groups := map[sweepKey][]experiment.Record{}
	var order []sweepKey
	for _, r := range recs {
		k := sweepKey{r.Meta.Study, r.Meta.Sweep}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	sort.Slice(order, func(i, j int) bool {
		if order[i].study != order[j].study {
			return order[i].study < order[j].study
		}
		return order[i].sweep < order[j].sweep
	})
	var out []Table
	for _, k := range order {
		t, err := compareSweep(k.study, k.sweep, groups[k], opt)
		if err != nil {
			return nil, err
		}
		if t != nil {
			out = append(out, *t)
		}
	}
	if len(out) == 0 && len(opt.By) > 0 {
		return nil, fmt.Errorf("report: no sweep has the axis %s", strings.Join(opt.By, ", "))
	}
	return out, nil
}

func axisValue(r experiment.Record, key string) (string, bool) {
	for _, a := range r.Meta.Axes {
		if a.Key == key {
			return experiment.FormatValue(a.Value), true
		}
	}
	return "", false
}

func compareSweep(study, sweep string, recs []experiment.Record, opt Options) (*Table, error) {
	t := &Table{Study: study, Sweep: sweep}
	// Axes of the sweep, in file order.
	var axes []string
	seenAxis := map[string]bool{}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Meta.Index < recs[j].Meta.Index })
	for _, r := range recs {
		for _, a := range r.Meta.Axes {
			if !seenAxis[a.Key] {
				seenAxis[a.Key] = true
				axes = append(axes, a.Key)
			}
		}
	}
	t.Keys = axes
	if len(opt.By) > 0 {
		for _, b := range opt.By {
			if !seenAxis[b] {
				return nil, nil // this sweep has no such axis; other sweeps may
			}
		}
		t.Keys = opt.By
	}
	// Latest finished run per point; others noted.
	latest := map[string]experiment.Record{}
	var pointOrder []string
	states := map[string]int{}
	superseded := 0
	for _, r := range recs {
		if r.State != experiment.StateDone {
			states[r.State]++
			continue
		}
		var pk strings.Builder
		for _, a := range axes {
			v, _ := axisValue(r, a)
			fmt.Fprintf(&pk, "%s=%s\x00", a, v)
		}
		fmt.Fprintf(&pk, "seed=%d", r.Meta.Seed)
		key := pk.String()
		prev, ok := latest[key]
		if !ok {
			pointOrder = append(pointOrder, key)
		} else {
			superseded++
			if !r.Status.Finished.After(prev.Status.Finished) {
				continue
			}
		}
		latest[key] = r
	}
	if superseded > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%d older runs of the same points superseded by newer ones", superseded))
	}
	for _, s := range []string{experiment.StateFailed, experiment.StateRunning, experiment.StateInterrupted} {
		if states[s] > 0 {
			t.Notes = append(t.Notes, fmt.Sprintf("%d runs %s, not included", states[s], s))
		}
	}
	// Metrics: requested, or every numeric summary key.
	t.Metrics = opt.Metrics
	if len(t.Metrics) == 0 {
		seen := map[string]bool{}
		for _, k := range pointOrder {
			for m, v := range latest[k].Summary {
				if _, ok := v.(float64); ok && !seen[m] {
					seen[m] = true
					t.Metrics = append(t.Metrics, m)
				}
			}
		}
		sort.Strings(t.Metrics)
	}
	// Rows.
	rowIdx := map[string]int{}
	for _, k := range pointOrder {
		r := latest[k]
		vals := make([]string, len(t.Keys))
		for i, a := range t.Keys {
			vals[i], _ = axisValue(r, a)
		}
		rk := strings.Join(vals, "\x00")
		i, ok := rowIdx[rk]
		if !ok {
			i = len(t.Rows)
			rowIdx[rk] = i
			t.Rows = append(t.Rows, Row{Keys: vals})
		}
		t.Rows[i].Runs = append(t.Rows[i].Runs, r)
	}
	for ri := range t.Rows {
		row := &t.Rows[ri]
		row.Cells = make([]metrics.Interval, len(t.Metrics))
		for mi, m := range t.Metrics {
			var xs []float64
			for _, r := range row.Runs {
				if v, ok := number(r.Summary[m]); ok && !math.IsNaN(v) {
					xs = append(xs, v)
				}
			}
			if len(xs) == 0 {
				continue
			}
			iv, err := metrics.Mean95(xs)
			if err != nil {
				return nil, fmt.Errorf("report: %s %s: %w", t.Title(), m, err)
			}
			row.Cells[mi] = iv
		}
	}
	if len(opt.Metrics) > 0 {
		for mi, m := range t.Metrics {
			found := false
			for _, row := range t.Rows {
				found = found || row.Cells[mi].N > 0
			}
			if !found && len(t.Rows) > 0 {
				t.Notes = append(t.Notes, fmt.Sprintf("no run has a numeric summary %q", m))
			}
		}
	}
	return t, nil
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case string:
		switch x {
		case "NaN":
			return math.NaN(), true
		case "+Inf":
			return math.Inf(1), true
		case "-Inf":
			return math.Inf(-1), true
		}
	}
	return 0, false
}

// Cell renders an interval as "mean ± half-width" (just the mean for one
// value, "-" for none).
func Cell(iv metrics.Interval) string {
	switch {
	case iv.N == 0:
		return "-"
	case iv.N == 1:
		return fmt.Sprintf("%.4g", iv.Mean)
	}
	return fmt.Sprintf("%.4g ± %.2g", iv.Mean, iv.HalfWidth)
}

func header(t *Table) []string {
	h := append([]string{}, t.Keys...)
	h = append(h, "n")
	return append(h, t.Metrics...)
}

func cells(t *Table, row Row) []string {
	c := append([]string{}, row.Keys...)
	c = append(c, fmt.Sprint(len(row.Runs)))
	for _, iv := range row.Cells {
		c = append(c, Cell(iv))
	}
	return c
}

// Write renders tables as "text", "md" or "csv".
func Write(w io.Writer, tables []Table, format string) error {
	switch format {
	case "text", "":
		for i, t := range tables {
			if i > 0 {
				fmt.Fprintln(w)
			}
			writeText(w, &t)
		}
	case "md", "markdown":
		for i, t := range tables {
			if i > 0 {
				fmt.Fprintln(w)
			}
			writeMarkdown(w, &t)
		}
	case "csv":
		cw := csv.NewWriter(w)
		for _, t := range tables {
			// CSV carries the numbers, not their rendering.
			h := []string{"study", "sweep"}
			h = append(h, t.Keys...)
			h = append(h, "n")
			for _, m := range t.Metrics {
				h = append(h, m+"_mean", m+"_ci95", m+"_n")
			}
			if err := cw.Write(h); err != nil {
				return fmt.Errorf("report: %w", err)
			}
			for _, row := range t.Rows {
				rec := []string{t.Study, t.Sweep}
				rec = append(rec, row.Keys...)
				rec = append(rec, fmt.Sprint(len(row.Runs)))
				for _, iv := range row.Cells {
					if iv.N == 0 {
						rec = append(rec, "", "", "0")
						continue
					}
					hw := ""
					if iv.N > 1 {
						hw = fmt.Sprint(iv.HalfWidth)
					}
					rec = append(rec, fmt.Sprint(iv.Mean), hw, fmt.Sprint(iv.N))
				}
				if err := cw.Write(rec); err != nil {
					return fmt.Errorf("report: %w", err)
				}
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	default:
		return fmt.Errorf("report: format %q: want text, md or csv", format)
	}
	return nil
}

func writeText(w io.Writer, t *Table) {
	fmt.Fprintf(w, "%s (mean ± 95%% CI over seeds)\n", t.Title())
	rows := [][]string{header(t)}
	for _, r := range t.Rows {
		rows = append(rows, cells(t, r))
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for ri, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := width[i] - len([]rune(c))
			if i >= len(t.Keys) { // numbers right-aligned
				b.WriteString(strings.Repeat(" ", pad) + c)
			} else {
				b.WriteString(c + strings.Repeat(" ", pad))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if ri == 0 {
			total := 0
			for _, x := range width {
				total += x + 2
			}
			fmt.Fprintln(w, strings.Repeat("-", max(total-2, 0)))
		}
	}
	if len(t.Rows) == 0 {
		fmt.Fprintln(w, "(no finished runs)")
	}
	for _, n := range t.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func writeMarkdown(w io.Writer, t *Table) {
	fmt.Fprintf(w, "### %s\n\nmean ± 95%% CI over seeds\n\n", t.Title())
	h := header(t)
	for i := range h {
		h[i] = mdEscape(h[i])
	}
	fmt.Fprintf(w, "| %s |\n|", strings.Join(h, " | "))
	for i := range h {
		if i < len(t.Keys) {
			fmt.Fprint(w, "---|")
		} else {
			fmt.Fprint(w, "---:|")
		}
	}
	fmt.Fprintln(w)
	for _, r := range t.Rows {
		c := cells(t, r)
		for i := range c {
			c[i] = mdEscape(c[i])
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(c, " | "))
	}
	for _, n := range t.Notes {
		fmt.Fprintf(w, "\n_%s_\n", n)
	}
}
