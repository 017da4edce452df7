// Command estimator is a test estimator: an independent normal per
// feature (mean, unbiased variance); the score of a row is its log-density.
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

type model struct {
	minVar     float64
	mean, var_ []float64
}

func (m *model) Fit(x []float64, n, d int) error {
	if n < 2 {
		return fmt.Errorf("estimator: fit on %d rows, need at least 2", n)
	}
	m.mean, m.var_ = make([]float64, d), make([]float64, d)
	for j := range d {
		s := 0.0
		for i := range n {
			s += x[i*d+j]
		}
		mu := s / float64(n)
		v := 0.0
		for i := range n {
			r := x[i*d+j] - mu
			v += r * r
		}
		m.mean[j], m.var_[j] = mu, math.Max(v/float64(n-1), m.minVar)
	}
	return nil
}

func (m *model) Score(dst, x []float64, rows, d int) error {
	if m.mean == nil {
		return errors.New("estimator: not fitted")
	}
	if d != len(m.mean) {
		return fmt.Errorf("estimator: %d features, fitted on %d", d, len(m.mean))
	}
	for i := range rows {
		s := 0.0
		for j := range d {
			r := x[i*d+j] - m.mean[j]
			s += -0.5*r*r/m.var_[j] - 0.5*math.Log(2*math.Pi*m.var_[j])
		}
		dst[i] = s
	}
	return nil
}

func (m *model) Save() ([]byte, error) {
	if m.mean == nil {
		return nil, errors.New("estimator: not fitted")
	}
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(m.mean)))
	for _, v := range append(append([]float64{}, m.mean...), m.var_...) {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b, nil
}

func (m *model) Load(b []byte) error {
	if len(b) < 4 {
		return errors.New("estimator: state too short")
	}
	d := int(binary.LittleEndian.Uint32(b))
	if len(b) != 4+16*d {
		return fmt.Errorf("estimator: state has %d bytes, want %d for %d features", len(b), 4+16*d, d)
	}
	m.mean, m.var_ = make([]float64, d), make([]float64, d)
	for j := range d {
		m.mean[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[4+8*j:]))
		m.var_[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[4+8*(d+j):]))
	}
	return nil
}

func init() {
	sdk.Estimator(sdk.Info{Name: "test-estimator", Version: "1.0.0", Description: "diagonal normal"},
		params{MinVar: 1e-12},
		func(p params) (sdk.Model, error) { return &model{minVar: p.MinVar}, nil })
}

func main() {}
