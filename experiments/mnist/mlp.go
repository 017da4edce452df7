package mnist

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// mlp is 784-H-10 with ReLU; weights row-major, W1 is in x hidden, W2 is
// hidden x out.
type mlp struct {
	in, hidden, out int
	w1, b1, w2, b2  []float32
}

func newMLP(in, hidden, out int, rng *rand.Rand) *mlp {
	m := &mlp{in: in, hidden: hidden, out: out,
		w1: make([]float32, in*hidden), b1: make([]float32, hidden),
		w2: make([]float32, hidden*out), b2: make([]float32, out)}
	s1 := math.Sqrt(2 / float64(in)) // He initialisation for ReLU
	for i := range m.w1 {
		m.w1[i] = float32(rng.NormFloat64() * s1)
	}
	s2 := math.Sqrt(1 / float64(hidden))
	for i := range m.w2 {
		m.w2[i] = float32(rng.NormFloat64() * s2)
	}
	return m
}

func (m *mlp) params() [][]float32 { return [][]float32{m.w1, m.b1, m.w2, m.b2} }

func (m *mlp) numParams() int { return len(m.w1) + len(m.b1) + len(m.w2) + len(m.b2) }

// matmulTo sets dst (n x p) = a (n x k) b (k x p) + bias (p, may be nil).
func matmulTo(dst, a, b, bias []float32, n, k, p int) {
	for i := 0; i < n; i++ {
		row := dst[i*p : (i+1)*p]
		if bias != nil {
			copy(row, bias)
		} else {
			clear(row)
		}
		ai := a[i*k : (i+1)*k]
		for l, av := range ai {
			if av == 0 {
				continue
			}
			bl := b[l*p : (l+1)*p]
			for j := range row {
				row[j] += av * bl[j]
			}
		}
	}
}

// forward computes hidden pre-activations z (n x H), activations h and
// logits (n x out) for a batch x (n x in).
func (m *mlp) forward(x []float32, n int) (z, h, logits []float32) {
	z = make([]float32, n*m.hidden)
	matmulTo(z, x, m.w1, m.b1, n, m.in, m.hidden)
	h = make([]float32, len(z))
	for i, v := range z {
		if v > 0 {
			h[i] = v
		}
	}
	logits = make([]float32, n*m.out)
	matmulTo(logits, h, m.w2, m.b2, n, m.hidden, m.out)
	return z, h, logits
}

// lossAcc returns the mean cross-entropy of logits against labels, the
// number correct, and (if probs is non-nil) writes the softmax into probs.
func lossAcc(logits []float32, labels []int, out int, probs []float32) (float64, int) {
	loss, correct := 0.0, 0
	for i, y := range labels {
		row := logits[i*out : (i+1)*out]
		mx, arg := row[0], 0
		for j, v := range row {
			if v > mx {
				mx, arg = v, j
			}
		}
		if arg == y {
			correct++
		}
		sum := 0.0
		for _, v := range row {
			sum += math.Exp(float64(v - mx))
		}
		lse := float64(mx) + math.Log(sum)
		loss += lse - float64(row[y])
		if probs != nil {
			for j, v := range row {
				probs[i*out+j] = float32(math.Exp(float64(v) - lse))
			}
		}
	}
	return loss / float64(len(labels)), correct
}

// grad returns the mean loss over the batch and the gradients of every
// parameter, in the order of params().
func (m *mlp) grad(x []float32, labels []int) (float64, [][]float32) {
	n := len(labels)
	z, h, logits := m.forward(x, n)
	d := make([]float32, len(logits))
	loss, _ := lossAcc(logits, labels, m.out, d)
	inv := 1 / float32(n)
	for i, y := range labels {
		d[i*m.out+y]--
	}
	for i := range d {
		d[i] *= inv
	}
	gw2 := make([]float32, len(m.w2))
	gb2 := make([]float32, m.out)
	dh := make([]float32, n*m.hidden)
	for i := 0; i < n; i++ {
		di := d[i*m.out : (i+1)*m.out]
		hi := h[i*m.hidden : (i+1)*m.hidden]
		for j, g := range di {
			gb2[j] += g
		}
		for k, hv := range hi {
			row := gw2[k*m.out : (k+1)*m.out]
			w2k := m.w2[k*m.out : (k+1)*m.out]
			s := float32(0)
			for j, g := range di {
				row[j] += hv * g
				s += w2k[j] * g
			}
			if z[i*m.hidden+k] > 0 {
				dh[i*m.hidden+k] = s
			}
		}
	}
	gw1 := make([]float32, len(m.w1))
	gb1 := make([]float32, m.hidden)
	for i := 0; i < n; i++ {
		dz := dh[i*m.hidden : (i+1)*m.hidden]
		for k, g := range dz {
			gb1[k] += g
		}
		xi := x[i*m.in : (i+1)*m.in]
		for l, xv := range xi {
			if xv == 0 {
				continue
			}
			row := gw1[l*m.hidden : (l+1)*m.hidden]
			for k, g := range dz {
				row[k] += xv * g
			}
		}
	}
	return loss, [][]float32{gw1, gb1, gw2, gb2}
}

// sgd is SGD with heavy-ball momentum.
type sgd struct {
	lr, momentum float32
	vel          [][]float32
}

func (o *sgd) step(params, grads [][]float32) {
	if o.vel == nil {
		for _, p := range params {
			o.vel = append(o.vel, make([]float32, len(p)))
		}
	}
	for i, p := range params {
		if len(grads[i]) != len(p) {
			panic(fmt.Sprintf("mnist: gradient %d has %d values for %d parameters", i, len(grads[i]), len(p)))
		}
		v := o.vel[i]
		for j, g := range grads[i] {
			v[j] = o.momentum*v[j] + g
			p[j] -= o.lr * v[j]
		}
	}
}
