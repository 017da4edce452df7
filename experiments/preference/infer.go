package preference

import (
	"math"
	"math/rand/v2"
)

// state is one sequence being decoded token by token without a tape: the
// transformer's keys and values per layer (rotated keys), or the tokens so
// far for the MLP. It computes exactly what Forward computes, one position
// at a time (the test checks the two against each other).
type state struct {
	m      *Model
	pos    int
	k, v   [][]float64 // per layer, pos*D values
	toks   []int
	x, h   []float64
	qkv    []float64
	att    []float64
	ff     []float64
	logits []float64
	score  []float64
}

func (m *Model) newState() *state {
	d := m.Cfg.D
	st := &state{m: m, x: make([]float64, d), h: make([]float64, max(d, m.Cfg.FF, m.Cfg.Window*d)),
		qkv: make([]float64, 3*d), att: make([]float64, d), ff: make([]float64, m.Cfg.FF),
		logits: make([]float64, m.Cfg.Vocab), k: make([][]float64, len(m.blocks)), v: make([][]float64, len(m.blocks))}
	return st
}

// matVec sets y = x·W + b for W [len(x), len(y)] row-major (b may be nil).
func matVec(y, x, w, b []float64) {
	n := len(y)
	if b != nil {
		copy(y, b)
	} else {
		clear(y)
	}
	for i, xi := range x {
		row := w[i*n : (i+1)*n]
		for j, wij := range row {
			y[j] += xi * wij
		}
	}
}

func layerNorm(y, x, g, b []float64) {
	var mean, vr float64
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		vr += (v - mean) * (v - mean)
	}
	inv := 1 / math.Sqrt(vr/float64(len(x))+1e-5)
	for i, v := range x {
		y[i] = (v-mean)*inv*g[i] + b[i]
	}
}

func gelu(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }

// rope rotates each head of x (one row at position p) as Attention does.
func rope(x []float64, heads, p int) {
	dh := len(x) / heads
	for h := 0; h < heads; h++ {
		for i := 0; i < dh/2; i++ {
			a := float64(p) * math.Pow(10000, -2*float64(i)/float64(dh))
			c, s := math.Cos(a), math.Sin(a)
			u, w := x[h*dh+2*i], x[h*dh+2*i+1]
			x[h*dh+2*i], x[h*dh+2*i+1] = u*c-w*s, u*s+w*c
		}
	}
}

// push appends tok and returns the logits of the next token (a buffer
// reused by the next push).
func (st *state) push(tok int) []float64 {
	m := st.m
	d := m.Cfg.D
	emb := m.emb.Value.Data
	if m.Cfg.Kind == "mlp" {
		st.toks = append(st.toks, tok)
		w := m.Cfg.Window
		in := st.h[:w*d]
		for k := 0; k < w; k++ {
			src := len(st.toks) - w + k
			t := EOS
			if src >= 0 {
				t = st.toks[src]
			}
			copy(in[k*d:(k+1)*d], emb[t*d:(t+1)*d])
		}
		cur := in
		for _, bl := range m.blocks {
			out := make([]float64, m.Cfg.FF)
			matVec(out, cur, bl.w1.Value.Data, bl.b1.Value.Data)
			for i := range out {
				out[i] = math.Tanh(out[i])
			}
			cur = out
		}
		matVec(st.logits, cur, m.out.Value.Data, m.outB.Value.Data)
		return st.logits
	}
	x := st.x
	copy(x, emb[tok*d:(tok+1)*d])
	H := m.Cfg.Heads
	dh := d / H
	scale := 1 / math.Sqrt(float64(dh))
	h := st.h[:d]
	for l, bl := range m.blocks {
		layerNorm(h, x, bl.ln1G.Value.Data, bl.ln1B.Value.Data)
		matVec(st.qkv, h, bl.qkv.Value.Data, nil)
		q, k, v := st.qkv[:d], st.qkv[d:2*d], st.qkv[2*d:]
		rope(q, H, st.pos)
		rope(k, H, st.pos)
		st.k[l] = append(st.k[l], k...)
		st.v[l] = append(st.v[l], v...)
		n := st.pos + 1
		if cap(st.score) < n {
			st.score = make([]float64, n, MaxLen+8)
		}
		sc := st.score[:n]
		for hd := 0; hd < H; hd++ {
			qh := q[hd*dh : (hd+1)*dh]
			mx := math.Inf(-1)
			for j := 0; j < n; j++ {
				kj := st.k[l][j*d+hd*dh : j*d+(hd+1)*dh]
				var s float64
				for c := range qh {
					s += qh[c] * kj[c]
				}
				sc[j] = s * scale
				mx = max(mx, sc[j])
			}
			var z float64
			for j := range sc {
				sc[j] = math.Exp(sc[j] - mx)
				z += sc[j]
			}
			out := st.att[hd*dh : (hd+1)*dh]
			clear(out)
			for j := range sc {
				p := sc[j] / z
				vj := st.v[l][j*d+hd*dh : j*d+(hd+1)*dh]
				for c := range out {
					out[c] += p * vj[c]
				}
			}
		}
		matVec(h, st.att, bl.wo.Value.Data, bl.bo.Value.Data)
		for i := range x {
			x[i] += h[i]
		}
		layerNorm(h, x, bl.ln2G.Value.Data, bl.ln2B.Value.Data)
		matVec(st.ff, h, bl.w1.Value.Data, bl.b1.Value.Data)
		for i := range st.ff {
			st.ff[i] = gelu(st.ff[i])
		}
		matVec(h, st.ff, bl.w2.Value.Data, bl.b2.Value.Data)
		for i := range x {
			x[i] += h[i]
		}
	}
	st.pos++
	layerNorm(h, x, m.lnfG.Value.Data, m.lnfB.Value.Data)
	matVec(st.logits, h, m.out.Value.Data, m.outB.Value.Data)
	return st.logits
}

// Sample continues prompt (at least one token) at the given temperature
// until EOS or MaxCompletion+1 tokens, and returns the completion (EOS
// included when drawn).
func (m *Model) Sample(prompt []int, temperature float64, rng *rand.Rand) []int {
	st := m.newState()
	var logits []float64
	for _, t := range prompt {
		logits = st.push(t)
	}
	var out []int
	p := make([]float64, len(logits))
	for len(out) < MaxCompletion+1 {
		mx := math.Inf(-1)
		for _, l := range logits {
			mx = max(mx, l)
		}
		var z float64
		for j, l := range logits {
			p[j] = math.Exp((l - mx) / temperature)
			z += p[j]
		}
		u := rng.Float64() * z
		tok := len(p) - 1
		for j, q := range p {
			u -= q
			if u < 0 {
				tok = j
				break
			}
		}
		out = append(out, tok)
		if tok == EOS {
			break
		}
		logits = st.push(tok)
	}
	return out
}
