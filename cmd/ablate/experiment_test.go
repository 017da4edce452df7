package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ablate-ml/ablate/core/data"
	"github.com/ablate-ml/ablate/core/experiment"
)

// fakeMNIST writes a small MNIST-shaped data set (500 training and 100 test
// images; class k lights up row block k) and points $ABLATE_DATA at it, so
// the command tests do not read 55 MB of digits.
func fakeMNIST(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	mdir := filepath.Join(dir, "mnist")
	os.MkdirAll(mdir, 0o755)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, set := range []struct {
		prefix string
		n      int
	}{{"train", 500}, {"t10k", 100}} {
		px := make([]byte, set.n*28*28)
		lb := make([]byte, set.n)
		for i := 0; i < set.n; i++ {
			k := i % 10
			lb[i] = byte(k)
			for p := 0; p < 28*28; p++ {
				v := rng.IntN(60)
				if p/28/3 == k {
					v += 180
				}
				px[i*28*28+p] = byte(v)
			}
		}
		for name, x := range map[string]*data.IDX{
			set.prefix + "-images-idx3-ubyte": {Type: data.IDXUint8, Dims: []int{set.n, 28, 28}, Data: px},
			set.prefix + "-labels-idx1-ubyte": {Type: data.IDXUint8, Dims: []int{set.n}, Data: lb},
		} {
			f, err := os.Create(filepath.Join(mdir, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := data.WriteIDX(f, x); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
	t.Setenv(data.EnvData, dir)
}

// call runs one of this file's commands with captured output.
func call(t *testing.T, fn func(context.Context, *env, []string) error, args ...string) (string, error) {
	t.Helper()
	var o, e bytes.Buffer
	err := fn(context.Background(), &env{stdout: &o, stderr: &e}, args)
	return o.String(), err
}

const tinySweep = `study = "mnist"
seeds = [1, 2]
[data]
train = 300
test = 100
[train]
steps = 10
batch = 16
eval_every = 5
[sweep.grid]
"model.hidden" = [4, 8]
`

func TestRunCompareReport(t *testing.T) {
	fakeMNIST(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "tiny.toml")
	os.WriteFile(file, []byte(tinySweep), 0o644)
	root := filepath.Join(dir, "runs")

	out, err := call(t, runRun, file, "--dry-run", "--root", root)
	if err != nil || strings.Count(out, " new ") != 4 || !strings.Contains(out, "mnist/tiny: 4 runs") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	out, err = call(t, runRun, file, "-j", "2", "--root", root)
	if err != nil || !strings.Contains(out, "4 ran, 0 already done, 0 failed") {
		t.Fatalf("run: %v\n%s", err, out)
	}
	out, err = call(t, runRun, "--root", root, file)
	if err != nil || !strings.Contains(out, "0 ran, 4 already done") {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	// An override makes new runs; a shard takes its slice of them.
	out, err = call(t, runRun, file, "train.steps=12", "--shard", "1/2", "--root", root)
	if err != nil || !strings.Contains(out, "shard 1/2 has 2") || !strings.Contains(out, "2 ran") {
		t.Fatalf("shard: %v\n%s", err, out)
	}

	out, err = call(t, runCompare, file, "--root", root, "--metric", "test_acc", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][2] != "model.hidden" || rows[1][3] != "2" {
		t.Fatalf("compare csv: %v\n%s", err, out)
	}
	out, err = call(t, runCompare, "--root", root, "--by", "model.hidden")
	if err != nil || !strings.Contains(out, "mnist/tiny") || !strings.Contains(out, "test_acc") {
		t.Fatalf("compare: %v\n%s", err, out)
	}
	if _, err := call(t, runCompare, "--root", root, "--format", "xls"); err == nil {
		t.Error("compare accepts --format xls")
	}

	out, err = call(t, runLs, "--root", root)
	if err != nil || strings.Count(out, " done ") != 6 {
		t.Fatalf("ls: %v\n%s", err, out)
	}
	id := strings.Fields(out)[0]
	out, err = call(t, runShow, id, "--root", root)
	if err != nil || !strings.Contains(out, "config.toml") || !strings.Contains(out, "test_acc") {
		t.Fatalf("show: %v\n%s", err, out)
	}
	if _, err := call(t, runShow, "zzzz", "--root", root); err == nil {
		t.Error("show finds a run that does not exist")
	}

	html := filepath.Join(dir, "r.html")
	if out, err = call(t, runReport, root, "-o", html); err != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(html)
	if !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("mnist/tiny")) {
		t.Error("report lacks plots or the sweep's table")
	}
}

func TestRunReportsEveryProblem(t *testing.T) {
	fakeMNIST(t)
	file := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(file, []byte("study = \"mnist\"\n[model]\nhiden = 3\n[train]\nlr = \"fast\"\n"), 0o644)
	_, err := call(t, runRun, file, "--root", t.TempDir(), "train.steps=0")
	if err == nil {
		t.Fatal("a bad file ran")
	}
	for _, want := range []string{"bad.toml:3: model.hiden: unknown key", "bad.toml:5: train.lr: want a number", "train.steps: want at least 1, got 0 (override train.steps=0)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	var ue *usageError
	if _, err := call(t, runRun); !errors.As(err, &ue) {
		t.Errorf("run without a file: %v, want a usage error", err)
	}
	if _, err := call(t, runRun, file, "--shard", "2/2"); !errors.As(err, &ue) {
		t.Errorf("--shard 2/2: %v, want a usage error", err)
	}
}

func TestEmit(t *testing.T) {
	fakeMNIST(t)
	file := filepath.Join(t.TempDir(), "tiny.toml")
	os.WriteFile(file, []byte(tinySweep), 0o644)
	out, err := call(t, runEmit, "slurm", file, "train.lr=0.5", "--root", "/shared/runs")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"#SBATCH --array=0-3", `--shard "${SLURM_ARRAY_TASK_ID}/4"`, "train.lr=0.5 --root /shared/runs"} {
		if !strings.Contains(out, want) {
			t.Errorf("slurm script lacks %q:\n%s", want, out)
		}
	}
	out, err = call(t, runEmit, "k8s", file, "--tasks", "2", "--parallel", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"completionMode: Indexed", "completions: 2", "parallelism: 1", `${JOB_COMPLETION_INDEX}/2`} {
		if !strings.Contains(out, want) {
			t.Errorf("k8s manifest lacks %q:\n%s", want, out)
		}
	}
	if _, err := call(t, runEmit, "pbs", file); err == nil {
		t.Error("emit pbs accepted")
	}
	if q := shellQuote("a b'c"); q != `'a b'\''c'` {
		t.Errorf("shellQuote: %s", q)
	}
}

// TestCheckPluginLoadsBuiltins builds the kde estimator from source and
// checks it as planning does: right kind and parameters pass; an unknown
// parameter or the wrong kind is refused before any run.
func TestCheckPluginLoadsBuiltins(t *testing.T) {
	r := experiment.BuiltinResolver{SourceDir: filepath.Join("..", "..", "plugins"), CacheDir: t.TempDir()}
	res, err := r.Resolve(context.Background(), experiment.PluginRef{Kind: "estimator", Name: "kde"})
	if err != nil {
		t.Fatal(err)
	}
	p := experiment.Plugin{Slot: "estimator", Kind: "estimator", Trust: experiment.TrustTrusted, Digest: res.Digest, Wasm: res.Wasm, Params: map[string]any{}}
	if err := checkPlugin(context.Background(), p); err != nil {
		t.Fatalf("kde with default parameters: %v", err)
	}
	bad := p
	bad.Params = map[string]any{"no_such_parameter": int64(1)}
	if err := checkPlugin(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "no_such_parameter") {
		t.Errorf("unknown parameter: %v", err)
	}
	wrong := p
	wrong.Kind = "judge"
	if err := checkPlugin(context.Background(), wrong); err == nil {
		t.Error("an estimator loaded as a judge")
	}
}

// TestCommittedExperimentsPlan: every experiment file in the repository
// decodes and plans against its study (a dry run, which needs neither data
// nor built plugins: a built-in plugin's source directory stands for it), so
// a renamed or tightened setting cannot leave a committed file that no
// longer runs.
func TestCommittedExperimentsPlan(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	files, err := filepath.Glob(filepath.Join("experiments", "*", "*.toml"))
	if err != nil || len(files) < 20 {
		t.Fatalf("found %d experiment files (%v), want the repository's", len(files), err)
	}
	for _, f := range files {
		out, err := call(t, runRun, f, "--dry-run", "--root", t.TempDir(), "-plugins", t.TempDir())
		if err != nil || !strings.Contains(out, " runs (root ") || strings.Contains(out, " done ") {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
}
