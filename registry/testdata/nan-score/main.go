// Command nan-score is a test fixture: an estimator that fails the
// conformance kit on purpose (the last score of every batch of two or more
// rows is NaN), so that `ablate publish` can be shown to refuse it.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/ablate-ml/ablate/sdk"
)

type params struct {
	MinVar float64 `json:"min_var" doc:"variance floor"`
}

// model is an independent normal per feature.
type model struct {
	minVar     float64
	mean, vars []float64
}

func (m *model) Fit(x []float64, n, d int) error {
	if n < 2 {
		return fmt.Errorf("nan-score: fit on %d rows, need at least 2", n)
	}
	m.mean, m.vars = make([]float64, d), make([]float64, d)
	for j := range d {
		for i := range n {
			m.mean[j] += x[i*d+j] / float64(n)
		}
		for i := range n {
			r := x[i*d+j] - m.mean[j]
			m.vars[j] += r * r / float64(n-1)
		}
		m.vars[j] = math.Max(m.vars[j], m.minVar)
	}
	return nil
}

func (m *model) Score(dst, x []float64, rows, d int) error {
	if m.mean == nil {
		return errors.New("nan-score: not fitted")
	}
	if d != len(m.mean) {
		return fmt.Errorf("nan-score: %d features, fitted on %d", d, len(m.mean))
	}
	for i := range rows {
		s := 0.0
		for j := range d {
			r := x[i*d+j] - m.mean[j]
			s -= 0.5*r*r/m.vars[j] + 0.5*math.Log(2*math.Pi*m.vars[j])
		}
		dst[i] = s
		if i == rows-1 && rows > 1 {
			dst[i] = math.NaN() // fails conformance on purpose: a NaN score
		}
	}
	return nil
}

func (m *model) Save() ([]byte, error) {
	if m.mean == nil {
		return nil, errors.New("nan-score: not fitted")
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(m.mean)))
	for _, v := range append(append([]float64{}, m.mean...), m.vars...) {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b, nil
}

func (m *model) Load(b []byte) error {
	if len(b) < 4 {
		return errors.New("nan-score: state too short")
	}
	d := int(binary.LittleEndian.Uint32(b))
	if d < 1 || len(b) != 4+16*d {
		return fmt.Errorf("nan-score: state has %d bytes, want %d for %d features", len(b), 4+16*d, d)
	}
	m.mean, m.vars = make([]float64, d), make([]float64, d)
	for j := range d {
		m.mean[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[4+8*j:]))
		m.vars[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[4+8*(d+j):]))
	}
	return nil
}

func init() {
	sdk.Estimator(sdk.Info{Name: "nan-score", Version: "0.1.0", Description: "Fails the conformance kit on purpose: the last score of a batch is NaN."},
		params{MinVar: 1e-12},
		func(p params) (sdk.Model, error) { return &model{minVar: p.MinVar}, nil })
}

func main() {}
