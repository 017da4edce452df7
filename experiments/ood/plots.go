package ood

import (
	"fmt"
	"image/color"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/metrics"
	"github.com/ablate-ml/ablate/core/report"
)

var plotColors = []color.Color{report.Blue, report.Red, report.Green, report.Purple, report.Orange, report.Grey, report.Cyan}

// histograms overlays normalised histograms of the named value sets.
func histograms(title, xlabel string, names []string, sets [][]float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, xlabel, "density"
	for i, xs := range sets {
		h, err := plotter.NewHist(plotter.Values(xs), 40)
		if err != nil {
			return nil, fmt.Errorf("ood: plot %s: %w", names[i], err)
		}
		h.Normalize(1)
		h.FillColor = nil
		h.LineStyle.Color = plotColors[i%len(plotColors)]
		h.LineStyle.Width = vg.Points(1.2)
		p.Add(h)
		p.Legend.Add(names[i], h)
	}
	return p, nil
}

// rocPlot draws the ROC curves of the named methods.
func rocPlot(title string, names []string, id, ood [][]float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, "false positive rate (OOD accepted)", "true positive rate (ID accepted)"
	for i := range names {
		pts, err := metrics.ROC(id[i], ood[i])
		if err != nil {
			return nil, fmt.Errorf("ood: roc %s: %w", names[i], err)
		}
		xy := make(plotter.XYs, len(pts))
		for k, q := range pts {
			xy[k] = plotter.XY{X: q.FPR, Y: q.TPR}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, fmt.Errorf("ood: roc %s: %w", names[i], err)
		}
		l.Color = plotColors[i%len(plotColors)]
		p.Add(l)
		p.Legend.Add(names[i], l)
	}
	p.Legend.Top, p.Legend.Left = false, false
	return p, nil
}

// grid is a square matrix as a plotter.GridXYZ.
type grid [][]float64

func (g grid) Dims() (c, r int)   { return len(g), len(g) }
func (g grid) Z(c, r int) float64 { return g[r][c] }
func (g grid) X(c int) float64    { return float64(c) }
func (g grid) Y(r int) float64    { return float64(r) }

// correlationPlot draws the correlation matrix of the log-features.
func correlationPlot(title string, x []float64, n, d int) (*plot.Plot, error) {
	cols := make([][]float64, d)
	for j := 0; j < d; j++ {
		for i := 0; i < n; i++ {
			cols[j] = append(cols[j], x[i*d+j])
		}
	}
	r, err := metrics.Correlation(cols)
	if err != nil {
		return nil, fmt.Errorf("ood: correlation plot: %w", err)
	}
	pal := moreland.SmoothBlueRed()
	pal.SetMin(-1)
	pal.SetMax(1)
	p := plot.New()
	p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, "parameter tensor", "parameter tensor"
	p.Add(plotter.NewHeatMap(grid(r), pal.Palette(64)))
	return p, nil
}

// plotAll writes the study's figures for one OOD set at B = b.
func plotAll(env *experiment.RunEnv, in string, id, o *scored, names []string, d, b, nt int, methods []string, idS, oodS [][]float64) error {
	p, err := histograms(fmt.Sprintf("bits/dim, flow trained on %s", in), "bits per dimension",
		[]string{in, o.name}, [][]float64{id.bpd(d), o.bpd(d)})
	if err != nil {
		return err
	}
	if err := env.Plot("bpd-"+o.name, p, 0, 0); err != nil {
		return err
	}
	if p, err = rocPlot(fmt.Sprintf("%s vs %s, B=%d", in, o.name, b), methods, idS, oodS); err != nil {
		return err
	}
	if err := env.Plot(fmt.Sprintf("roc-%s-b%d", o.name, b), p, 0, 0); err != nil {
		return err
	}
	// Per-layer log-feature histograms: the first seven tensors (the flow's
	// first coupling).
	lid, lo := logFeatures(id.feats[b]), logFeatures(o.feats[b])
	for k := 0; k < min(7, nt); k++ {
		var a, c []float64
		for i := 0; i < len(lid)/nt; i++ {
			a = append(a, lid[i*nt+k])
		}
		for i := 0; i < len(lo)/nt; i++ {
			c = append(c, lo[i*nt+k])
		}
		if p, err = histograms(fmt.Sprintf("log squared gradient norm, %s, B=%d", names[k], b), "log feature",
			[]string{in, o.name}, [][]float64{a, c}); err != nil {
			return err
		}
		if err := env.Plot(fmt.Sprintf("feature-%s-%s-b%d", o.name, strings.ReplaceAll(names[k], ".", "-"), b), p, 0, 0); err != nil {
			return err
		}
	}
	return nil
}
