package train

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"
)

// ProgressMode chooses how progress is shown.
type ProgressMode int

const (
	// ProgressAuto redraws one line in place when the writer is a terminal
	// (an *os.File on a character device) and prints plain lines otherwise.
	ProgressAuto ProgressMode = iota
	// ProgressRedraw always redraws one line in place ("\r", clear to end).
	ProgressRedraw
	// ProgressPlain always prints a full line every ProgressEvery.
	ProgressPlain
)

// IsTerminal reports whether w is an *os.File on a character device.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// redrawEvery bounds how often a terminal line is redrawn.
const redrawEvery = 100 * time.Millisecond

type progress struct {
	w         io.Writer
	redraw    bool
	every     time.Duration
	total     int
	startStep int
	start     time.Time
	last      time.Time // when a line was last shown
	drawn     bool      // a redrawn line is on screen
}

func newProgress(w io.Writer, mode ProgressMode, every time.Duration, total, startStep int, now time.Time) *progress {
	if w == nil {
		return nil
	}
	p := &progress{w: w, every: every, total: total, startStep: startStep, start: now, last: now}
	switch mode {
	case ProgressRedraw:
		p.redraw = true
	case ProgressAuto:
		p.redraw = IsTerminal(w)
	}
	if p.every <= 0 {
		p.every = 10 * time.Second
	}
	return p
}

// line formats "step i/n  loss x  r steps/s  ETA d".
func (p *progress) line(step int, m Metrics, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %d/%d", step, p.total)
	if v, ok := m["loss"]; ok {
		fmt.Fprintf(&b, "  loss %.4g", v)
	}
	el := now.Sub(p.start).Seconds()
	if done := step - p.startStep; done > 0 && el > 0 {
		rate := float64(done) / el
		eta := time.Duration(math.Round(float64(p.total-step)/rate)) * time.Second
		fmt.Fprintf(&b, "  %.3g steps/s  ETA %s", rate, eta)
	}
	return b.String()
}

// step shows progress after step i if it is time to.
func (p *progress) step(i int, m Metrics, now time.Time) {
	if p == nil {
		return
	}
	final := i == p.total
	if p.redraw {
		if now.Sub(p.last) < redrawEvery && !final && p.drawn {
			return
		}
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(i, m, now))
		p.drawn = true
		if final {
			fmt.Fprintln(p.w)
			p.drawn = false
		}
	} else {
		if now.Sub(p.last) < p.every && !final {
			return
		}
		fmt.Fprintln(p.w, p.line(i, m, now))
	}
	p.last = now
}

// note prints a line that stays (an evaluation's results, a resume).
func (p *progress) note(s string) {
	if p == nil {
		return
	}
	if p.redraw && p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, s)
}

// end finishes a redrawn line so later output starts on a fresh line.
func (p *progress) end() {
	if p != nil && p.redraw && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

func formatMetrics(m Metrics) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString("  ")
		}
		fmt.Fprintf(&b, "%s %.4g", k, m[k])
	}
	return b.String()
}
