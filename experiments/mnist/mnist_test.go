package mnist

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ablate-ml/ablate/core/experiment"
)

// TestGradientFiniteDifferences checks every parameter's gradient against
// central differences of the loss, on a small net.
func TestGradientFiniteDifferences(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := newMLP(5, 4, 3, rng)
	for i := range m.b1 { // biases non-zero so that they are tested too
		m.b1[i] = float32(rng.NormFloat64() * 0.1)
	}
	const n = 3
	x := make([]float32, n*5)
	for i := range x {
		x[i] = float32(rng.Float64())
	}
	labels := []int{0, 2, 1}
	_, grads := m.grad(x, labels)
	loss := func() float64 {
		_, _, logits := m.forward(x, n)
		l, _ := lossAcc(logits, labels, 3, nil)
		return l
	}
	// float32 arithmetic: a step of 1e-2 keeps rounding error (~1e-7/1e-2)
	// well under the tolerance, and the loss is smooth away from ReLU kinks,
	// which the random inputs avoid by margins far above 1e-2.
	const eps, tol = 1e-2, 2e-3
	for pi, p := range m.params() {
		for j := range p {
			orig := p[j]
			p[j] = orig + eps
			up := loss()
			p[j] = orig - eps
			down := loss()
			p[j] = orig
			fd := (up - down) / (2 * eps)
			if g := float64(grads[pi][j]); math.Abs(g-fd) > tol {
				t.Errorf("param %d[%d]: gradient %g, finite difference %g", pi, j, g, fd)
			}
		}
	}
}

func plan(t *testing.T, body string) *experiment.Plan {
	t.Helper()
	p := filepath.Join(t.TempDir(), "e.toml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, err := experiment.NewRegistry(Study{})
	if err != nil {
		t.Fatal(err)
	}
	pl, err := experiment.Load(context.Background(), p, nil, experiment.Env{Studies: reg, Host: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

// TestLearns trains a small MLP briefly: test accuracy must be far above
// chance (0.1). A prototype reached ~0.90 here; 0.80 leaves room for seeds.
func TestLearns(t *testing.T) {
	p := plan(t, `study = "mnist"
seeds = [3]
[data]
train = 4000
test = 1000
[model]
hidden = 32
[train]
steps = 250
eval_every = 125
`)
	st := &experiment.Store{Root: t.TempDir()}
	if _, err := st.Execute(context.Background(), p, experiment.Options{}); err != nil {
		t.Fatal(err)
	}
	rec, err := st.Read(st.Dir(&p.Runs[0]))
	if err != nil {
		t.Fatal(err)
	}
	acc := rec.Summary["test_acc"].(float64)
	if acc < 0.80 {
		t.Errorf("test accuracy %.3f after 250 steps, want >= 0.80", acc)
	}
	if rec.Summary["params"].(float64) != 784*32+32+32*10+10 {
		t.Errorf("params %v", rec.Summary["params"])
	}
	if _, err := os.Stat(filepath.Join(rec.Dir, "plots", "loss.svg")); err != nil {
		t.Error(err)
	}
}

// TestSameRunSameBytes runs one short run twice: metrics bit-identical.
func TestSameRunSameBytes(t *testing.T) {
	p := plan(t, "study = \"mnist\"\n[data]\ntrain = 500\ntest = 200\n[train]\nsteps = 20\neval_every = 10\n")
	a, b := &experiment.Store{Root: t.TempDir()}, &experiment.Store{Root: t.TempDir()}
	for _, st := range []*experiment.Store{a, b} {
		if _, err := st.Execute(context.Background(), p, experiment.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	x, _ := os.ReadFile(filepath.Join(a.Dir(&p.Runs[0]), experiment.FileMetrics))
	y, _ := os.ReadFile(filepath.Join(b.Dir(&p.Runs[0]), experiment.FileMetrics))
	if len(x) == 0 || !bytes.Equal(x, y) {
		t.Errorf("metrics differ between two runs of the same configuration (%d vs %d bytes)", len(x), len(y))
	}
}

func TestBadSettings(t *testing.T) {
	f, err := experiment.Decode("bad.toml", []byte("study = \"mnist\"\n[data]\nset = \"cifar\"\n[train]\nbatch = 0\nlr = -1.0\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := experiment.NewRegistry(Study{})
	_, err = f.Plan(context.Background(), experiment.Env{Studies: reg})
	de, ok := err.(*experiment.DecodeError)
	if !ok || len(de.Diags) != 3 {
		t.Fatalf("want 3 problems, got %v", err)
	}
	for i, want := range []struct {
		line int
		key  string
	}{{3, "data.set"}, {5, "train.batch"}, {6, "train.lr"}} {
		if de.Diags[i].Line != want.line || de.Diags[i].Key != want.key {
			t.Errorf("problem %d: %+v, want line %d key %s", i, de.Diags[i], want.line, want.key)
		}
	}
}
