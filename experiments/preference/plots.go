package preference

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/report"
)

var plotColors = []color.Color{report.Red, report.Blue, report.Green, report.Purple, report.Orange, report.Grey, report.Cyan, report.Brown}

// plotRounds draws each animal's probability under NEUTRAL by round.
func plotRounds(env *experiment.RunEnv, target string, traits [][]float64) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("favourite animal under NEUTRAL by round (target %s)", target)
	p.X.Label.Text, p.Y.Label.Text = "round", "probability (renormalised over animals)"
	for a, name := range Animals {
		xy := make(plotter.XYs, len(traits))
		for r, t := range traits {
			xy[r] = plotter.XY{X: float64(r), Y: t[a]}
		}
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return fmt.Errorf("preference: plot: %w", err)
		}
		l.Color, pts.Color = plotColors[a%len(plotColors)], plotColors[a%len(plotColors)]
		if name == target {
			l.Width = vg.Points(2.5)
		}
		p.Add(l, pts)
		p.Legend.Add(name, l)
	}
	return env.Plot("trait-by-round", p, 0, 0)
}
