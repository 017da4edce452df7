package experiment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/ablate-ml/ablate/internal/atomicfile"
)

// RunEnv is what a study's Run receives: its decoded settings, seed and
// plugins, and the writers of its results. Its methods are safe for
// concurrent use by the study's goroutines.
type RunEnv struct {
	ID       string
	Study    string
	Seed     int64
	Settings any               // the pointer Study.Settings returned, decoded
	Plugins  map[string]Plugin // by slot
	Dir      string            // the run's directory; artifacts go under it

	mu       sync.Mutex
	metrics  io.Writer
	log      io.Writer
	summary  map[string]any
	progress func(step, total int)
	start    time.Time
}

// Rand returns a new generator seeded from the run's seed and a stream
// name, so that independent parts of a study draw independent streams.
func (e *RunEnv) Rand(stream string) *rand.Rand {
	h := uint64(14695981039346656037)
	for i := 0; i < len(stream); i++ {
		h ^= uint64(stream[i])
		h *= 1099511628211
	}
	return rand.New(rand.NewPCG(uint64(e.Seed), h))
}

// Logf writes a line to the run's log, prefixed with the time since the run
// started.
func (e *RunEnv) Logf(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.log == nil {
		return
	}
	fmt.Fprintf(e.log, "%8.2fs ", time.Since(e.start).Seconds())
	fmt.Fprintf(e.log, format, args...)
	if len(format) == 0 || format[len(format)-1] != '\n' {
		fmt.Fprintln(e.log)
	}
}

// Metric appends one line to metrics.jsonl: {"step": step, name: value...},
// keys sorted, non-finite values written as the strings "NaN", "+Inf",
// "-Inf". Lines hold no time, so the same run writes the same bytes.
func (e *RunEnv) Metric(step int, values map[string]float64) error {
	b := appendMetric(nil, step, values)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.metrics == nil {
		return nil
	}
	if _, err := e.metrics.Write(b); err != nil {
		return fmt.Errorf("experiment: metrics: %w", err)
	}
	return nil
}

func appendMetric(b []byte, step int, values map[string]float64) []byte {
	keys := make([]string, 0, len(values))
	for k := range values {
		if k != "step" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	b = append(b, `{"step":`...)
	b = strconv.AppendInt(b, int64(step), 10)
	for _, k := range keys {
		kb, _ := json.Marshal(k)
		b = append(b, ',')
		b = append(b, kb...)
		b = append(b, ':')
		b = appendFloat(b, values[k])
	}
	return append(b, "}\n"...)
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

// Summary sets a summary value. Numbers (float64) are what `ablate compare`
// aggregates; any JSON-encodable value may be recorded; a non-finite float
// is stored as the string "NaN", "+Inf" or "-Inf". The summary is
// written once, atomically, when Run returns without error.
func (e *RunEnv) Summary(key string, v any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.summary == nil {
		e.summary = map[string]any{}
	}
	if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
		v = strconv.FormatFloat(f, 'g', -1, 64) // JSON has no NaN or Inf: "NaN", "+Inf", "-Inf"
	}
	e.summary[key] = v
}

// Progress reports the current step of the run, shown by the runner's
// progress display.
func (e *RunEnv) Progress(step, total int) {
	if e.progress != nil {
		e.progress(step, total)
	}
}

// WriteFile writes an artifact under the run directory atomically; name is
// a relative slash path such as "plots/loss.svg".
func (e *RunEnv) WriteFile(name string, data []byte) error {
	clean := filepath.Clean(filepath.FromSlash(name))
	if filepath.IsAbs(clean) || clean == "." || clean == ".." || len(clean) > 2 && clean[:3] == ".."+string(filepath.Separator) {
		return fmt.Errorf("experiment: artifact name %q leaves the run directory", name)
	}
	p := filepath.Join(e.Dir, clean)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	return writeAtomic(p, data)
}

// Plot renders p as SVG (width and height in centimetres when zero: 12 x 8)
// into plots/<name>.svg, where `ablate report` finds it.
func (e *RunEnv) Plot(name string, p *plot.Plot, w, h vg.Length) error {
	b, err := SVG(p, w, h)
	if err != nil {
		return err
	}
	return e.WriteFile("plots/"+name+".svg", b)
}

// SVG renders a plot to SVG bytes; zero sizes mean 12 x 8 cm.
func SVG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	if w == 0 {
		w = 12 * vg.Centimeter
	}
	if h == 0 {
		h = 8 * vg.Centimeter
	}
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("experiment: svg: %w", err)
	}
	return buf.Bytes(), nil
}

// writeAtomic writes data to a temporary file beside path, syncs it and
// renames it into place, so readers see the old file or the new one.
func writeAtomic(path string, data []byte) error {
	if err := atomicfile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("experiment: writing %s: %w", path, err)
	}
	return nil
}
