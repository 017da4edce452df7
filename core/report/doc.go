// Package report turns a results store into comparison tables (mean ± 95%
// confidence interval over seeds, by sweep axis) as text, Markdown or CSV,
// and into one self-contained HTML page with those tables, metric curves and
// each run's own plots inline as SVG.
//
// It reads the store only; it never changes a run. Runs that are not done
// are counted in a table's notes, never averaged.
package report
