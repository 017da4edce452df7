package train

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Stepper runs one optimisation step. step counts from 1. It returns the
// step's metrics ("loss" is shown in the progress line). If it returns an
// error the run stops and no checkpoint is written for that step.
type Stepper interface {
	Step(ctx context.Context, step int) (Metrics, error)
}

// StepFunc adapts a function to Stepper.
type StepFunc func(ctx context.Context, step int) (Metrics, error)

// Step calls f.
func (f StepFunc) Step(ctx context.Context, step int) (Metrics, error) { return f(ctx, step) }

// Stateful is implemented by the model side to be checkpointed: State
// returns everything that the rest of training depends on (parameters,
// optimiser state, random streams, data position), and Restore puts it back.
type Stateful interface {
	State() ([]byte, error)
	Restore(state []byte) error
}

// Eval is an evaluation hook, run after every Every-th step and after the
// last one.
type Eval struct {
	Name  string
	Every int
	Run   func(ctx context.Context, step int) (Metrics, error)
}

// File names inside Config.Dir.
const (
	LogFile        = "metrics.jsonl"
	CheckpointFile = "checkpoint"
)

// Config describes a training run. The zero value of each optional field is
// its documented default.
type Config struct {
	Steps int // total steps, required (> 0)

	// Dir receives metrics.jsonl and the checkpoint. Empty: no files, no
	// resume. An existing checkpoint in Dir is resumed from.
	Dir string

	LogEvery        int // log train metrics every LogEvery steps; 0 means 1
	CheckpointEvery int // checkpoint every CheckpointEvery steps; 0: only at the end and on cancellation

	Evals       []Eval
	EvalAtStart bool // also run every evaluation before the first step (logged as step 0)

	Progress      io.Writer     // where progress goes; nil: nowhere
	ProgressMode  ProgressMode  // zero: ProgressAuto
	ProgressEvery time.Duration // plain-line period; zero: 10s

	// Clock supplies the time for timing fields and progress; nil: time.Now.
	Clock func() time.Time
}

// Result summarises a finished or stopped run.
type Result struct {
	Start int                // completed steps found in the checkpoint (0 for a fresh run)
	Done  int                // completed steps at return
	Last  Metrics            // the last step's metrics in this process (nil if none ran)
	Evals map[string]Metrics // each evaluation's last results in this process
}

func (c *Config) check(st Stateful) error {
	if c.Steps <= 0 {
		return fmt.Errorf("train: Steps is %d, want > 0", c.Steps)
	}
	if c.LogEvery < 0 || c.CheckpointEvery < 0 {
		return fmt.Errorf("train: LogEvery %d and CheckpointEvery %d must not be negative", c.LogEvery, c.CheckpointEvery)
	}
	seen := map[string]bool{}
	for i, e := range c.Evals {
		if e.Every <= 0 || e.Run == nil || e.Name == "" {
			return fmt.Errorf("train: Evals[%d] (%q): want a name, Every > 0 and a Run function", i, e.Name)
		}
		if seen[e.Name] {
			return fmt.Errorf("train: Evals[%d]: name %q used twice", i, e.Name)
		}
		seen[e.Name] = true
	}
	if c.CheckpointEvery > 0 && (st == nil || c.Dir == "") {
		return fmt.Errorf("train: CheckpointEvery %d needs a Dir and a Stateful", c.CheckpointEvery)
	}
	return nil
}

// Run trains for cfg.Steps steps, resuming from cfg.Dir's checkpoint if
// there is one (st may be nil when no checkpoint is wanted). On cancellation
// it checkpoints the completed steps and returns an error wrapping
// ctx.Err(); a finished run found in Dir returns at once.
func Run(ctx context.Context, cfg Config, s Stepper, st Stateful) (Result, error) {
	if err := cfg.check(st); err != nil {
		return Result{}, err
	}
	now := cfg.Clock
	if now == nil {
		now = time.Now
	}
	logEvery := max(cfg.LogEvery, 1)
	res := Result{Evals: map[string]Metrics{}}

	var lg *logFile
	var ck Checkpoint
	fresh := true // no checkpoint was found
	if cfg.Dir != "" {
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return res, fmt.Errorf("train: %w", err)
		}
		ckPath := filepath.Join(cfg.Dir, CheckpointFile)
		var offset int64
		var err error
		ck, err = ReadCheckpoint(ckPath)
		switch {
		case err == nil && st != nil:
			if ck.Step > cfg.Steps {
				return res, fmt.Errorf("train: checkpoint %s is at step %d, past Steps %d", ckPath, ck.Step, cfg.Steps)
			}
			if err := st.Restore(ck.State); err != nil {
				return res, fmt.Errorf("train: restoring %s at step %d: %w", ckPath, ck.Step, err)
			}
			res.Start, offset, fresh = ck.Step, ck.LogOffset, false
		case err == nil && st == nil:
			return res, fmt.Errorf("train: %s holds a checkpoint but no Stateful was given to restore it", ckPath)
		case !errors.Is(err, os.ErrNotExist):
			return res, err
		}
		if lg, err = openLog(filepath.Join(cfg.Dir, LogFile), offset); err != nil {
			return res, err
		}
		defer lg.close()
	}
	res.Done = res.Start
	if res.Start == cfg.Steps && !ck.EvalPending {
		return res, nil
	}

	start := now()
	prog := newProgress(cfg.Progress, cfg.ProgressMode, cfg.ProgressEvery, cfg.Steps, res.Start, start)
	defer prog.end()
	if res.Start > 0 {
		prog.note(fmt.Sprintf("resuming at step %d of %d from %s", res.Start+1, cfg.Steps, filepath.Join(cfg.Dir, CheckpointFile)))
	}

	// checkpoint saves the state after res.Done steps; pending marks a
	// stop during that step's evaluations, whose records are dropped.
	evalOffset := int64(-1) // log length before the current step's evals
	checkpoint := func(pending bool) error {
		if st == nil || cfg.Dir == "" {
			return nil
		}
		state, err := st.State()
		if err != nil {
			return fmt.Errorf("train: saving state at step %d: %w", res.Done, err)
		}
		off, err := lg.sync()
		if err != nil {
			return err
		}
		if pending {
			off = evalOffset
		}
		return WriteCheckpoint(filepath.Join(cfg.Dir, CheckpointFile),
			Checkpoint{Step: res.Done, LogOffset: off, EvalPending: pending, State: state})
	}
	stopped := func(err error, pending bool) (Result, error) {
		err = fmt.Errorf("train: stopped after step %d of %d: %w", res.Done, cfg.Steps, err)
		if cerr := checkpoint(pending); cerr != nil {
			return res, errors.Join(err, cerr)
		}
		return res, err
	}
	// evals runs the evaluations due after step i (all of them if all is
	// set); stop reports that Run must return err.
	evals := func(i int, all bool) (stop bool, err error) {
		evalOffset = lg.len()
		for _, e := range cfg.Evals {
			if i%e.Every != 0 && !all {
				continue
			}
			e0 := now()
			em, err := e.Run(ctx, i)
			if err != nil {
				if ctx.Err() != nil {
					_, err := stopped(ctx.Err(), true)
					return true, err
				}
				return true, fmt.Errorf("train: eval %q after step %d: %w", e.Name, i, err)
			}
			e1 := now()
			res.Evals[e.Name] = em
			rec := Record{Kind: "eval", Name: e.Name, Step: i, Metrics: em,
				Time: Metrics{"elapsed_s": e1.Sub(start).Seconds(), "eval_s": e1.Sub(e0).Seconds()}}
			if err := lg.write(rec); err != nil {
				return true, err
			}
			prog.note(fmt.Sprintf("eval %s after step %d: %s", e.Name, i, formatMetrics(em)))
		}
		return false, nil
	}

	if ck.EvalPending {
		if err := ctx.Err(); err != nil { // the checkpoint on disk still holds
			return res, fmt.Errorf("train: stopped after step %d of %d: %w", res.Done, cfg.Steps, err)
		}
		if stop, err := evals(res.Start, res.Start == cfg.Steps); stop {
			return res, err
		}
		if err := checkpoint(false); err != nil {
			return res, err
		}
	}
	if cfg.EvalAtStart && fresh {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("train: stopped before step 1: %w", err)
		}
		if stop, err := evals(0, true); stop {
			return res, err
		}
	}
	for i := res.Start + 1; i <= cfg.Steps; i++ {
		if err := ctx.Err(); err != nil {
			return stopped(err, false)
		}
		t0 := now()
		m, err := s.Step(ctx, i)
		if err != nil {
			return res, fmt.Errorf("train: step %d: %w", i, err)
		}
		t1 := now()
		res.Done, res.Last = i, m
		last := i == cfg.Steps
		if i%logEvery == 0 || last {
			rec := Record{Kind: "train", Step: i, Metrics: m,
				Time: Metrics{"elapsed_s": t1.Sub(start).Seconds(), "step_s": t1.Sub(t0).Seconds()}}
			if err := lg.write(rec); err != nil {
				return res, err
			}
		}
		prog.step(i, m, t1)
		if stop, err := evals(i, last); stop {
			return res, err
		}
		if last || (cfg.CheckpointEvery > 0 && i%cfg.CheckpointEvery == 0) {
			if err := checkpoint(false); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// logFile appends records to the metrics log and knows its length.
type logFile struct {
	f    *os.File
	path string
	size int64
	buf  []byte
}

// openLog opens the log for appending after truncating it to offset bytes
// (0 for a fresh run): lines written after the last checkpoint are dropped.
func openLog(path string, offset int64) (*logFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("train: %w", err)
	}
	if st.Size() < offset {
		f.Close()
		return nil, fmt.Errorf("train: %s has %d bytes, the checkpoint says it had %d: %w", path, st.Size(), offset, ErrCorrupt)
	}
	if err := f.Truncate(offset); err != nil {
		f.Close()
		return nil, fmt.Errorf("train: %w", err)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("train: %w", err)
	}
	return &logFile{f: f, path: path, size: offset}, nil
}

func (l *logFile) write(r Record) error {
	if l == nil {
		return nil
	}
	l.buf = r.AppendJSON(l.buf[:0])
	n, err := l.f.Write(l.buf)
	l.size += int64(n)
	if err != nil {
		return fmt.Errorf("train: writing %s: %w", l.path, err)
	}
	return nil
}

// sync flushes the log to disk and returns its length.
func (l *logFile) sync() (int64, error) {
	if l == nil {
		return 0, nil
	}
	if err := l.f.Sync(); err != nil {
		return 0, fmt.Errorf("train: syncing %s: %w", l.path, err)
	}
	return l.size, nil
}

// len returns the log's length in bytes.
func (l *logFile) len() int64 {
	if l == nil {
		return 0
	}
	return l.size
}

func (l *logFile) close() {
	if l != nil {
		l.f.Close()
	}
}
