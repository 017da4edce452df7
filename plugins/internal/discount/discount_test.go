package discount

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func randBatch(rng *rand.Rand, b, t int, holes bool) (r, mask []float64) {
	r = make([]float64, b*t)
	mask = make([]float64, b*t)
	for i := 0; i < b; i++ {
		end := t - rng.IntN(t/2+1) // ragged: padding at the end
		for j := 0; j < t; j++ {
			r[i*t+j] = rng.NormFloat64()*2 + 1
			if j < end && !(holes && rng.IntN(5) == 0) {
				mask[i*t+j] = 1
			}
		}
	}
	return r, mask
}

// direct computes the advantages by the definition: sum_{k>=j} gamma^(k-j)
// r'_k with r' the (centred) reward where the mask is on, 0 elsewhere.
func direct(r, mask, control []float64, b, t int, gamma float64, center bool) []float64 {
	rp := make([]float64, b*t)
	for j := 0; j < t; j++ {
		var on []int
		for i := 0; i < b; i++ {
			if mask[i*t+j] != 0 {
				on = append(on, i)
			}
		}
		mean := 0.0
		for _, i := range on {
			mean += r[i*t+j]
		}
		if len(on) > 0 {
			mean /= float64(len(on))
		}
		for _, i := range on {
			rp[i*t+j] = r[i*t+j]
			if center {
				rp[i*t+j] -= mean
			}
		}
	}
	out := make([]float64, b*t)
	for i := 0; i < b; i++ {
		for j := 0; j < t; j++ {
			if mask[i*t+j] == 0 {
				continue
			}
			for k := j; k < t; k++ {
				out[i*t+j] += math.Pow(gamma, float64(k-j)) * rp[i*t+k]
			}
			if control != nil {
				out[i*t+j] -= control[i*t+j]
			}
		}
	}
	return out
}

func TestAdvantagesEqualDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const b, T = 6, 12
	for _, gamma := range []float64{0, 0.5, 0.9, 1} {
		for _, center := range []bool{false, true} {
			for _, holes := range []bool{false, true} {
				r, mask := randBatch(rng, b, T, holes)
				var control []float64
				if holes {
					control, _ = randBatch(rng, b, T, false)
				}
				got := make([]float64, b*T)
				if err := Advantages(got, r, mask, control, b, T, Options{Gamma: gamma, Center: center}); err != nil {
					t.Fatal(err)
				}
				want := direct(r, mask, control, b, T, gamma, center)
				for k := range got {
					// Sums of <= 12 terms of size ~5: rounding ~1e-14.
					if math.Abs(got[k]-want[k]) > 1e-12 {
						t.Fatalf("gamma=%v center=%v holes=%v at (%d,%d): %v, want %v", gamma, center, holes, k/T, k%T, got[k], want[k])
					}
				}
			}
		}
	}
}

func TestGammaZeroGivesRewards(t *testing.T) {
	r := []float64{1, 2, 3, 4, 5, 6}
	mask := []float64{1, 1, 1, 1, 1, 0}
	got := make([]float64, 6)
	if err := Advantages(got, r, mask, nil, 2, 3, Options{Gamma: 0}); err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 2, 3, 4, 5, 0}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("gamma 0: got %v, want %v", got, want)
			break
		}
	}
}

func TestGammaOneGivesSuffixSums(t *testing.T) {
	r := []float64{1, 2, 3, 4, 5, 6}
	mask := []float64{1, 1, 1, 1, 1, 0}
	got := make([]float64, 6)
	if err := Advantages(got, r, mask, nil, 2, 3, Options{Gamma: 1}); err != nil {
		t.Fatal(err)
	}
	want := []float64{6, 5, 3, 9, 5, 0}
	for k := range want {
		if got[k] != want[k] {
			t.Errorf("gamma 1: got %v, want %v", got, want)
			break
		}
	}
}

func TestCenteringSumsToZeroPerPosition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const b, T = 7, 9
	r, mask := randBatch(rng, b, T, true)
	got := make([]float64, b*T)
	// Gamma 0 exposes the centred rewards themselves.
	if err := Advantages(got, r, mask, nil, b, T, Options{Gamma: 0, Center: true}); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < T; j++ {
		s := 0.0
		for i := 0; i < b; i++ {
			s += got[i*T+j]
		}
		if math.Abs(s) > 1e-12 {
			t.Errorf("position %d: centred rewards sum to %v, want 0", j, s)
		}
	}
}

func TestInputsUnchanged(t *testing.T) {
	r := []float64{1, 2, 3, 4}
	mask := []float64{1, 1, 1, 0}
	c := []float64{0.5, 0.5, 0.5, 0.5}
	rc, mc, cc := append([]float64(nil), r...), append([]float64(nil), mask...), append([]float64(nil), c...)
	if err := Advantages(make([]float64, 4), r, mask, c, 2, 2, Options{Gamma: 0.5, Center: true}); err != nil {
		t.Fatal(err)
	}
	for k := range r {
		if r[k] != rc[k] || mask[k] != mc[k] || c[k] != cc[k] {
			t.Fatal("Advantages modified its inputs")
		}
	}
}

func TestAdvantagesBadInput(t *testing.T) {
	ok := []float64{1, 2, 3, 4}
	on := []float64{1, 1, 1, 1}
	cases := []struct {
		name              string
		dst, r, mask, ctl []float64
		b, t              int
		gamma             float64
		want              string
	}{
		{"short rewards", ok, ok[:3], on, nil, 2, 2, 1, "rewards has 3 values, want 2 x 2 = 4"},
		{"short mask", ok, ok, on[:2], nil, 2, 2, 1, "mask has 2 values"},
		{"short control", ok, ok, on, ok[:1], 2, 2, 1, "control variate has 1 values"},
		{"empty", nil, nil, nil, nil, 0, 2, 1, "batch is 0 x 2"},
		{"gamma", make([]float64, 4), ok, on, nil, 2, 2, 1.5, "gamma is 1.5"},
		{"nan reward", make([]float64, 4), []float64{1, 2, math.NaN(), 4}, on, nil, 2, 2, 1, "reward of sequence 1 at position 0 is NaN"},
		{"inf control", make([]float64, 4), ok, on, []float64{0, math.Inf(1), 0, 0}, 2, 2, 1, "control variate of sequence 0 at position 1 is +Inf"},
	}
	for _, c := range cases {
		err := Advantages(c.dst, c.r, c.mask, c.ctl, c.b, c.t, Options{Gamma: c.gamma})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
	}
	// A NaN reward under a mask that is off is ignored.
	if err := Advantages(make([]float64, 4), []float64{1, 2, math.NaN(), 4}, []float64{1, 1, 0, 1}, nil, 2, 2, Options{Gamma: 1}); err != nil {
		t.Errorf("NaN reward where the mask is off: %v", err)
	}
}

func TestExponentialResolve(t *testing.T) {
	cases := []struct {
		e    Exponential
		want float64
		err  string
	}{
		{Exponential{Gamma: DefaultGamma}, 0.99, ""},
		{Exponential{}, 0, ""},
		{Exponential{Gamma: 0.9}, 0.9, ""},
		{Exponential{Horizon: 10}, 0.9, ""},
		{Exponential{Horizon: math.Inf(1)}, 1, ""},
		{Exponential{Horizon: 1}, 0, ""},
		{Exponential{Gamma: 0.5, Horizon: 10}, 0.9, ""},
		{Exponential{Horizon: 0.5}, 0, "horizon is 0.5"},
		{Exponential{Gamma: 1.1}, 0, "gamma is 1.1"},
	}
	for _, c := range cases {
		g, err := c.e.Resolve()
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%+v: %v, want an error containing %q", c.e, err, c.err)
		case c.err == "" && (err != nil || math.Abs(g-c.want) > 1e-15):
			t.Errorf("%+v: gamma %v (%v), want %v", c.e, g, err, c.want)
		}
	}
}

func TestAnnealedSchedule(t *testing.T) {
	cases := []struct {
		a    Annealed
		step int64
		want float64
	}{
		{Annealed{From: 0.5, To: 0.9, Steps: 100, Shape: "linear"}, -3, 0.5},
		{Annealed{From: 0.5, To: 0.9, Steps: 100, Shape: "linear"}, 0, 0.5},
		{Annealed{From: 0.5, To: 0.9, Steps: 100, Shape: "linear"}, 25, 0.6},
		{Annealed{From: 0.5, To: 0.9, Steps: 100, Shape: "linear"}, 100, 0.9},
		{Annealed{From: 0.5, To: 0.9, Steps: 100, Shape: "linear"}, 1000, 0.9},
		{Annealed{From: 0.5, To: 0.9, Steps: 100, Shape: "cosine"}, 50, 0.7},
		{Annealed{From: 0.5, To: 0.9, Steps: 100, Shape: "cosine"}, 100, 0.9},
		// horizon 2 -> 10, halfway is horizon 6: gamma 5/6.
		{Annealed{From: 0.5, To: 0.9, Steps: 100, Shape: "horizon"}, 50, 5.0 / 6},
		{Annealed{From: 0.5, To: 0.9, Steps: 100, Shape: "horizon"}, 100, 0.9},
	}
	for _, c := range cases {
		if err := c.a.Validate(); err != nil {
			t.Fatal(err)
		}
		if g := c.a.Gamma(c.step); math.Abs(g-c.want) > 1e-12 {
			t.Errorf("%+v at step %d: gamma %v, want %v", c.a, c.step, g, c.want)
		}
	}
	for _, c := range []struct {
		a    Annealed
		want string
	}{
		{Annealed{From: -0.1, To: 0.9, Steps: 1, Shape: "linear"}, "from is -0.1"},
		{Annealed{From: 0.1, To: 0.9, Steps: 0, Shape: "linear"}, "steps is 0"},
		{Annealed{From: 0.1, To: 1, Steps: 5, Shape: "horizon"}, "needs from and to < 1"},
		{Annealed{From: 0.1, To: 0.9, Steps: 5, Shape: "step"}, `shape is "step"`},
	} {
		if err := c.a.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error containing %q", c.a, err, c.want)
		}
	}
}
