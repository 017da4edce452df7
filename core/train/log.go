package train

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
)

// Metrics maps a metric's name to its value for one step or evaluation.
type Metrics map[string]float64

// Record is one line of a metrics log.
type Record struct {
	Kind    string  // "train" or "eval"
	Name    string  // the evaluation's name; empty for train records
	Step    int     // completed steps when the record was written
	Metrics Metrics // the values
	Time    Metrics // timing only (seconds): "elapsed_s", "step_s", "eval_s"
}

// AppendJSON appends the record as one JSON line, keys in a fixed order
// (kind, name, step, metrics, time) and metric keys sorted, numbers in their
// shortest round-trip form; NaN and ±Inf, which JSON lacks, are written as
// the strings "NaN", "+Inf" and "-Inf".
func (r Record) AppendJSON(b []byte) []byte {
	b = append(b, `{"kind":`...)
	b = strconv.AppendQuote(b, r.Kind)
	if r.Name != "" {
		b = append(b, `,"name":`...)
		b = strconv.AppendQuote(b, r.Name)
	}
	b = append(b, `,"step":`...)
	b = strconv.AppendInt(b, int64(r.Step), 10)
	b = append(b, `,"metrics":`...)
	b = appendMetrics(b, r.Metrics)
	if len(r.Time) > 0 {
		b = append(b, `,"time":`...)
		b = appendMetrics(b, r.Time)
	}
	return append(b, "}\n"...)
}

func appendMetrics(b []byte, m Metrics) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, k)
		b = append(b, ':')
		b = appendFloat(b, m[k])
	}
	return append(b, '}')
}

func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, `"NaN"`...)
	case math.IsInf(v, 1):
		return append(b, `"+Inf"`...)
	case math.IsInf(v, -1):
		return append(b, `"-Inf"`...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// number decodes a metric written by appendFloat.
type number float64

func (n *number) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case `"NaN"`:
		*n = number(math.NaN())
	case `"+Inf"`:
		*n = number(math.Inf(1))
	case `"-Inf"`:
		*n = number(math.Inf(-1))
	default:
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("metric value %s is not a number", b)
		}
		*n = number(v)
	}
	return nil
}

// ReadLog reads a metrics log written by Run.
func ReadLog(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for line := 1; sc.Scan(); line++ {
		var raw struct {
			Kind    string            `json:"kind"`
			Name    string            `json:"name"`
			Step    int               `json:"step"`
			Metrics map[string]number `json:"metrics"`
			Time    map[string]number `json:"time"`
		}
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			return nil, fmt.Errorf("train: %s:%d: %w", path, line, err)
		}
		r := Record{Kind: raw.Kind, Name: raw.Name, Step: raw.Step, Metrics: Metrics{}}
		for k, v := range raw.Metrics {
			r.Metrics[k] = float64(v)
		}
		if raw.Time != nil {
			r.Time = Metrics{}
			for k, v := range raw.Time {
				r.Time[k] = float64(v)
			}
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("train: %s: %w", path, err)
	}
	return out, nil
}
