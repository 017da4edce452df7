package autodiff

import (
	"fmt"
	"math"

	"github.com/ablate-ml/ablate/core/tensor"
)

// AttnOpts describes the layout and masking of Attention.
//
// q, k and v are [Batch*Seq, Heads*dh]: the rows of one sequence are
// contiguous, and head h owns columns [h*dh, (h+1)*dh). Query i may attend to
// key j of the same sequence when
//   - Causal is false or j <= i, and
//   - Window is 0, or i-j < Window (causal), or |i-j| < Window (not causal):
//     a window of w keys, the query's own position included.
//
// RoPE rotates q and k by position (rotary embeddings, pairs of adjacent
// columns (2i, 2i+1) within each head, frequency RoPEBase^(-2i/dh); RoPEBase
// 0 means 10000) before the scores are taken; dh must then be even.
type AttnOpts struct {
	Batch, Seq, Heads int
	Causal            bool
	Window            int
	RoPE              bool
	RoPEBase          float64
}

func (o AttnOpts) allowed(i, j int) bool {
	if o.Causal && j > i {
		return false
	}
	if o.Window > 0 {
		dist := i - j
		if dist < 0 {
			dist = -dist
		}
		return dist < o.Window
	}
	return true
}

// span returns the keys [lo, hi) that query i may attend to in a sequence
// of s positions: allowed(i, j) holds exactly for lo <= j < hi.
func (o AttnOpts) span(i, s int) (lo, hi int) {
	lo, hi = 0, s
	if o.Causal {
		hi = i + 1
	}
	if o.Window > 0 {
		lo = max(lo, i-o.Window+1)
		if !o.Causal {
			hi = min(hi, i+o.Window)
		}
	}
	return lo, hi
}

// ropeTables returns cos and sin of the rotation angles, [seq, dh/2].
func ropeTables(seq, dh int, base float64) (cos, sin []float64) {
	if base == 0 {
		base = 10000
	}
	half := dh / 2
	cos, sin = make([]float64, seq*half), make([]float64, seq*half)
	for p := 0; p < seq; p++ {
		for i := 0; i < half; i++ {
			a := float64(p) * math.Pow(base, -2*float64(i)/float64(dh))
			cos[p*half+i], sin[p*half+i] = math.Cos(a), math.Sin(a)
		}
	}
	return cos, sin
}

// ropeApply rotates every head of dst's rows (positions row % seq) in place;
// sign -1 applies the inverse rotation (used for gradients).
func ropeApply[T tensor.Float](dst []T, rows, heads, dh, seq int, cos, sin []float64, sign float64) {
	half, w := dh/2, heads*dh
	for r := 0; r < rows; r++ {
		p := r % seq
		for h := 0; h < heads; h++ {
			x := dst[r*w+h*dh : r*w+(h+1)*dh]
			for i := 0; i < half; i++ {
				c, s := cos[p*half+i], sign*sin[p*half+i]
				a, b := float64(x[2*i]), float64(x[2*i+1])
				x[2*i], x[2*i+1] = T(a*c-b*s), T(a*s+b*c)
			}
		}
	}
}

// Attention is multi-head scaled dot-product attention, softmax(q·kᵀ/√dh)·v
// per sequence and head, with the masks and rotary embeddings of opts. The
// result has q's shape. It panics when the shapes do not match opts.
func (tp *Tape[T]) Attention(q, k, v *Var[T], opts AttnOpts) *Var[T] {
	B, S, H := opts.Batch, opts.Seq, opts.Heads
	if B <= 0 || S <= 0 || H <= 0 || opts.Window < 0 {
		panic(fmt.Sprintf("autodiff: Attention: bad options %+v", opts))
	}
	qs, ks, vs := q.Value.Shape, k.Value.Shape, v.Value.Shape
	if len(qs) != 2 || fmt.Sprint(qs) != fmt.Sprint(ks) || fmt.Sprint(qs) != fmt.Sprint(vs) {
		panic(fmt.Sprintf("autodiff: Attention: q %v, k %v, v %v must be equal 2-D shapes", qs, ks, vs))
	}
	if qs[0] != B*S || qs[1]%H != 0 {
		panic(fmt.Sprintf("autodiff: Attention: shape %v does not fit batch %d × seq %d rows and %d heads", qs, B, S, H))
	}
	W := qs[1]
	dh := W / H
	if opts.RoPE && dh%2 != 0 {
		panic(fmt.Sprintf("autodiff: Attention: RoPE needs an even head size, got %d", dh))
	}
	// Rotated copies of q and k (plain copies without RoPE).
	qr, kr := tp.alloc(qs...), tp.alloc(qs...)
	copy(qr.Data, q.Value.Data)
	copy(kr.Data, k.Value.Data)
	var cos, sin []float64
	if opts.RoPE {
		cos, sin = ropeTables(S, dh, opts.RoPEBase)
		ropeApply(qr.Data, B*S, H, dh, S, cos, sin, 1)
		ropeApply(kr.Data, B*S, H, dh, S, cos, sin, 1)
	}
	scale := 1 / math.Sqrt(float64(dh))
	probs := tp.alloc(B, H, S, S) // softmax weights, 0 where masked
	out := advNew(tp.alloc(qs...))
	P, Q, K, V, Y := probs.Data, qr.Data, kr.Data, v.Value.Data, out.Value.Data
	for b := 0; b < B; b++ {
		for h := 0; h < H; h++ {
			for i := 0; i < S; i++ {
				p := P[((b*H+h)*S+i)*S : ((b*H+h)*S+i+1)*S]
				qi := Q[(b*S+i)*W+h*dh : (b*S+i)*W+(h+1)*dh]
				mx := math.Inf(-1)
				lo, hi := opts.span(i, S)
				for j := lo; j < hi; j++ {
					kj := K[(b*S+j)*W+h*dh : (b*S+j)*W+(h+1)*dh]
					var s float64
					for c := range qi {
						s += float64(qi[c]) * float64(kj[c])
					}
					s *= scale
					p[j] = T(s)
					mx = math.Max(mx, s)
				}
				var z float64
				for j := lo; j < hi; j++ {
					e := math.Exp(float64(p[j]) - mx)
					p[j] = T(e)
					z += e
				}
				yi := Y[(b*S+i)*W+h*dh : (b*S+i)*W+(h+1)*dh]
				for j := lo; j < hi; j++ {
					p[j] = T(float64(p[j]) / z)
					vj := V[(b*S+j)*W+h*dh : (b*S+j)*W+(h+1)*dh]
					for c := range yi {
						yi[c] += p[j] * vj[c]
					}
				}
			}
		}
	}
	// Gradients with respect to the rotated q and k, rotated back at the end
	// of the backward pass, and one row of gradients of the weights.
	dqBuf, dkBuf, dpBuf := tp.alloc(qs...), tp.alloc(qs...), tp.alloc(S)
	return tp.advRecord(out, func() {
		gq, gk, gv := advGrad(q), advGrad(k), advGrad(v)
		gy := out.Grad.Data
		dq, dk, dp := dqBuf.Data, dkBuf.Data, dpBuf.Data
		clear(dq)
		clear(dk)
		for b := 0; b < B; b++ {
			for h := 0; h < H; h++ {
				for i := 0; i < S; i++ {
					p := P[((b*H+h)*S+i)*S : ((b*H+h)*S+i+1)*S]
					gyi := gy[(b*S+i)*W+h*dh : (b*S+i)*W+(h+1)*dh]
					var dot float64
					lo, hi := opts.span(i, S)
					for j := lo; j < hi; j++ {
						o := (b*S+j)*W + h*dh
						vj := V[o : o+dh]
						var s float64
						for c := range gyi {
							s += float64(gyi[c]) * float64(vj[c])
						}
						dp[j] = T(s)
						dot += float64(p[j]) * s
						if gv != nil {
							for c := range gyi {
								gv[o+c] += p[j] * gyi[c]
							}
						}
					}
					qo := (b*S+i)*W + h*dh
					for j := lo; j < hi; j++ {
						ds := T(float64(p[j]) * (float64(dp[j]) - dot) * scale)
						ko := (b*S+j)*W + h*dh
						for c := 0; c < dh; c++ {
							dq[qo+c] += ds * K[ko+c]
							dk[ko+c] += ds * Q[qo+c]
						}
					}
				}
			}
		}
		if opts.RoPE {
			ropeApply(dq, B*S, H, dh, S, cos, sin, -1)
			ropeApply(dk, B*S, H, dh, S, cos, sin, -1)
		}
		for i := range dq {
			if gq != nil {
				gq[i] += dq[i]
			}
			if gk != nil {
				gk[i] += dk[i]
			}
		}
	}, q, k, v)
}

// WindowAttention is Attention for causal sliding-window attention
// (opts.Causal, opts.Window = w > 0) computed on overlapping blocks of 2w
// rows instead of one S x S score matrix per sequence and head: the queries
// [jw, (j+1)w) of a sequence sit in a block that also holds the w rows
// before them, so every key they may see is in their block, and RoPE
// depends on offsets only. The result equals Attention's up to rounding
// (RoPE's angles are taken from the block's start), with 2w/S of its score
// memory: at S = 256 and w = 16, 8x less. Sequences no longer than 2w go to
// Attention as they are.
func (tp *Tape[T]) WindowAttention(q, k, v *Var[T], opts AttnOpts) *Var[T] {
	if !opts.Causal || opts.Window <= 0 {
		panic(fmt.Sprintf("autodiff: WindowAttention needs causal attention with a window, got %+v", opts))
	}
	B, S, w := opts.Batch, opts.Seq, opts.Window
	L := 2 * w
	if S <= L {
		return tp.Attention(q, k, v, opts)
	}
	if B <= 0 || len(q.Value.Shape) != 2 || q.Value.Shape[0] != B*S {
		panic(fmt.Sprintf("autodiff: WindowAttention: q %v does not hold batch %d × seq %d rows", q.Value.Shape, B, S))
	}
	nb := (S + w - 1) / w
	rows := make([]int, 0, B*nb*L)
	pick := make([]int, 0, B*S)
	for b := 0; b < B; b++ {
		for j := 0; j < nb; j++ {
			s0 := min(max(j*w-w, 0), S-L)
			blk := len(rows) / L
			for r := 0; r < L; r++ {
				rows = append(rows, b*S+s0+r)
			}
			for t := j * w; t < min((j+1)*w, S); t++ {
				pick = append(pick, blk*L+t-s0)
			}
		}
	}
	block := opts
	block.Batch, block.Seq = B*nb, L
	a := tp.Attention(tp.SelectRows(q, rows), tp.SelectRows(k, rows), tp.SelectRows(v, rows), block)
	return tp.SelectRows(a, pick)
}
