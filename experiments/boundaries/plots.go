package boundaries

import (
	"fmt"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// offsetPlot is the bar chart of P(boundary at offset k after the last
// whitespace).
func offsetPlot(title string, offsets []float64) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text, p.Y.Label.Text = fmt.Sprintf("offset k after the last whitespace (%d = %d and more)", len(offsets)-1, len(offsets)-1), "P(boundary at k)"
	bars, err := plotter.NewBarChart(plotter.Values(offsets), vg.Points(14))
	if err != nil {
		return nil, err
	}
	p.Add(bars)
	names := make([]string, len(offsets))
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, 1
	return p, nil
}
