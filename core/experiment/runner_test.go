package experiment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain doubles as a child process running a sweep, for the tests that
// kill a sweep or run several at once on one root.
func TestMain(m *testing.M) {
	if file := os.Getenv("ABLATE_EXPERIMENT_CHILD"); file != "" {
		os.Exit(child(file))
	}
	os.Exit(m.Run())
}

func child(file string) int {
	env := testEnv(fatalf{}, os.Getenv("ABLATE_EXEC_LOG"))
	p, err := Load(context.Background(), file, nil, env)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	opt := Options{Jobs: 1}
	if s := os.Getenv("ABLATE_SHARD"); s != "" {
		opt.Shard, opt.Shards, err = ParseShard(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	st := &Store{Root: os.Getenv("ABLATE_ROOT")}
	if _, err := st.Execute(context.Background(), p, opt); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type fatalf struct{}

func (fatalf) Fatal(a ...any) { fmt.Fprintln(os.Stderr, a...); os.Exit(1) }

func writeExp(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "exp.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func plan(t *testing.T, body string, execLog string, overrides ...string) *Plan {
	t.Helper()
	p, err := Load(context.Background(), writeExp(t, body), overrides, testEnv(t, execLog))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// execCounts reads the execution log: run ID -> times computed.
func execCounts(t *testing.T, path string) map[string]int {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return map[string]int{}
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, l := range strings.Fields(string(b)) {
		out[l]++
	}
	return out
}

const sweep4 = `study = "toy"
seeds = [1, 2]
[train]
steps = 4
[sweep.grid]
"model.hidden" = [8, 32]
`

func ids(p *Plan) []string {
	var out []string
	for _, r := range p.Runs {
		out = append(out, r.ID)
	}
	return out
}

func TestIdentity(t *testing.T) {
	base := plan(t, "study = \"toy\"\nseeds = [1]\n[model]\nhidden = 32\n", "")
	id := base.Runs[0].ID
	same := map[string]*Plan{
		"reordered, default spelled out": plan(t, "seeds = [1]\nstudy = \"toy\"\n[train]\nsteps = 5\n[model]\nact = \"relu\"\nhidden = 32\n", ""),
		"other name and description":     plan(t, "study = \"toy\"\nname = \"x\"\ndescription = \"d\"\nseeds = [1]\n[model]\nhidden = 32\n", ""),
		"plugin spelled differently":     plan(t, "study = \"toy\"\nseeds = [1]\n[model]\nhidden = 32\n[plugins.estimator]\nuse = \"gauss\"\ntrust = \"guarded\"\n", ""),
		"from an override":               plan(t, "study = \"toy\"\nseeds = [1]\n", "", "model.hidden=32"),
		"from a sweep":                   plan(t, "study = \"toy\"\nseeds = [1]\n[sweep.grid]\n\"model.hidden\" = [32]\n", ""),
	}
	for name, p := range same {
		if p.Runs[0].ID != id {
			t.Errorf("%s: id %s, want %s", name, p.Runs[0].ID[:12], id[:12])
		}
	}
	differ := map[string]*Plan{
		"hidden":        plan(t, "study = \"toy\"\nseeds = [1]\n[model]\nhidden = 33\n", ""),
		"seed":          plan(t, "study = \"toy\"\nseeds = [2]\n[model]\nhidden = 32\n", ""),
		"float setting": plan(t, "study = \"toy\"\nseeds = [1]\n[model]\nhidden = 32\n[train]\nlr = 0.1000001\n", ""),
		"plugin":        plan(t, "study = \"toy\"\nseeds = [1]\n[model]\nhidden = 32\n[plugins.estimator]\nuse = \"kde\"\n", ""),
		"plugin params": plan(t, "study = \"toy\"\nseeds = [1]\n[model]\nhidden = 32\n[plugins.estimator]\nuse = \"gauss\"\nparams = {k = 1}\n", ""),
	}
	seen := map[string]string{id: "base"}
	for name, p := range differ {
		if prev, dup := seen[p.Runs[0].ID]; dup {
			t.Errorf("%s: same id as %s", name, prev)
		}
		seen[p.Runs[0].ID] = name
	}
	r := base.Runs[0]
	if Identity(&r, "other-host") == id {
		t.Error("host version does not change the id")
	}
	r.Data = map[string]string{"train": "sha256:00"}
	withData := Identity(&r, "test-host")
	r.Data = map[string]string{"train": "sha256:01"}
	if withData == id || Identity(&r, "test-host") == withData {
		t.Error("data digests do not change the id")
	}
	// The same file planned twice gives the same ids in the same order.
	a, b := plan(t, sweep4, ""), plan(t, sweep4, "")
	if fmt.Sprint(ids(a)) != fmt.Sprint(ids(b)) {
		t.Error("the same sweep planned twice gives different ids")
	}
	if n := len(a.Runs); n != 4 {
		t.Fatalf("%d runs, want 4", n)
	}
	uniq := map[string]bool{}
	for _, id := range ids(a) {
		uniq[id] = true
	}
	if len(uniq) != 4 {
		t.Errorf("%d distinct ids among 4 runs", len(uniq))
	}
}

func TestSweepExpansion(t *testing.T) {
	p := plan(t, `study = "toy"
seeds = [1, 2, 3]
[sweep.grid]
"model.act" = ["relu", "tanh"]
[[sweep.zip]]
"train.lr" = [0.1, 0.2]
"train.steps" = [3, 4]
[[sweep.zip]]
"model.hidden" = [8, 16, 24]
`, "")
	// 2 (act) x 2 (zip 1) x 3 (zip 2) x 3 seeds, first axis slowest.
	if len(p.Runs) != 36 {
		t.Fatalf("%d runs, want 36", len(p.Runs))
	}
	seen := map[string]bool{}
	for i, r := range p.Runs {
		s := r.Settings.(*toySettings)
		if r.Index != i {
			t.Errorf("run %d has index %d", i, r.Index)
		}
		wantAct := []string{"relu", "tanh"}[i/18]
		zip1 := (i / 9) % 2
		wantHidden := []int{8, 16, 24}[(i/3)%3]
		if s.Model.Act != wantAct || s.Train.LR != []float64{0.1, 0.2}[zip1] || s.Train.Steps != []int{3, 4}[zip1] ||
			s.Model.Hidden != wantHidden || r.Seed != int64(i%3+1) {
			t.Errorf("run %d: %+v seed %d", i, *s, r.Seed)
		}
		seen[r.Label()] = true
	}
	if len(seen) != 36 {
		t.Errorf("%d distinct labels", len(seen))
	}
}

func TestExecuteSkipsFinishedAndForces(t *testing.T) {
	log := filepath.Join(t.TempDir(), "exec")
	p := plan(t, sweep4, log)
	st := &Store{Root: t.TempDir()}
	var out bytes.Buffer
	res, err := st.Execute(context.Background(), p, Options{Jobs: 2, Progress: &out})
	if err != nil || res.Ran != 4 {
		t.Fatalf("first pass: %+v, %v", res, err)
	}
	if !strings.Contains(out.String(), "[4/4]") {
		t.Errorf("progress lacks [4/4]:\n%s", out.String())
	}
	res, err = st.Execute(context.Background(), p, Options{Jobs: 2})
	if err != nil || res.Skipped != 4 || res.Ran != 0 {
		t.Fatalf("second pass: %+v, %v", res, err)
	}
	for id, n := range execCounts(t, log) {
		if n != 1 {
			t.Errorf("run %s computed %d times", id[:12], n)
		}
	}
	res, err = st.Execute(context.Background(), p, Options{Force: true})
	if err != nil || res.Ran != 4 {
		t.Fatalf("forced pass: %+v, %v", res, err)
	}
	recs, err := st.List()
	if err != nil || len(recs) != 4 {
		t.Fatalf("list: %d records, %v", len(recs), err)
	}
	for _, r := range recs {
		if r.State != StateDone || r.Summary["loss"] == nil {
			t.Errorf("%s: state %s summary %v", r.Meta.ID[:12], r.State, r.Summary)
		}
		for _, f := range []string{FileConfig, FileLock, FileMetrics, FileLog, FileMeta} {
			if _, err := os.Stat(filepath.Join(r.Dir, f)); err != nil {
				t.Errorf("%s: %v", r.Meta.ID[:12], err)
			}
		}
		// The written config is itself an experiment giving the same run.
		again, err := Load(context.Background(), filepath.Join(r.Dir, FileConfig), nil, testEnv(t, ""))
		if err != nil || len(again.Runs) != 1 || again.Runs[0].ID != r.Meta.ID {
			t.Errorf("%s: config.toml replans to %v, %v", r.Meta.ID[:12], again, err)
		}
	}
}

func TestFailingRunIsRecorded(t *testing.T) {
	p := plan(t, `study = "toy"
[sweep.grid]
"train.fail" = [false, true]
"model.hidden" = [4, 8]
`, "")
	st := &Store{Root: t.TempDir()}
	res, err := st.Execute(context.Background(), p, Options{})
	if err == nil || res.Failed != 2 || res.Ran != 2 {
		t.Fatalf("%+v, %v", res, err)
	}
	failed := 0
	recs, _ := st.List()
	for _, r := range recs {
		if r.State == StateFailed {
			failed++
			if !strings.Contains(r.Status.Error, "asked to fail") {
				t.Errorf("error not recorded: %q", r.Status.Error)
			}
			if _, err := os.Stat(filepath.Join(r.Dir, FileSummary)); err == nil {
				t.Error("a failed run has a summary")
			}
		}
	}
	if failed != 2 {
		t.Errorf("%d failed records", failed)
	}
	// Fail fast: with one worker, nothing starts after the first failure.
	st2 := &Store{Root: t.TempDir()}
	res, err = st2.Execute(context.Background(), p, Options{FailFast: true})
	if err == nil || res.Failed != 1 || res.Ran != 2 || res.Cancelled != 1 {
		t.Fatalf("fail fast: %+v, %v", res, err)
	}
}

func TestSameRunTwiceBitIdentical(t *testing.T) {
	p := plan(t, sweep4, "")
	a, b := &Store{Root: t.TempDir()}, &Store{Root: t.TempDir()}
	if _, err := a.Execute(context.Background(), p, Options{Jobs: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Execute(context.Background(), p, Options{Jobs: 1}); err != nil {
		t.Fatal(err)
	}
	for _, r := range p.Runs {
		for _, f := range []string{FileMetrics, FileSummary, FileConfig, FileLock} {
			x, err1 := os.ReadFile(filepath.Join(a.Dir(&r), f))
			y, err2 := os.ReadFile(filepath.Join(b.Dir(&r), f))
			if err1 != nil || err2 != nil || !bytes.Equal(x, y) || len(x) == 0 {
				t.Errorf("%s %s differs between two runs (%v %v)", r.Short(), f, err1, err2)
			}
		}
	}
	// and different seeds give different metrics
	m0, _ := os.ReadFile(filepath.Join(a.Dir(&p.Runs[0]), FileMetrics))
	m1, _ := os.ReadFile(filepath.Join(a.Dir(&p.Runs[1]), FileMetrics))
	if bytes.Equal(m0, m1) {
		t.Error("seeds 1 and 2 wrote the same metrics")
	}
}

func TestStaleClaims(t *testing.T) {
	p := plan(t, "study = \"toy\"\n", "")
	r := &p.Runs[0]
	st := &Store{Root: t.TempDir(), Hostname: "here", ClaimTTL: time.Hour}
	dir := st.Dir(r)
	put := func(c Claim, age time.Duration) {
		os.MkdirAll(dir, 0o755)
		b, _ := json.Marshal(c)
		os.WriteFile(filepath.Join(dir, FileClaim), b, 0o644)
		old := time.Now().Add(-age)
		os.Chtimes(filepath.Join(dir, FileClaim), old, old)
	}
	// A live process on this host (ourselves, pid-wise) holds it.
	put(Claim{Host: "here", PID: os.Getpid()}, 0)
	if res, _ := st.Execute(context.Background(), p, Options{}); res.Busy != 1 {
		t.Fatalf("live claim: %+v", res)
	}
	// Another host's fresh claim is respected.
	put(Claim{Host: "elsewhere", PID: 1}, time.Minute)
	if res, _ := st.Execute(context.Background(), p, Options{}); res.Busy != 1 {
		t.Fatalf("other host's claim: %+v", res)
	}
	// ... until its heartbeat is older than the TTL.
	put(Claim{Host: "elsewhere", PID: 1}, 2*time.Hour)
	if res, err := st.Execute(context.Background(), p, Options{}); err != nil || res.Ran != 1 {
		t.Fatalf("expired claim: %+v %v", res, err)
	}
	// A dead pid on this host is stale at once.
	put(Claim{Host: "here", PID: deadPID(t)}, 0)
	if res, err := st.Execute(context.Background(), p, Options{Force: true}); err != nil || res.Ran != 1 {
		t.Fatalf("dead pid: %+v %v", res, err)
	}
	if _, err := os.Stat(filepath.Join(dir, FileClaim)); !os.IsNotExist(err) {
		t.Error("claim left behind after the run")
	}
	// An empty claim is being written: left alone while fresh...
	empty := func(age time.Duration) {
		os.WriteFile(filepath.Join(dir, FileClaim), nil, 0o644)
		old := time.Now().Add(-age)
		os.Chtimes(filepath.Join(dir, FileClaim), old, old)
	}
	empty(0)
	if res, _ := st.Execute(context.Background(), p, Options{Force: true}); res.Busy != 1 {
		t.Fatalf("fresh empty claim: %+v", res)
	}
	// ... and taken over once old (its writer died before writing it).
	empty(time.Minute)
	if res, err := st.Execute(context.Background(), p, Options{Force: true}); err != nil || res.Ran != 1 {
		t.Fatalf("old empty claim: %+v %v", res, err)
	}
}

// deadPID returns the pid of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	return c.Process.Pid
}

func childCmd(t *testing.T, file, root, log, shard string) *exec.Cmd {
	c := exec.Command(os.Args[0], "-test.run=^$")
	c.Env = append(os.Environ(), "ABLATE_EXPERIMENT_CHILD="+file, "ABLATE_ROOT="+root, "ABLATE_EXEC_LOG="+log, "ABLATE_SHARD="+shard)
	c.Stderr = os.Stderr
	return c
}

// TestKillAndResume kills a sweep with SIGKILL in the middle of a run, then
// runs it again: finished runs are not recomputed, the killed one and the
// rest are, and nothing is left half-written.
func TestKillAndResume(t *testing.T) {
	const n = 6
	file := writeExp(t, `study = "toy"
seeds = [1, 2, 3]
[train]
steps = 40
sleep = "20ms"
[sweep.grid]
"model.hidden" = [8, 16]
`)
	// Each run takes 0.8 s, so the kill below lands in the middle of the
	// third run even if this process is descheduled for a while.
	root, log := t.TempDir(), filepath.Join(t.TempDir(), "exec")
	c := childCmd(t, file, root, log, "")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	st := &Store{Root: root}
	p, err := Load(context.Background(), file, nil, testEnv(t, log))
	if err != nil {
		t.Fatal(err)
	}
	// Wait until two runs are done and a third has begun writing metrics.
	deadline := time.Now().Add(60 * time.Second)
	for {
		doneRuns, started := 0, false
		for i := range p.Runs {
			switch st.State(&p.Runs[i]) {
			case StateDone:
				doneRuns++
			case StateRunning:
				b, _ := os.ReadFile(filepath.Join(st.Dir(&p.Runs[i]), FileMetrics))
				started = bytes.Count(b, []byte("\n")) >= 2
			}
		}
		if doneRuns >= 2 && started {
			break
		}
		if time.Now().After(deadline) {
			c.Process.Kill()
			t.Fatal("the child sweep made no progress")
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.Process.Signal(syscall.SIGKILL)
	c.Wait()

	before := map[string][]byte{}
	interrupted := 0
	for i := range p.Runs {
		r := &p.Runs[i]
		switch st.State(r) {
		case StateDone:
			before[r.ID], _ = os.ReadFile(filepath.Join(st.Dir(r), FileSummary))
		case StateInterrupted:
			interrupted++
			if _, err := os.Stat(filepath.Join(st.Dir(r), FileSummary)); err == nil {
				t.Errorf("interrupted run %s has a summary", r.Short())
			}
		}
	}
	if interrupted != 1 || len(before) < 2 || len(before) >= n {
		t.Fatalf("after kill: %d done, %d interrupted", len(before), interrupted)
	}
	firstPass := execCounts(t, log)

	res, err := st.Execute(context.Background(), p, Options{Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != len(before) || res.Ran != n-len(before) {
		t.Errorf("resume: %+v with %d done before", res, len(before))
	}
	counts := execCounts(t, log)
	for i := range p.Runs {
		r := &p.Runs[i]
		if st.State(r) != StateDone {
			t.Errorf("%s not done after resume", r.Short())
		}
		want := 1
		if firstPass[r.ID] == 1 && before[r.ID] == nil {
			want = 2 // the killed run: started once, completed once
		}
		if counts[r.ID] != want {
			t.Errorf("%s computed %d times, want %d", r.Short(), counts[r.ID], want)
		}
		if b, ok := before[r.ID]; ok {
			after, _ := os.ReadFile(filepath.Join(st.Dir(r), FileSummary))
			if !bytes.Equal(b, after) {
				t.Errorf("%s: finished summary rewritten", r.Short())
			}
		}
		if _, err := Metrics(st.Dir(r)); err != nil {
			t.Errorf("%s: %v", r.Short(), err)
		}
	}
	recs, err := st.List()
	if err != nil || len(recs) != n {
		t.Errorf("store holds %d runs (%v), want %d", len(recs), err, n)
	}
	leftovers, _ := filepath.Glob(filepath.Join(root, "*", "*", ".*tmp"))
	claims, _ := filepath.Glob(filepath.Join(root, "*", "*", FileClaim))
	if len(leftovers)+len(claims) > 0 {
		t.Errorf("left behind: %v %v", leftovers, claims)
	}
}

// TestShardsShareOneRoot runs N shard processes at once, then N processes
// each running the whole sweep at once, on one root: together they compute
// every run exactly once.
func TestShardsShareOneRoot(t *testing.T) {
	file := writeExp(t, `study = "toy"
seeds = [1, 2, 3, 4]
[train]
steps = 3
sleep = "2ms"
[sweep.grid]
"model.hidden" = [8, 16, 32]
`)
	p, err := Load(context.Background(), file, nil, testEnv(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"shards", "contended"} {
		t.Run(mode, func(t *testing.T) {
			root, log := t.TempDir(), filepath.Join(t.TempDir(), "exec")
			const n = 3
			var cmds []*exec.Cmd
			for i := 0; i < n; i++ {
				shard := fmt.Sprintf("%d/%d", i, n)
				if mode == "contended" {
					shard = ""
				}
				c := childCmd(t, file, root, log, shard)
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				cmds = append(cmds, c)
			}
			for _, c := range cmds {
				if err := c.Wait(); err != nil {
					t.Errorf("child: %v", err)
				}
			}
			counts := execCounts(t, log)
			var got []string
			for id, k := range counts {
				if k != 1 {
					t.Errorf("%s computed %d times", id[:12], k)
				}
				got = append(got, id)
			}
			want := ids(p)
			sort.Strings(got)
			sort.Strings(want)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("computed %d runs, want the %d of the sweep", len(got), len(want))
			}
			st := &Store{Root: root}
			for i := range p.Runs {
				if s := st.State(&p.Runs[i]); s != StateDone {
					t.Errorf("%s: %s", p.Runs[i].Short(), s)
				}
			}
		})
	}
}

func TestParseShard(t *testing.T) {
	for _, s := range []string{"0/1", "2/3"} {
		if _, _, err := ParseShard(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"3/3", "-1/2", "1/0", "1", "a/b", "1/2/3"} {
		if _, _, err := ParseShard(s); err == nil {
			t.Errorf("%s accepted", s)
		}
	}
	runs := make([]Run, 10)
	for i := range runs {
		runs[i].Index = i
	}
	seen := map[int]int{}
	for i := 0; i < 3; i++ {
		for _, r := range ShardOf(runs, i, 3) {
			seen[r.Index]++
		}
	}
	if len(seen) != 10 {
		t.Errorf("shards cover %d of 10 runs", len(seen))
	}
	for i, k := range seen {
		if k != 1 {
			t.Errorf("run %d in %d shards", i, k)
		}
	}
}

func TestCancelLeavesRunsInterrupted(t *testing.T) {
	p := plan(t, "study = \"toy\"\nseeds = [1, 2]\n[train]\nsteps = 40\nsleep = \"10ms\"\n", "")
	st := &Store{Root: t.TempDir()}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for st.State(&p.Runs[0]) != StateRunning {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(30 * time.Millisecond)
		cancel()
	}()
	res, err := st.Execute(ctx, p, Options{})
	if !errors.Is(err, context.Canceled) || res.Cancelled != 2 || res.Failed != 0 {
		t.Fatalf("%+v, %v", res, err)
	}
	rec, err := st.Read(st.Dir(&p.Runs[0]))
	if err != nil || rec.State != StateInterrupted || rec.Summary != nil {
		t.Fatalf("interrupted run: %+v %v", rec, err)
	}
	res, err = st.Execute(context.Background(), p, Options{})
	if err != nil || res.Ran != 2 {
		t.Fatalf("after the interruption: %+v %v", res, err)
	}
}

type versioned struct {
	toy
	v string
}

func (v *versioned) Version() string { return v.v }

func TestStudyVersionChangesIdentity(t *testing.T) {
	idOf := func(v string) string {
		reg, err := NewRegistry(&versioned{v: v})
		if err != nil {
			t.Fatal(err)
		}
		f, err := Decode("v.toml", []byte("study = \"toy\"\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.Plan(context.Background(), Env{Studies: reg, Host: "h"})
		if err != nil {
			t.Fatal(err)
		}
		return p.Runs[0].ID
	}
	a, again, b := idOf("1"), idOf("1"), idOf("2")
	if a == b || a != again {
		t.Error("the study's version does not enter the identity, or not stably")
	}
}

// TestHammerOneRoot runs the same 20-run sweep from 8 goroutines at once,
// each with its own Store on one root: every run is computed exactly once.
func TestHammerOneRoot(t *testing.T) {
	log := filepath.Join(t.TempDir(), "exec")
	p := plan(t, `study = "toy"
seeds = [1, 2, 3, 4]
[train]
steps = 2
sleep = "1ms"
[sweep.grid]
"model.hidden" = [1, 2, 3, 4, 5]
`, log)
	root := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := (&Store{Root: root}).Execute(context.Background(), p, Options{Jobs: 2}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	counts := execCounts(t, log)
	if len(counts) != 20 {
		t.Errorf("%d runs computed, want 20", len(counts))
	}
	for id, n := range counts {
		if n != 1 {
			t.Errorf("%s computed %d times", id[:12], n)
		}
	}
}
