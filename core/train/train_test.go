package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// toy is a small seeded model: linear regression on a fixed data set,
// trained by SGD on mini-batches drawn from its own random stream, so a
// resume that lost the stream's state or the weights would change the log.
type toy struct {
	w   [4]float64
	pcg *rand.PCG
	rng *rand.Rand
	xs  [][4]float64
	ys  []float64
	// hooks for tests
	onStep func(step int)
}

func newToy(seed uint64) *toy {
	data := rand.New(rand.NewPCG(99, 99)) // the data set is the same for every seed
	t := &toy{pcg: rand.NewPCG(seed, 1)}
	t.rng = rand.New(t.pcg)
	for i := 0; i < 64; i++ {
		var x [4]float64
		y := 0.5
		for j := range x {
			x[j] = data.NormFloat64()
			y += float64(j+1) * x[j]
		}
		t.xs, t.ys = append(t.xs, x), append(t.ys, y+0.1*data.NormFloat64())
	}
	return t
}

func (t *toy) loss(idx []int) (float64, [4]float64) {
	var g [4]float64
	l := 0.0
	for _, i := range idx {
		r := -t.ys[i]
		for j := range t.w {
			r += t.w[j] * t.xs[i][j]
		}
		l += r * r / float64(len(idx))
		for j := range g {
			g[j] += 2 * r * t.xs[i][j] / float64(len(idx))
		}
	}
	return l, g
}

func (t *toy) Step(ctx context.Context, step int) (Metrics, error) {
	idx := make([]int, 8)
	for k := range idx {
		idx[k] = t.rng.IntN(len(t.xs))
	}
	l, g := t.loss(idx)
	for j := range t.w {
		t.w[j] -= 0.05 * g[j]
	}
	if t.onStep != nil {
		t.onStep(step)
	}
	return Metrics{"loss": l, "w0": t.w[0]}, nil
}

func (t *toy) eval(ctx context.Context, step int) (Metrics, error) {
	all := make([]int, len(t.xs))
	for i := range all {
		all[i] = i
	}
	l, _ := t.loss(all)
	return Metrics{"loss": l}, nil
}

func (t *toy) State() ([]byte, error) {
	b, err := t.pcg.MarshalBinary()
	if err != nil {
		return nil, err
	}
	for _, w := range t.w {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(w))
	}
	return b, nil
}

func (t *toy) Restore(s []byte) error {
	if len(s) < 32 {
		return fmt.Errorf("toy state: %d bytes", len(s))
	}
	n := len(s) - 32
	if err := t.pcg.UnmarshalBinary(s[:n]); err != nil {
		return err
	}
	for j := range t.w {
		t.w[j] = math.Float64frombits(binary.LittleEndian.Uint64(s[n+8*j:]))
	}
	return nil
}

func cfgFor(dir string, t *toy) Config {
	return Config{Steps: 30, Dir: dir, CheckpointEvery: 7,
		Evals: []Eval{{Name: "full", Every: 5, Run: t.eval}}}
}

var timeField = regexp.MustCompile(`,"time":\{[^}]*\}`)

// logWithoutTime reads dir's metrics log and removes the timing objects.
func logWithoutTime(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"time":{`)) {
		t.Fatal("log has no timing fields")
	}
	return timeField.ReplaceAllString(string(b), "")
}

// reference runs an uninterrupted 30-step run and returns its log and weights.
func reference(t *testing.T) (string, [4]float64) {
	t.Helper()
	dir := t.TempDir()
	m := newToy(1)
	if _, err := Run(context.Background(), cfgFor(dir, m), m, m); err != nil {
		t.Fatal(err)
	}
	return logWithoutTime(t, dir), m.w
}

func TestSameSeedSameLog(t *testing.T) {
	a, wa := reference(t)
	b, wb := reference(t)
	if a != b || wa != wb {
		t.Fatal("two runs with the same seed differ")
	}
	if n := strings.Count(a, "\n"); n != 30+6 {
		t.Fatalf("log has %d lines, want 30 train + 6 eval", n)
	}
	dir := t.TempDir()
	m := newToy(2)
	if _, err := Run(context.Background(), cfgFor(dir, m), m, m); err != nil {
		t.Fatal(err)
	}
	if logWithoutTime(t, dir) == a {
		t.Fatal("a different seed gives the same log: the seed is not used")
	}
}

func TestCancelThenResume(t *testing.T) {
	want, wantW := reference(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	m := newToy(1)
	m.onStep = func(step int) {
		if step == 13 {
			cancel()
		}
	}
	res, err := Run(ctx, cfgFor(dir, m), m, m)
	if !errors.Is(err, context.Canceled) || res.Done != 13 || !strings.Contains(err.Error(), "stopped after step 13 of 30") {
		t.Fatalf("cancelled run: res %+v, err %v", res, err)
	}
	ck, err := ReadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil || ck.Step != 13 || ck.EvalPending {
		t.Fatalf("checkpoint %+v, %v; want step 13", ck, err)
	}
	// A fresh process: other seed, other weights; Restore must replace both.
	m2 := newToy(7)
	m2.w = [4]float64{9, 9, 9, 9}
	res, err = Run(context.Background(), cfgFor(dir, m2), m2, m2)
	if err != nil || res.Start != 13 || res.Done != 30 {
		t.Fatalf("resumed run: res %+v, err %v", res, err)
	}
	if got := logWithoutTime(t, dir); got != want || m2.w != wantW {
		t.Fatalf("resumed log differs from the uninterrupted one:\n%s\nwant:\n%s", got, want)
	}
}

func TestCancelDuringEval(t *testing.T) {
	want, wantW := reference(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	m := newToy(1)
	cfg := cfgFor(dir, m)
	cfg.Evals = append(cfg.Evals, Eval{Name: "zcancel", Every: 10, Run: func(ctx context.Context, step int) (Metrics, error) {
		cancel()
		return nil, ctx.Err()
	}})
	_, err := Run(ctx, cfg, m, m)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	ck, err := ReadCheckpoint(filepath.Join(dir, CheckpointFile))
	if err != nil || ck.Step != 10 || !ck.EvalPending {
		t.Fatalf("checkpoint %+v, %v; want step 10 with evaluations pending", ck, err)
	}
	m2 := newToy(3)
	res, err := Run(context.Background(), cfgFor(dir, m2), m2, m2)
	if err != nil || res.Done != 30 {
		t.Fatalf("resume: %+v %v", res, err)
	}
	if got := logWithoutTime(t, dir); got != want || m2.w != wantW {
		t.Fatalf("resumed log differs:\n%s\nwant:\n%s", got, want)
	}
}

// TestCrashThenResume kills a child process in the middle of step 17 (no
// deferred code runs, as with SIGKILL); the last checkpoint is at step 14
// and the log holds lines up to step 16. Resuming must give the
// uninterrupted run's log.
func TestCrashThenResume(t *testing.T) {
	if dir := os.Getenv("ABLATE_TRAIN_CRASH_DIR"); dir != "" {
		m := newToy(1)
		m.onStep = func(step int) {
			if step == 17 {
				os.Exit(3)
			}
		}
		Run(context.Background(), cfgFor(dir, m), m, m)
		os.Exit(0) // not reached when the crash happens
	}
	want, wantW := reference(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashThenResume$")
	cmd.Env = append(os.Environ(), "ABLATE_TRAIN_CRASH_DIR="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child: %v\n%s", err, out)
	}
	recs, err := ReadLog(filepath.Join(dir, LogFile))
	if err != nil || recs[len(recs)-1].Step != 16 {
		t.Fatalf("child's log: %v, last %+v", err, recs[len(recs)-1])
	}
	if ck, err := ReadCheckpoint(filepath.Join(dir, CheckpointFile)); err != nil || ck.Step != 14 {
		t.Fatalf("child's checkpoint: %+v %v", ck, err)
	}
	m := newToy(5)
	if _, err := Run(context.Background(), cfgFor(dir, m), m, m); err != nil {
		t.Fatal(err)
	}
	if got := logWithoutTime(t, dir); got != want || m.w != wantW {
		t.Fatalf("resumed log differs:\n%s\nwant:\n%s", got, want)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Fatalf("run dir holds %d entries, want the log and the checkpoint only", len(ents))
	}
}

func TestFinishedRunIsNotRepeated(t *testing.T) {
	dir := t.TempDir()
	m := newToy(1)
	if _, err := Run(context.Background(), cfgFor(dir, m), m, m); err != nil {
		t.Fatal(err)
	}
	before := logWithoutTime(t, dir)
	m2 := newToy(1)
	m2.onStep = func(int) { t.Fatal("a finished run ran a step") }
	res, err := Run(context.Background(), cfgFor(dir, m2), m2, m2)
	if err != nil || res.Start != 30 || res.Done != 30 || logWithoutTime(t, dir) != before {
		t.Fatalf("res %+v err %v", res, err)
	}
	cfg := cfgFor(dir, m2)
	cfg.Steps = 20
	if _, err := Run(context.Background(), cfg, m2, m2); err == nil || !strings.Contains(err.Error(), "past Steps 20") {
		t.Fatalf("shorter Steps: err = %v", err)
	}
}

func TestCorruptCheckpoint(t *testing.T) {
	dir := t.TempDir()
	m := newToy(1)
	if _, err := Run(context.Background(), cfgFor(dir, m), m, m); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, CheckpointFile)
	raw, _ := os.ReadFile(p)
	raw[len(ckptMagic)+40] ^= 1
	os.WriteFile(p, raw, 0o644)
	_, err := Run(context.Background(), cfgFor(dir, m), m, m)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("err = %v", err)
	}
	os.WriteFile(p, []byte("hello"), 0o644)
	if _, err := ReadCheckpoint(p); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short file: err = %v", err)
	}
	// A log shorter than the checkpoint says is an error, not silent loss.
	state, _ := m.State()
	WriteCheckpoint(p, Checkpoint{Step: 3, LogOffset: 1 << 20, State: state})
	if _, err := Run(context.Background(), cfgFor(dir, m), m, m); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short log: err = %v", err)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "ck")
	in := Checkpoint{Step: 123456, LogOffset: 1 << 40, EvalPending: true, State: []byte("state\x00bytes")}
	if err := WriteCheckpoint(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := ReadCheckpoint(p)
	if err != nil || out.Step != in.Step || out.LogOffset != in.LogOffset || !out.EvalPending || string(out.State) != string(in.State) {
		t.Fatalf("got %+v, %v", out, err)
	}
	if _, err := ReadCheckpoint(p + "x"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}

func TestRecordJSON(t *testing.T) {
	r := Record{Kind: "eval", Name: "test", Step: 7,
		Metrics: Metrics{"z": 1, "acc": 0.5, "nan": math.NaN(), "big": math.Inf(1), "tiny": 1e-300},
		Time:    Metrics{"eval_s": 0.25}}
	got := string(r.AppendJSON(nil))
	want := `{"kind":"eval","name":"test","step":7,"metrics":{"acc":0.5,"big":"+Inf","nan":"NaN","tiny":1e-300,"z":1},"time":{"eval_s":0.25}}` + "\n"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	p := filepath.Join(t.TempDir(), "log")
	os.WriteFile(p, []byte(got), 0o644)
	recs, err := ReadLog(p)
	if err != nil || len(recs) != 1 {
		t.Fatal(err)
	}
	b := recs[0]
	if b.Kind != "eval" || b.Name != "test" || b.Step != 7 || !math.IsNaN(b.Metrics["nan"]) ||
		!math.IsInf(b.Metrics["big"], 1) || b.Metrics["tiny"] != 1e-300 || b.Time["eval_s"] != 0.25 {
		t.Fatalf("read back %+v", b)
	}
}

// fakeClock advances only when told to.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestProgress(t *testing.T) {
	for _, mode := range []ProgressMode{ProgressPlain, ProgressRedraw} {
		var out bytes.Buffer
		clk := &fakeClock{t: time.Unix(0, 0)}
		step := StepFunc(func(ctx context.Context, step int) (Metrics, error) {
			clk.t = clk.t.Add(time.Second) // each step takes one second
			return Metrics{"loss": 1 / float64(step)}, nil
		})
		cfg := Config{Steps: 10, Progress: &out, ProgressMode: mode, ProgressEvery: 3 * time.Second, Clock: clk.now,
			Evals: []Eval{{Name: "v", Every: 5, Run: func(context.Context, int) (Metrics, error) { return Metrics{"acc": 0.75}, nil }}}}
		if _, err := Run(context.Background(), cfg, step, nil); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		// After 5 of 10 steps at one step per second, 5 s remain.
		if !strings.Contains(s, "step 5/10  loss 0.2  1 steps/s  ETA 5s") && mode == ProgressRedraw {
			t.Errorf("mode %d: no mid-run line in %q", mode, s)
		}
		if !regexp.MustCompile(`step 10/10  loss 0.1  1 steps/s  ETA 0s(\x1b\[K)?\n`).MatchString(s) || !strings.Contains(s, "eval v after step 5: acc 0.75\n") {
			t.Errorf("mode %d: output %q", mode, s)
		}
		switch mode {
		case ProgressPlain:
			if strings.Contains(s, "\r") || len(regexp.MustCompile(`(?m)^step `).FindAllString(s, -1)) != 4 { // steps 3, 6, 9, 10
				t.Errorf("plain output %q", s)
			}
		case ProgressRedraw:
			if strings.Count(s, "\r") < 10 || !strings.Contains(s, "\x1b[K") {
				t.Errorf("redraw output %q", s)
			}
		}
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
	if f, err := os.CreateTemp(t.TempDir(), "x"); err == nil && IsTerminal(f) {
		t.Error("a regular file is not a terminal")
	}
}

func TestConfigErrors(t *testing.T) {
	m := newToy(1)
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Steps is 0"},
		{Config{Steps: 1, Evals: []Eval{{Name: "a", Every: 0, Run: m.eval}}}, "Evals[0]"},
		{Config{Steps: 1, Evals: []Eval{{Name: "a", Every: 1, Run: m.eval}, {Name: "a", Every: 1, Run: m.eval}}}, `"a" used twice`},
		{Config{Steps: 1, CheckpointEvery: 2}, "needs a Dir"},
	} {
		if _, err := Run(context.Background(), c.cfg, m, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestStepErrorStops(t *testing.T) {
	boom := errors.New("boom")
	res, err := Run(context.Background(), Config{Steps: 5}, StepFunc(func(ctx context.Context, step int) (Metrics, error) {
		if step == 3 {
			return nil, boom
		}
		return Metrics{}, nil
	}), nil)
	if !errors.Is(err, boom) || res.Done != 2 || err.Error() != "train: step 3: boom" {
		t.Fatalf("res %+v err %v", res, err)
	}
}

func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	for _, s := range []string{"first", "second"} {
		if err := WriteFileAtomic(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != s {
			t.Fatalf("got %q, want %q", b, s)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("temporary files left: %v", ents)
	}
	if err := WriteFileAtomic(filepath.Join(dir, "no", "such"), nil, 0o600); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

func TestEvalAtStart(t *testing.T) {
	withStart := func(dir string, m *toy) Config {
		c := cfgFor(dir, m)
		c.EvalAtStart = true
		return c
	}
	refDir := t.TempDir()
	ref := newToy(1)
	if _, err := Run(context.Background(), withStart(refDir, ref), ref, ref); err != nil {
		t.Fatal(err)
	}
	want := logWithoutTime(t, refDir)
	if !strings.HasPrefix(want, `{"kind":"eval","name":"full","step":0,`) || strings.Count(want, `"kind":"eval"`) != 7 {
		t.Fatalf("log does not start with the step-0 evaluation:\n%s", want)
	}
	// Stop inside the step-0 evaluation, then resume: the same log.
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	m := newToy(1)
	c := withStart(dir, m)
	c.Evals = []Eval{{Name: "full", Every: 5, Run: func(ctx context.Context, step int) (Metrics, error) {
		cancel()
		return nil, ctx.Err()
	}}}
	if _, err := Run(ctx, c, m, m); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	m2 := newToy(4)
	if _, err := Run(context.Background(), withStart(dir, m2), m2, m2); err != nil {
		t.Fatal(err)
	}
	if got := logWithoutTime(t, dir); got != want {
		t.Fatalf("resumed log differs:\n%s\nwant:\n%s", got, want)
	}
}

func TestPendingEvalSurvivesCancelledResume(t *testing.T) {
	dir := t.TempDir()
	m := newToy(1)
	p := filepath.Join(dir, CheckpointFile)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	state, _ := m.State()
	os.WriteFile(filepath.Join(dir, LogFile), nil, 0o644)
	if err := WriteCheckpoint(p, Checkpoint{Step: 5, EvalPending: true, State: state}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, cfgFor(dir, m), m, m); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if after, _ := os.ReadFile(p); !bytes.Equal(before, after) {
		t.Fatal("a run cancelled before doing anything rewrote the checkpoint")
	}
}
