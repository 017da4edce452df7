package experiment

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"
)

// Options control Execute.
type Options struct {
	Jobs     int  // parallel runs; 0 means 1
	Force    bool // recompute finished runs
	FailFast bool // stop starting runs after the first failure
	// Shard and Shards select the runs whose Index % Shards == Shard;
	// Shards 0 means all runs.
	Shard, Shards int
	// Progress receives progress lines; nil for none. Live redraws one
	// status line in place (for a terminal) instead of printing lines.
	Progress io.Writer
	Live     bool
	// Env is the host version recorded in run.json.
	Host string
}

// Outcome is what happened to one run.
type Outcome struct {
	Run     *Run
	State   string // StateDone, StateFailed, "skipped" (already done), "busy" (claimed elsewhere), "cancelled" (interrupted or not started)
	Err     error
	Elapsed time.Duration
}

// Result counts outcomes.
type Result struct {
	Outcomes                              []Outcome
	Ran, Skipped, Failed, Busy, Cancelled int
}

// Outcome states beyond the run states.
const (
	OutcomeSkipped   = "skipped"
	OutcomeBusy      = "busy"
	OutcomeCancelled = "cancelled"
)

// ShardOf returns the runs of shard i of n: those with Index % n == i.
func ShardOf(runs []Run, i, n int) []Run {
	if n <= 0 {
		return runs
	}
	var out []Run
	for _, r := range runs {
		if r.Index%n == i {
			out = append(out, r)
		}
	}
	return out
}

// ParseShard parses "I/N" with 0 <= I < N.
func ParseShard(s string) (i, n int, err error) {
	if _, err := fmt.Sscanf(s, "%d/%d", &i, &n); err != nil || n <= 0 || i < 0 || i >= n || fmt.Sprintf("%d/%d", i, n) != s {
		return 0, 0, fmt.Errorf("experiment: shard %q: want I/N with 0 <= I < N", s)
	}
	return i, n, nil
}

// Execute runs a plan's runs (or a shard of them) into the store: finished
// runs are skipped unless Force, runs claimed by a live process elsewhere
// are left to it, and a failing run is recorded and the rest go on unless
// FailFast. It returns an error when any run failed or ctx ended.
func (s *Store) Execute(ctx context.Context, p *Plan, opt Options) (*Result, error) {
	runs := ShardOf(p.Runs, opt.Shard, opt.Shards)
	jobs := max(opt.Jobs, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prog := newProgress(opt.Progress, opt.Live, len(runs), jobs)
	defer prog.close()

	res := &Result{Outcomes: make([]Outcome, len(runs))}
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := false
	for w := 0; w < jobs; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := &runs[i]
				mu.Lock()
				stop := failed && opt.FailFast
				mu.Unlock()
				var o Outcome
				if stop || ctx.Err() != nil {
					o = Outcome{Run: r, State: OutcomeCancelled}
				} else {
					o = s.runOne(ctx, p.Study, r, opt, prog)
				}
				if o.State == StateFailed {
					mu.Lock()
					failed = true
					mu.Unlock()
				}
				res.Outcomes[i] = o
				prog.finish(o)
			}
		}()
	}
	for i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()
	var errs []error
	for _, o := range res.Outcomes {
		switch o.State {
		case StateDone:
			res.Ran++
		case OutcomeSkipped:
			res.Skipped++
		case OutcomeBusy:
			res.Busy++
		case OutcomeCancelled:
			res.Cancelled++
		case StateFailed:
			res.Failed++
			errs = append(errs, fmt.Errorf("run %s (%s): %w", o.Run.Short(), o.Run.Label(), o.Err))
		}
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("experiment: %d of %d runs failed: %w", res.Failed, len(runs), errors.Join(errs...))
	}
	if err := ctx.Err(); err != nil && res.Cancelled > 0 {
		return res, fmt.Errorf("experiment: stopped with %d runs interrupted or not started: %w", res.Cancelled, err)
	}
	return res, nil
}

// runOne claims, computes and records one run.
func (s *Store) runOne(ctx context.Context, st Study, r *Run, opt Options, prog *progress) Outcome {
	dir := s.Dir(r)
	if !opt.Force && done(dir) {
		return Outcome{Run: r, State: OutcomeSkipped}
	}
	release, beat, err := s.claim(dir)
	if errors.Is(err, ErrClaimed) {
		return Outcome{Run: r, State: OutcomeBusy, Err: err}
	}
	if err != nil {
		return Outcome{Run: r, State: StateFailed, Err: err}
	}
	defer release()
	// Another process may have finished it between our check and claim.
	if !opt.Force && done(dir) {
		return Outcome{Run: r, State: OutcomeSkipped}
	}
	start := time.Now()
	prog.start(r)
	err = s.compute(ctx, st, r, dir, opt, beat, func(step, total int) { prog.step(r, step, total) })
	o := Outcome{Run: r, State: StateDone, Elapsed: time.Since(start)}
	status := Status{State: StateDone, Host: s.host(), PID: os.Getpid(), Started: start.UTC(), Finished: time.Now().UTC(), Seconds: o.Elapsed.Seconds()}
	switch {
	case err != nil && ctx.Err() != nil:
		// Stopped from outside (Ctrl-C, a deadline): not the run's fault.
		o.State, o.Err = OutcomeCancelled, err
		status.State, status.Error = StateInterrupted, err.Error()
	case err != nil:
		o.State, o.Err = StateFailed, err
		status.State, status.Error = StateFailed, err.Error()
	}
	if werr := writeJSON(filepath.Join(dir, FileStatus), status); werr != nil && o.Err == nil {
		o.State, o.Err = StateFailed, werr
	}
	return o
}

// compute writes the run's files and calls the study. The summary is
// written only after the study returned without error and the metrics are
// on disk; status done only after the summary.
func (s *Store) compute(ctx context.Context, st Study, r *Run, dir string, opt Options, beat func(), progress func(int, int)) (err error) {
	for _, f := range []string{FileSummary, FileStatus, FileMetrics, FileLog} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("experiment: clearing %s: %w", dir, err)
		}
	}
	if err := os.RemoveAll(filepath.Join(dir, DirPlots)); err != nil {
		return fmt.Errorf("experiment: clearing %s: %w", dir, err)
	}
	started := time.Now().UTC()
	if err := writeJSON(filepath.Join(dir, FileStatus), Status{State: StateRunning, Host: s.host(), PID: os.Getpid(), Started: started}); err != nil {
		return err
	}
	meta := Meta{ID: r.ID, Study: r.Study, Sweep: r.Sweep, File: r.File, Index: r.Index, Seed: r.Seed, Axes: r.Axes, Host: opt.Host, StudyVersion: r.Version}
	if err := writeJSON(filepath.Join(dir, FileMeta), meta); err != nil {
		return err
	}
	cfg, err := ConfigTOML(r)
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, FileConfig), cfg); err != nil {
		return err
	}
	lock, err := LockTOML(r)
	if err != nil {
		return err
	}
	if err := writeAtomic(filepath.Join(dir, FileLock), lock); err != nil {
		return err
	}
	mf, err := os.OpenFile(filepath.Join(dir, FileMetrics), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	defer mf.Close()
	lf, err := os.OpenFile(filepath.Join(dir, FileLog), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("experiment: %w", err)
	}
	defer lf.Close()

	plugins := map[string]Plugin{}
	for _, p := range r.Plugins {
		plugins[p.Slot] = p
	}
	env := &RunEnv{
		ID: r.ID, Study: r.Study, Seed: r.Seed, Settings: r.Settings, Plugins: plugins, Dir: dir,
		metrics: mf, log: lf, start: time.Now(),
	}
	env.progress = func(step, total int) { progress(step, total) }

	// Refresh the claim while the study works.
	hb := make(chan struct{})
	defer close(hb)
	go func() {
		t := time.NewTicker(s.ttl() / 4)
		defer t.Stop()
		for {
			select {
			case <-hb:
				return
			case <-t.C:
				beat()
			}
		}
	}()

	env.Logf("run %s: %s %s %s", r.ID, r.Study, r.Sweep, r.Label())
	if err := callStudy(ctx, st, env); err != nil {
		env.Logf("failed: %v", err)
		return err
	}
	if err := mf.Sync(); err != nil {
		return fmt.Errorf("experiment: metrics: %w", err)
	}
	env.mu.Lock()
	sum := env.summary
	env.mu.Unlock()
	if sum == nil {
		sum = map[string]any{}
	}
	env.Logf("done")
	return writeJSON(filepath.Join(dir, FileSummary), sum)
}

// callStudy runs the study, turning a panic into an error with its stack.
func callStudy(ctx context.Context, st Study, env *RunEnv) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("experiment: study %s panicked: %v\n%s", st.Name(), p, debug.Stack())
		}
	}()
	if err := st.Run(ctx, env); err != nil {
		return err
	}
	return ctx.Err()
}

// progress prints runs done/total, the steps of runs in flight and an ETA.
type progress struct {
	w      io.Writer
	live   bool
	total  int
	jobs   int
	mu     sync.Mutex
	done   int
	failed int
	spent  time.Duration
	timed  int
	steps  map[string]string // short id -> "step/total"
	last   map[string]time.Time
	stop   chan struct{}
	wg     sync.WaitGroup
}

func newProgress(w io.Writer, live bool, total, jobs int) *progress {
	p := &progress{w: w, live: live, total: total, jobs: jobs, steps: map[string]string{}, last: map[string]time.Time{}, stop: make(chan struct{})}
	if w != nil && live {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			t := time.NewTicker(250 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-p.stop:
					return
				case <-t.C:
					p.mu.Lock()
					p.redraw()
					p.mu.Unlock()
				}
			}
		}()
	}
	return p
}

func (p *progress) close() {
	close(p.stop)
	p.wg.Wait()
	if p.w != nil && p.live {
		p.mu.Lock()
		p.redraw()
		fmt.Fprintln(p.w)
		p.mu.Unlock()
	}
}

func (p *progress) eta() string {
	if p.timed == 0 {
		return "?"
	}
	per := p.spent / time.Duration(p.timed)
	left := per * time.Duration(p.total-p.done) / time.Duration(p.jobs)
	return left.Round(time.Second).String()
}

func (p *progress) redraw() {
	var b strings.Builder
	fmt.Fprintf(&b, "\r[%d/%d runs", p.done, p.total)
	if p.failed > 0 {
		fmt.Fprintf(&b, ", %d failed", p.failed)
	}
	b.WriteString("]")
	ids := make([]string, 0, len(p.steps))
	for id := range p.steps {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(&b, " %s:%s", id, p.steps[id])
	}
	fmt.Fprintf(&b, " ETA %s\x1b[K", p.eta())
	io.WriteString(p.w, b.String())
}

func (p *progress) start(r *Run) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.steps[r.Short()] = "start"
	if !p.live {
		fmt.Fprintf(p.w, "start %s %s %s\n", r.Short(), r.Sweep, r.Label())
	}
}

func (p *progress) step(r *Run, step, total int) {
	if p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	id := r.Short()
	p.steps[id] = fmt.Sprintf("%d/%d", step, total)
	if !p.live && time.Since(p.last[id]) >= 10*time.Second {
		p.last[id] = time.Now()
		fmt.Fprintf(p.w, "  %s step %d/%d\n", id, step, total)
	}
}

func (p *progress) finish(o Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	id := o.Run.Short()
	delete(p.steps, id)
	delete(p.last, id)
	if o.State == StateFailed {
		p.failed++
	}
	if o.State == StateDone || o.State == StateFailed {
		p.spent += o.Elapsed
		p.timed++
	}
	if p.w == nil {
		return
	}
	line := fmt.Sprintf("[%d/%d] %-9s %s %s", p.done, p.total, o.State, id, o.Run.Label())
	if o.Elapsed > 0 {
		line += fmt.Sprintf(" (%s)", o.Elapsed.Round(10*time.Millisecond))
	}
	if o.Err != nil {
		line += ": " + firstLine(o.Err.Error())
	}
	if p.live {
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", line)
		p.redraw()
		return
	}
	fmt.Fprintf(p.w, "%s ETA %s\n", line, p.eta())
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
