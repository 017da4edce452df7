package plugintest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/sdk/abi"
)

// makeGroups builds g groups of 2..maxK candidates with lengths 0..maxLen
// and token ids in [0, vocab); extreme adds ids 0 and 1<<30.
func makeGroups(rng *rand.Rand, g, maxK, maxLen int, extreme bool) plugin.Groups {
	var gr plugin.Groups
	gr.PromptOff, gr.CandOff, gr.GroupOff = []int32{0}, []int32{0}, []int32{0}
	tok := func() int32 {
		if extreme && rng.IntN(4) == 0 {
			return []int32{0, 1 << 30}[rng.IntN(2)]
		}
		return int32(rng.IntN(256))
	}
	for range g {
		for range 1 + rng.IntN(maxLen+1) {
			gr.PromptTok = append(gr.PromptTok, tok())
		}
		gr.PromptOff = append(gr.PromptOff, int32(len(gr.PromptTok)))
		k := 2 + rng.IntN(maxK-1)
		for range k {
			for range rng.IntN(maxLen + 1) {
				gr.CandTok = append(gr.CandTok, tok())
			}
			gr.CandOff = append(gr.CandOff, int32(len(gr.CandTok)))
		}
		gr.GroupOff = append(gr.GroupOff, int32(len(gr.CandOff)-1))
	}
	return gr
}

func finite(name string, v []float64, allowInf bool) error {
	for i, x := range v {
		if math.IsNaN(x) || (!allowInf && math.IsInf(x, 0)) {
			return fmt.Errorf("%s[%d] is %v", name, i, x)
		}
	}
	return nil
}

func sameBits(a, b []float64) error {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return fmt.Errorf("value %d: %v on one copy, %v on the other", i, a[i], b[i])
		}
	}
	return nil
}

func (c *checker) groups(p, p2 *plugin.Plugin, kind abi.Kind) {
	rng := rand.New(rand.NewPCG(c.o.seed, 11))
	call := func(q *plugin.Plugin, g plugin.Groups) ([]float64, error) {
		out := make([]float64, g.Candidates())
		if kind == abi.KindJudge {
			j, err := plugin.NewJudge(q)
			if err != nil {
				return nil, err
			}
			return out, j.Judge(c.ctx, out, g)
		}
		b, err := plugin.NewBias(q)
		if err != nil {
			return nil, err
		}
		scores := make([]float64, g.Candidates())
		srng := rand.New(rand.NewPCG(uint64(len(scores)), 3))
		for i := range scores {
			scores[i] = srng.Float64()
		}
		return out, b.Bias(c.ctx, out, g, scores)
	}
	cases := []struct {
		name string
		g    plugin.Groups
	}{
		{"empty batch", plugin.Groups{PromptOff: []int32{0}, CandOff: []int32{0}, GroupOff: []int32{0}}},
		{"one pair", plugin.Groups{PromptTok: []int32{13, 1, 2}, PromptOff: []int32{0, 3},
			CandTok: []int32{5, 6, 7}, CandOff: []int32{0, 2, 3}, GroupOff: []int32{0, 2}}},
		{"ragged batch with empty completions", makeGroups(rng, 20, 5, 12, false)},
		{"extreme token ids", makeGroups(rng, 8, 3, 6, true)},
		{"large batch", makeGroups(rng, 300, 4, 24, false)},
	}
	for _, tc := range cases {
		c.check(string(kind)+": "+tc.name, func() error {
			out, err := call(p, tc.g)
			if err != nil {
				return err
			}
			if err := finite("scores", out, true); err != nil {
				return err
			}
			if c.o.probs && kind == abi.KindJudge {
				for i, v := range out {
					if v < 0 || v > 1 {
						return fmt.Errorf("score[%d] = %v, not a probability", i, v)
					}
				}
				for gi := range tc.g.Len() {
					lo, hi := tc.g.GroupOff[gi], tc.g.GroupOff[gi+1]
					// 1e-12: P and 1-P computed in floating point.
					if hi-lo == 2 && math.Abs(out[lo]+out[lo+1]-1) > 1e-12 {
						return fmt.Errorf("group %d: pair scores %v and %v do not sum to 1", gi, out[lo], out[lo+1])
					}
				}
			}
			return nil
		})
	}
	c.check(string(kind)+": deterministic across copies", func() error {
		g := makeGroups(rand.New(rand.NewPCG(9, 9)), 10, 3, 8, false)
		a, err := call(p, g)
		if err != nil {
			return err
		}
		b, err := call(p2, g)
		if err != nil {
			return err
		}
		return sameBits(a, b)
	})
}

func (c *checker) discount(p, p2 *plugin.Plugin) {
	d1, err := plugin.NewDiscount(p)
	if err != nil {
		c.check("discount", func() error { return err })
		return
	}
	d2, _ := plugin.NewDiscount(p2)
	rng := rand.New(rand.NewPCG(c.o.seed, 12))
	batch := func(b, t int, scale float64, maskP float64, control bool) (r, mask, ctl []float64) {
		r, mask = make([]float64, b*t), make([]float64, b*t)
		for i := range r {
			r[i] = scale * rng.NormFloat64()
			if rng.Float64() < maskP {
				mask[i] = 1
			}
		}
		if control {
			ctl = make([]float64, b*t)
			for i := range ctl {
				ctl[i] = rng.NormFloat64()
			}
		}
		return
	}
	cases := []struct {
		name    string
		b, t    int
		scale   float64
		maskP   float64
		control bool
		step    int64
	}{
		{"1 x 1", 1, 1, 1, 1, false, 0},
		{"ragged mask", 8, 16, 1, 0.7, false, 10},
		{"ragged mask with control variate", 8, 16, 1, 0.7, true, 10},
		{"rewards of 1e6", 4, 32, 1e6, 1, false, 1000},
		{"all positions off", 3, 5, 1, 0, false, 0},
		{"large batch", 64, 256, 1, 0.9, true, 5},
	}
	for _, tc := range cases {
		c.check("discount: "+tc.name, func() error {
			r, mask, ctl := batch(tc.b, tc.t, tc.scale, tc.maskP, tc.control)
			out := make([]float64, tc.b*tc.t)
			if err := d1.Discount(c.ctx, out, r, mask, ctl, tc.b, tc.t, tc.step); err != nil {
				return err
			}
			if err := finite("advantages", out, false); err != nil {
				return err
			}
			out2 := make([]float64, len(out))
			if err := d2.Discount(c.ctx, out2, r, mask, ctl, tc.b, tc.t, tc.step); err != nil {
				return err
			}
			if err := sameBits(out, out2); err != nil {
				return fmt.Errorf("not deterministic across copies: %w", err)
			}
			return nil
		})
	}
}

// defaultFit is n x d log-normal features (all > 0), seeded.
func defaultFit(seed uint64, n, d int) []float64 {
	rng := rand.New(rand.NewPCG(seed, 13))
	x := make([]float64, n*d)
	for i := range x {
		x[i] = math.Exp(0.5*rng.NormFloat64() + float64(i%d)/float64(d))
	}
	return x
}

func (c *checker) estimator(p, p2 *plugin.Plugin) {
	e1, err := plugin.NewEstimator(p)
	if err != nil {
		c.check("estimator", func() error { return err })
		return
	}
	e2, _ := plugin.NewEstimator(p2)
	x, n, d := c.o.fit, c.o.n, c.o.d
	if x == nil {
		n, d = 200, 5
		x = defaultFit(c.o.seed, n, d)
	}
	c.check("estimator: save before fit is an error", func() error {
		_, err := e1.Save(c.ctx)
		if !errors.Is(err, plugin.ErrNotFitted) {
			return fmt.Errorf("want ErrNotFitted, got %v", err)
		}
		return nil
	})
	fitted := false
	c.check("estimator: fit", func() error {
		err := e1.Fit(c.ctx, x, n, d)
		fitted = err == nil
		return err
	})
	if !fitted {
		return
	}
	// In-distribution rows: the fit rows themselves; far rows: scaled by 50.
	inRows := x[:min(n, 100)*d]
	m := len(inRows) / d
	far := make([]float64, len(inRows))
	for i, v := range inRows {
		far[i] = v * 50
	}
	scores := make([]float64, m)
	for _, k := range []int{0, 1, m} {
		c.check(fmt.Sprintf("estimator: score %d rows", k), func() error {
			out := make([]float64, k)
			if err := e1.Score(c.ctx, out, inRows[:k*d], k, d); err != nil {
				return err
			}
			if k == m {
				copy(scores, out)
			}
			return finite("scores", out, true)
		})
	}
	if c.o.checkOOD {
		c.check("estimator: in-distribution scores higher than far away", func() error {
			out := make([]float64, m)
			if err := e1.Score(c.ctx, out, far, m, d); err != nil {
				return err
			}
			if mean(out) >= mean(scores) {
				return fmt.Errorf("mean score %v on far rows, %v on fit rows: higher must mean more in-distribution", mean(out), mean(scores))
			}
			return nil
		})
	}
	c.check("estimator: save, load into a fresh copy, same scores", func() error {
		state, err := e1.Save(c.ctx)
		if err != nil {
			return err
		}
		if err := e2.Load(c.ctx, state); err != nil {
			return err
		}
		out := make([]float64, m)
		if err := e2.Score(c.ctx, out, inRows, m, d); err != nil {
			return err
		}
		return sameBits(scores, out)
	})
	c.check("estimator: fit is deterministic across copies", func() error {
		q, err := c.load(nil)
		if err != nil {
			return err
		}
		defer q.Close(c.ctx)
		e3, _ := plugin.NewEstimator(q)
		if err := e3.Fit(c.ctx, x, n, d); err != nil {
			return err
		}
		out := make([]float64, m)
		if err := e3.Score(c.ctx, out, inRows, m, d); err != nil {
			return err
		}
		return sameBits(scores, out)
	})
	c.check("estimator: garbage state is an error", func() error {
		q, err := c.load(nil)
		if err != nil {
			return err
		}
		defer q.Close(c.ctx)
		e3, _ := plugin.NewEstimator(q)
		return noTrap(e3.Load(c.ctx, []byte("not a state at all")))
	})
	c.check("estimator: wrong feature count is an error", func() error {
		dd := d + 1
		return noTrap(e1.Score(c.ctx, make([]float64, 2), defaultFit(3, 2, dd), 2, dd))
	})
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
