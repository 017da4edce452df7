package autodiff

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/tensor"
)

func advRandDense(rng *rand.Rand, shape ...int) *tensor.Dense[float64] {
	d := tensor.New[float64](shape...)
	for i := range d.Data {
		d.Data[i] = rng.NormFloat64()
	}
	return d
}

// advNaiveAttention is an independent reference: per sequence and head it copies
// out the [seq, dh] matrices, rotates q and k as complex numbers
// (x[2i] + i·x[2i+1]) · e^{i·p·θ_i}, fills masked scores with -Inf and takes
// a plain softmax.
func advNaiveAttention(q, k, v *tensor.Dense[float64], o AttnOpts) []float64 {
	B, S, H := o.Batch, o.Seq, o.Heads
	W := q.Shape[1]
	dh := W / H
	base := o.RoPEBase
	if base == 0 {
		base = 10000
	}
	out := make([]float64, len(q.Data))
	head := func(x *tensor.Dense[float64], b, h, i int) []float64 {
		r := append([]float64(nil), x.Data[(b*S+i)*W+h*dh:(b*S+i)*W+(h+1)*dh]...)
		if o.RoPE && x != v {
			for c := 0; c < dh/2; c++ {
				theta := math.Pow(base, -float64(2*c)/float64(dh))
				z := complex(r[2*c], r[2*c+1]) * cmplx.Exp(complex(0, float64(i)*theta))
				r[2*c], r[2*c+1] = real(z), imag(z)
			}
		}
		return r
	}
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			for i := 0; i < S; i++ {
				qi := head(q, b, h, i)
				scores := make([]float64, S)
				for j := 0; j < S; j++ {
					masked := (o.Causal && j > i) || (o.Window > 0 && math.Abs(float64(i-j)) >= float64(o.Window))
					if masked {
						scores[j] = math.Inf(-1)
						continue
					}
					kj := head(k, b, h, j)
					for c := range qi {
						scores[j] += qi[c] * kj[c]
					}
					scores[j] /= math.Sqrt(float64(dh))
				}
				var z float64
				for j := range scores {
					z += math.Exp(scores[j])
				}
				for j := range scores {
					p := math.Exp(scores[j]) / z
					vj := head(v, b, h, j)
					for c := range vj {
						out[(b*S+i)*W+h*dh+c] += p * vj[c]
					}
				}
			}
		}
	}
	return out
}

var advAttnCases = map[string]AttnOpts{
	"full":               {Batch: 2, Seq: 6, Heads: 3},
	"causal":             {Batch: 2, Seq: 6, Heads: 3, Causal: true},
	"causal window":      {Batch: 2, Seq: 7, Heads: 2, Causal: true, Window: 3},
	"window":             {Batch: 1, Seq: 7, Heads: 2, Window: 2},
	"causal rope":        {Batch: 2, Seq: 6, Heads: 2, Causal: true, RoPE: true},
	"causal window rope": {Batch: 2, Seq: 8, Heads: 2, Causal: true, Window: 3, RoPE: true, RoPEBase: 500},
}

func TestAttentionMatchesNaive(t *testing.T) {
	for name, o := range advAttnCases {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			shape := []int{o.Batch * o.Seq, o.Heads * 4}
			q, k, v := advRandDense(rng, shape...), advRandDense(rng, shape...), advRandDense(rng, shape...)
			tp := NewTape[float64]()
			got := tp.Attention(tp.Const(q), tp.Const(k), tp.Const(v), o).Value.Data
			want := advNaiveAttention(q, k, v, o)
			for i := range want {
				// Both sum the same few terms in float64; 1e-12 leaves room for
				// the different order of operations only.
				if math.Abs(got[i]-want[i]) > 1e-12 {
					t.Fatalf("element %d: got %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestAttentionMasksByPerturbation changes the input at one position and
// checks which outputs move: with a causal mask nothing at earlier positions,
// with a window nothing farther away than the window, and nothing in the other
// sequences of the batch.
func TestAttentionMasksByPerturbation(t *testing.T) {
	for name, o := range advAttnCases {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			shape := []int{o.Batch * o.Seq, o.Heads * 4}
			W := shape[1]
			q, k, v := advRandDense(rng, shape...), advRandDense(rng, shape...), advRandDense(rng, shape...)
			run := func() []float64 {
				tp := NewTape[float64]()
				return tp.Attention(tp.Const(q), tp.Const(k), tp.Const(v), o).Value.Data
			}
			before := run()
			b := o.Batch - 1 // the last sequence of the batch
			for pos := 0; pos < o.Seq; pos++ {
				r := b*o.Seq + pos
				saved := [3][]float64{}
				for x, d := range []*tensor.Dense[float64]{q, k, v} {
					saved[x] = append([]float64(nil), d.Data[r*W:(r+1)*W]...)
					for c := r * W; c < (r+1)*W; c++ {
						d.Data[c] += 1 + rng.Float64()
					}
				}
				after := run()
				for row := 0; row < o.Batch*o.Seq; row++ {
					i := row % o.Seq
					// Query i sees position pos through its own q when i == pos,
					// else through k and v when the masks let it: written out
					// here rather than with AttnOpts.allowed.
					dist := i - pos
					inCausal := !o.Causal || dist >= 0
					inWindow := o.Window == 0 || (dist < o.Window && -dist < o.Window)
					sees := row/o.Seq == b && (i == pos || inCausal && inWindow)
					changed := false
					for c := row * W; c < (row+1)*W; c++ {
						changed = changed || after[c] != before[c]
					}
					if changed != sees {
						t.Fatalf("perturbing position %d of sequence %d: output row %d (position %d) changed=%v, want %v", pos, b, row, i, changed, sees)
					}
				}
				for x, d := range []*tensor.Dense[float64]{q, k, v} {
					copy(d.Data[r*W:(r+1)*W], saved[x])
				}
			}
		})
	}
}

func TestRoPEPreservesNorms(t *testing.T) {
	const seq, heads, dh = 9, 2, 6
	rng := rand.New(rand.NewPCG(7, 8))
	x := advRandDense(rng, seq, heads*dh)
	y := x.Clone()
	cos, sin := ropeTables(seq, dh, 0)
	ropeApply(y.Data, seq, heads, dh, seq, cos, sin, 1)
	for r := 0; r < seq; r++ {
		for h := 0; h < heads; h++ {
			var nx, ny float64
			for c := r*heads*dh + h*dh; c < r*heads*dh+(h+1)*dh; c++ {
				nx += x.Data[c] * x.Data[c]
				ny += y.Data[c] * y.Data[c]
			}
			if math.Abs(nx-ny) > 1e-12*nx {
				t.Errorf("row %d head %d: squared norm %v became %v", r, h, nx, ny)
			}
		}
	}
	// The inverse rotation (used by the backward pass) undoes it.
	ropeApply(y.Data, seq, heads, dh, seq, cos, sin, -1)
	for i := range x.Data {
		if math.Abs(x.Data[i]-y.Data[i]) > 1e-12 {
			t.Fatalf("element %d: inverse rotation gave %v, want %v", i, y.Data[i], x.Data[i])
		}
	}
}

// TestRoPERelativePosition places the same q and k vectors at positions
// (m, n) and (m+s, n+s): after rotation their dot products agree, and differ
// from the one at another offset.
func TestRoPERelativePosition(t *testing.T) {
	const seq, dh = 16, 8
	rng := rand.New(rand.NewPCG(9, 10))
	qv, kv := advRandDense(rng, dh).Data, advRandDense(rng, dh).Data
	dot := func(m, n int) float64 {
		q, k := tensor.New[float64](seq, dh), tensor.New[float64](seq, dh)
		copy(q.Data[m*dh:], qv)
		copy(k.Data[n*dh:], kv)
		cos, sin := ropeTables(seq, dh, 0)
		ropeApply(q.Data, seq, 1, dh, seq, cos, sin, 1)
		ropeApply(k.Data, seq, 1, dh, seq, cos, sin, 1)
		var s float64
		for c := 0; c < dh; c++ {
			s += q.Data[m*dh+c] * k.Data[n*dh+c]
		}
		return s
	}
	for _, mn := range [][2]int{{3, 1}, {1, 3}, {5, 5}, {0, 7}} {
		ref := dot(mn[0], mn[1])
		for s := 1; s+max(mn[0], mn[1]) < seq; s += 3 {
			if got := dot(mn[0]+s, mn[1]+s); math.Abs(got-ref) > 1e-12*(1+math.Abs(ref)) {
				t.Errorf("q at %d, k at %d: dot %v; shifted by %d: %v", mn[0], mn[1], ref, s, got)
			}
		}
	}
	if a, b := dot(3, 1), dot(3, 2); math.Abs(a-b) < 1e-6 {
		t.Errorf("dot products at offsets 2 and 1 agree (%v, %v): rotation has no effect", a, b)
	}
}

// TestWindowAttentionEqualsAttention: the blocked computation gives
// Attention's values and gradients (all three inputs) within 1e-12, with and
// without RoPE, for windows that do and do not divide the length, and for
// sequences short enough to go to Attention whole.
func TestWindowAttentionEqualsAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	randVar := func(tp *Tape[float64], n int) *Var[float64] {
		d := tensor.New[float64](n, 8)
		for i := range d.Data {
			d.Data[i] = rng.NormFloat64()
		}
		return tp.Input(d)
	}
	for _, c := range []struct {
		B, S, w int
		rope    bool
	}{{2, 40, 4, true}, {3, 37, 5, true}, {1, 9, 4, true}, {2, 20, 16, true}, {2, 33, 6, false}} {
		tp := NewTape[float64]()
		q, k, v := randVar(tp, c.B*c.S), randVar(tp, c.B*c.S), randVar(tp, c.B*c.S)
		wts := tp.Const(randVar(tp, c.B*c.S).Value)
		opts := AttnOpts{Batch: c.B, Seq: c.S, Heads: 2, Causal: true, Window: c.w, RoPE: c.rope}
		got := tp.WindowAttention(q, k, v, opts)
		tp.Backward(tp.Sum(tp.Mul(got, wts)))
		gq, gk, gv := append([]float64{}, q.Grad.Data...), append([]float64{}, k.Grad.Data...), append([]float64{}, v.Grad.Data...)
		q2, k2, v2 := tp.Input(q.Value), tp.Input(k.Value), tp.Input(v.Value)
		want := tp.Attention(q2, k2, v2, opts)
		tp.Backward(tp.Sum(tp.Mul(want, wts)))
		for i := range want.Value.Data {
			for _, p := range [][2]float64{{got.Value.Data[i], want.Value.Data[i]}, {gq[i], q2.Grad.Data[i]}, {gk[i], k2.Grad.Data[i]}, {gv[i], v2.Grad.Data[i]}} {
				if math.Abs(p[0]-p[1]) > 1e-12 {
					t.Fatalf("%+v: element %d: blocked %v, whole %v", c, i, p[0], p[1])
				}
			}
		}
	}
}
