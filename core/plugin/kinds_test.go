package plugin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/ablate-ml/ablate/sdk/abi"
)

func TestBias(t *testing.T) {
	b, err := NewBias(mustLoad(t, "bias", Config{Params: map[string]any{"token": 7, "bonus": 0.5}}))
	if err != nil {
		t.Fatal(err)
	}
	g := sample()
	scores := []float64{1, 2, 3, 4, 5, 6, 7}
	in := append([]float64(nil), scores...)
	out := make([]float64, 7)
	if err := b.Bias(context.Background(), out, g, scores); err != nil {
		t.Fatal(err)
	}
	// Count the 7s in each candidate by hand: {5} {6,6} {7,7,7} {1,2,3,4} {9} {9} {9,7}.
	sevens := []float64{0, 0, 3, 0, 0, 0, 1}
	for c := range out {
		if want := scores[c] + 0.5*sevens[c]; out[c] != want {
			t.Errorf("out[%d] = %v, want %v", c, out[c], want)
		}
	}
	for i := range scores {
		if scores[i] != in[i] {
			t.Fatalf("the input scores changed")
		}
	}
}

// discounted is the direct O(T^2) definition: A_{i,j} = sum_{k>=j, mask}
// gamma^{k-j} r_{i,k} - control_{i,j} where the mask is on, else 0.
func discounted(r, mask, control []float64, b, t int, gamma float64) []float64 {
	out := make([]float64, b*t)
	for i := range b {
		for j := range t {
			if mask[i*t+j] == 0 {
				continue
			}
			s := 0.0
			for k := j; k < t; k++ {
				if mask[i*t+k] != 0 {
					s += math.Pow(gamma, float64(k-j)) * r[i*t+k]
				}
			}
			if control != nil {
				s -= control[i*t+j]
			}
			out[i*t+j] = s
		}
	}
	return out
}

func TestDiscountAgainstDefinition(t *testing.T) {
	d, err := NewDiscount(mustLoad(t, "discount", Config{Params: map[string]any{"gamma": 0.8}}))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const b, T = 5, 9
	r, mask, ctl := make([]float64, b*T), make([]float64, b*T), make([]float64, b*T)
	for i := range r {
		r[i] = rng.NormFloat64()
		ctl[i] = rng.NormFloat64()
		if rng.Float64() < 0.8 {
			mask[i] = 1
		}
	}
	for _, control := range [][]float64{nil, ctl} {
		out := make([]float64, b*T)
		if err := d.Discount(context.Background(), out, r, mask, control, b, T, 3); err != nil {
			t.Fatal(err)
		}
		want := discounted(r, mask, control, b, T, 0.8)
		for i := range out {
			// 1e-12: a few dozen float64 operations on O(1) values.
			if math.Abs(out[i]-want[i]) > 1e-12 {
				t.Fatalf("control %v: out[%d] = %v, want %v", control != nil, i, out[i], want[i])
			}
		}
	}
	err = d.Discount(context.Background(), make([]float64, 3), r, mask, nil, b, T, 0)
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "dst 3 values for 5 x 9") {
		t.Errorf("short dst: err = %v", err)
	}
}

func TestEstimatorFitScoreSaveLoad(t *testing.T) {
	ctx := context.Background()
	e, err := NewEstimator(mustLoad(t, "estimator", Config{MaxInstances: 3}))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Score(ctx, make([]float64, 1), make([]float64, 2), 1, 2); !errors.Is(err, ErrNotFitted) {
		t.Fatalf("score before fit: err = %v, want ErrNotFitted", err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const n, d, m = 50, 3, 20
	x := make([]float64, n*d)
	for i := range x {
		x[i] = rng.NormFloat64()*float64(1+i%d) + float64(i%d)
	}
	if err := e.Fit(ctx, x, n, d); err != nil {
		t.Fatal(err)
	}
	// Closed form: independent normals with the sample mean and variance.
	mean, vr := make([]float64, d), make([]float64, d)
	for j := range d {
		for i := range n {
			mean[j] += x[i*d+j] / n
		}
		for i := range n {
			vr[j] += (x[i*d+j] - mean[j]) * (x[i*d+j] - mean[j]) / (n - 1)
		}
	}
	y := make([]float64, m*d)
	for i := range y {
		y[i] = rng.NormFloat64() * 3
	}
	// Score concurrently so several instances must load the fitted state.
	var wg sync.WaitGroup
	errs := make([]error, 6)
	outs := make([][]float64, 6)
	for k := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[k] = make([]float64, m)
			errs[k] = e.Score(ctx, outs[k], y, m, d)
		}()
	}
	wg.Wait()
	for k := range 6 {
		if errs[k] != nil {
			t.Fatal(errs[k])
		}
		for i := range m {
			want := 0.0
			for j := range d {
				r := y[i*d+j] - mean[j]
				want += -0.5*r*r/vr[j] - 0.5*math.Log(2*math.Pi*vr[j])
			}
			// 1e-9: the same formula summed in a different order.
			if math.Abs(outs[k][i]-want) > 1e-9 {
				t.Fatalf("caller %d: score[%d] = %v, want %v", k, i, outs[k][i], want)
			}
		}
	}
	state, err := e.Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e2, _ := NewEstimator(mustLoad(t, "estimator", Config{}))
	if err := e2.Load(ctx, state); err != nil {
		t.Fatal(err)
	}
	out2 := make([]float64, m)
	if err := e2.Score(ctx, out2, y, m, d); err != nil {
		t.Fatal(err)
	}
	for i := range m {
		if out2[i] != outs[0][i] {
			t.Fatalf("after load: score[%d] = %v, want %v bit for bit", i, out2[i], outs[0][i])
		}
	}
	err = e2.Load(ctx, state[:5])
	if !errors.Is(err, ErrGuest) || !strings.Contains(err.Error(), "ablate_load: estimator: state has 5 bytes") {
		t.Errorf("truncated state: err = %v", err)
	}
	err = e.Score(ctx, make([]float64, 2), make([]float64, 4), 2, 2)
	if !errors.Is(err, ErrGuest) || !strings.Contains(err.Error(), "2 features, fitted on 3") {
		t.Errorf("wrong width: err = %v", err)
	}
}

func TestKindMismatch(t *testing.T) {
	p := mustLoad(t, "estimator", Config{})
	_, err := NewJudge(p)
	if !errors.Is(err, ErrKind) || !strings.Contains(err.Error(), "the module is a estimator, used as a judge") {
		t.Fatalf("err = %v", err)
	}
	_, err = Load(context.Background(), wasmOf(t, "estimator"), Config{Kind: abi.KindJudge})
	if !errors.Is(err, ErrKind) || !strings.Contains(err.Error(), "test-estimator") {
		t.Fatalf("err = %v, want ErrKind naming test-estimator", err)
	}
}

func TestGroupsValidate(t *testing.T) {
	j, _ := NewJudge(mustLoad(t, "judge", Config{}))
	cases := []struct {
		mut func(*Groups)
		msg string
	}{
		{func(g *Groups) { g.CandOff = []int32{0, 1, 3, 2, 10, 11, 12, 14} }, "cand_off[3] = 2 is less than cand_off[2] = 3"},
		{func(g *Groups) { g.GroupOff = []int32{0, 1, 5, 7} }, "group 0 has 1 candidates, want at least 2"},
		{func(g *Groups) { g.PromptOff = []int32{0, 1, 3} }, "3 prompt offsets for 3 groups, want 4"},
		{func(g *Groups) { g.CandTok = g.CandTok[:5] }, "cand_off ends at 14, but there are 5 tokens"},
	}
	for _, c := range cases {
		g := sample()
		c.mut(&g)
		err := j.Judge(context.Background(), make([]float64, g.Candidates()), g)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("err = %v, want %q", err, c.msg)
		}
	}
}

// TestRandomIsDeterministic: the stream depends on seed and inputs only,
// not on the instance, the order or the trust level.
func TestRandomIsDeterministic(t *testing.T) {
	ctx := context.Background()
	score := func(p *Plugin, g Groups) []float64 {
		j, _ := NewJudge(p)
		out := make([]float64, g.Candidates())
		if err := j.Judge(ctx, out, g); err != nil {
			t.Fatal(err)
		}
		return out
	}
	params := map[string]any{"noise": 1}
	a := mustLoad(t, "judge", Config{Seed: 5, Params: params})
	b := mustLoad(t, "judge", Config{Seed: 5, Params: params, Trust: Trusted})
	c := mustLoad(t, "judge", Config{Seed: 6, Params: params})
	g, h := sample(), trigger()
	a1 := score(a, g)
	_ = score(b, h) // b sees another call first
	b1 := score(b, g)
	a2 := score(a, g)
	c1 := score(c, g)
	if fmt.Sprint(a1) != fmt.Sprint(b1) || fmt.Sprint(a1) != fmt.Sprint(a2) {
		t.Fatalf("same seed and input, different scores: %v %v %v", a1, b1, a2)
	}
	if fmt.Sprint(a1) == fmt.Sprint(c1) {
		t.Fatalf("another seed gave the same scores %v", a1)
	}
	if fmt.Sprint(score(a, h)) == fmt.Sprint(a1) {
		t.Fatalf("another input gave the same scores")
	}
}

func TestLogsArePrefixed(t *testing.T) {
	log := &syncBuffer{}
	j, _ := NewJudge(mustLoad(t, "judge", Config{Name: "mine", Log: log, Params: map[string]any{"say": "hello"}}))
	if err := j.Judge(context.Background(), make([]float64, 7), sample()); err != nil {
		t.Fatal(err)
	}
	got := log.String()
	for _, want := range []string{"mine: hello\n", "mine: info: hello on 3 groups\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("log %q lacks %q", got, want)
		}
	}
}

func TestLogProbReachesTheStudy(t *testing.T) {
	var mu sync.Mutex
	var models []string
	lp := func(_ context.Context, model string, ctxTok, ctxOff, contTok, contOff []int32, out []float64) error {
		mu.Lock()
		models = append(models, model)
		mu.Unlock()
		if len(ctxOff) != len(out)+1 || len(contOff) != len(out)+1 || int(ctxOff[len(out)]) != len(ctxTok) {
			return errors.New("bad shapes")
		}
		for i := range out {
			out[i] = -float64(contOff[i+1] - contOff[i]) // -length of the continuation
		}
		return nil
	}
	j, _ := NewJudge(mustLoad(t, "bad", Config{Params: map[string]any{"mode": "logprob"}, LogProb: lp}))
	g := trigger()
	out := make([]float64, g.Candidates())
	if err := j.Judge(context.Background(), out, g); err != nil {
		t.Fatal(err)
	}
	for c := range out {
		if want := -float64(g.CandOff[c+1] - g.CandOff[c]); out[c] != want {
			t.Errorf("out[%d] = %v, want %v", c, out[c], want)
		}
	}
	if len(models) != 7 || models[0] != "base" {
		t.Errorf("models = %v, want 7 calls under base", models)
	}
}

// TestPoolHammer runs many goroutines through a small pool, with traps
// mixed in; run with -race.
func TestPoolHammer(t *testing.T) {
	ctx := context.Background()
	j, _ := NewJudge(mustLoad(t, "bad", Config{MaxInstances: 3, Params: map[string]any{"mode": "exit-mid-batch"}}))
	var wg sync.WaitGroup
	const workers, calls = 8, 12
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				out := make([]float64, 7)
				if (w+i)%5 == 0 {
					if err := j.Judge(ctx, out, trigger()); !errors.Is(err, ErrTrap) {
						errs <- fmt.Errorf("trap call: %v", err)
					}
					continue
				}
				if err := j.Judge(ctx, out, sample()); err != nil {
					errs <- err
					continue
				}
				for c, v := range out {
					if v != float64(c) {
						errs <- fmt.Errorf("out = %v", out)
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClosed(t *testing.T) {
	p, err := Load(context.Background(), wasmOf(t, "judge"), Config{})
	if err != nil {
		t.Fatal(err)
	}
	j, _ := NewJudge(p)
	p.Close(context.Background())
	if err := j.Judge(context.Background(), make([]float64, 7), sample()); !errors.Is(err, ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}
