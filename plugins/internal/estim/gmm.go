package estim

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// GMM is a Gaussian mixture on the standardised (log-)features, fitted by EM
// from a k-means++ initialisation refined by k-means (the best of Inits
// starts by log-likelihood), with the number of components chosen by
// the Bayesian information criterion over 1..MaxComponents. Covariances are
// full or diagonal; Reg is added to their diagonals (in standardised units) to
// keep them positive definite. The score is the mixture's log-density, plus
// the Jacobian of the standardisation, so it is a density in the
// (log-)features. Features constant in the fit data are dropped.
type GMM struct {
	MaxComponents int     // >= 1; 0 means 4
	Diagonal      bool    // diagonal instead of full covariances
	MaxIter       int     // EM iterations per start; 0 means 100
	Tol           float64 // stop when the mean log-likelihood gains less; 0 means 1e-3
	Reg           float64 // added to covariance diagonals; 0 means 1e-6
	Inits         int     // EM starts per component count, the best kept; 0 means 3
	NoLog         bool    // model the raw features instead of their logs
	// Rand drives the k-means++ initialisation; Fit needs it.
	Rand *rand.Rand

	d     int
	keep  []int
	mean  []float64 // standardisation
	std   []float64
	mix   mixture
	bic   []float64 // per candidate component count 1..K
	chols []float64 // derived, not saved
}

// mixture is a fitted Gaussian mixture in p dimensions.
type mixture struct {
	k, p    int
	diag    bool
	weights []float64 // k
	means   []float64 // k x p
	covs    []float64 // k x p x p (full) or k x p (diagonal)
}

// Name implements Estimator.
func (*GMM) Name() string { return "gmm" }

func (e *GMM) defaults() (maxK, maxIter, inits int, tol, reg float64) {
	maxK, maxIter, inits, tol, reg = e.MaxComponents, e.MaxIter, e.Inits, e.Tol, e.Reg
	if inits == 0 {
		inits = 3
	}
	if maxK == 0 {
		maxK = 4
	}
	if maxIter == 0 {
		maxIter = 100
	}
	if tol == 0 {
		tol = 1e-3
	}
	if reg == 0 {
		reg = 1e-6
	}
	return
}

// Fit implements Estimator.
func (e *GMM) Fit(x []float64, n, d int) error {
	maxK, maxIter, inits, tol, reg := e.defaults()
	switch {
	case inits < 1:
		return fmt.Errorf("estim: %s: inits is %d, want >= 1", e.Name(), inits)
	case maxK < 1:
		return fmt.Errorf("estim: %s: max components is %d, want >= 1", e.Name(), maxK)
	case maxIter < 1:
		return fmt.Errorf("estim: %s: max iterations is %d, want >= 1", e.Name(), maxIter)
	case !(tol > 0), !(reg > 0), math.IsInf(tol, 0), math.IsInf(reg, 0):
		return fmt.Errorf("estim: %s: tolerance %v and regularisation %v must be finite and > 0", e.Name(), tol, reg)
	case e.Rand == nil:
		return fmt.Errorf("estim: %s: no random source for the k-means++ initialisation", e.Name())
	}
	if err := checkShape(e.Name(), "fit input", x, n, d, 2); err != nil {
		return err
	}
	y, err := transform(e.Name(), "fit input", x, d, !e.NoLog)
	if err != nil {
		return err
	}
	keep := varying(y, n, d)
	if len(keep) == 0 {
		return fmt.Errorf("estim: %s: all %d features are constant in the fit data", e.Name(), d)
	}
	p := len(keep)
	y = columns(y, n, d, keep)
	mean, std := meanStd(y, n, p)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			y[i*p+j] = (y[i*p+j] - mean[j]) / std[j]
		}
	}
	if maxK > n {
		maxK = n
	}
	best, bestBIC := mixture{}, math.Inf(1)
	bics := make([]float64, maxK)
	var lastErr error
	for k := 1; k <= maxK; k++ {
		var m mixture
		ll := math.Inf(-1)
		starts := inits
		if k == 1 {
			starts = 1 // one cluster: every start gives the same fit
		}
		for s := 0; s < starts; s++ {
			ms, trace, err := fitEM(y, n, p, k, e.Diagonal, maxIter, tol, reg, e.Rand)
			if err != nil {
				lastErr = err
				continue
			}
			if l := trace[len(trace)-1]; l > ll {
				m, ll = ms, l
			}
		}
		if m.k == 0 {
			bics[k-1] = math.Inf(1)
			continue
		}
		bics[k-1] = -2*ll + float64(m.nparams())*math.Log(float64(n))
		if bics[k-1] < bestBIC {
			best, bestBIC = m, bics[k-1]
		}
	}
	if best.k == 0 {
		return fmt.Errorf("estim: %s: no component count fits: %w", e.Name(), lastErr)
	}
	chols, err := best.factors()
	if err != nil {
		return fmt.Errorf("estim: %s: %w", e.Name(), err)
	}
	e.d, e.keep, e.mean, e.std, e.mix, e.bic, e.chols = d, keep, mean, std, best, bics, chols
	return nil
}

// Components returns the number of mixture components BIC chose.
func (e *GMM) Components() int { return e.mix.k }

// BIC returns the criterion for each candidate count 1..K (+Inf where EM
// failed).
func (e *GMM) BIC() []float64 { return append([]float64(nil), e.bic...) }

func (m *mixture) nparams() int {
	c := m.p
	if !m.diag {
		c = m.p * (m.p + 1) / 2
	}
	return m.k - 1 + m.k*m.p + m.k*c
}

// factors returns the Cholesky factors of full covariances (nil for diagonal).
func (m *mixture) factors() ([]float64, error) {
	if m.diag {
		for i, v := range m.covs {
			if !(v > 0) || math.IsInf(v, 1) {
				return nil, fmt.Errorf("component %d variance %d is %v", i/m.p, i%m.p, v)
			}
		}
		return nil, nil
	}
	pp := m.p * m.p
	out := make([]float64, 0, m.k*pp)
	for c := 0; c < m.k; c++ {
		l, err := cholesky(m.covs[c*pp:(c+1)*pp], m.p)
		if err != nil {
			return nil, fmt.Errorf("component %d covariance: %w", c, err)
		}
		out = append(out, l...)
	}
	return out, nil
}

// constants returns, per component, log w_c - (p log(2 pi) + log det Sigma_c)/2:
// the part of log w_c N(z; mu_c, Sigma_c) that does not depend on z.
func (m *mixture) constants(chols []float64) []float64 {
	p := m.p
	out := make([]float64, m.k)
	for c := range out {
		var logdet float64
		if m.diag {
			for _, v := range m.covs[c*p : (c+1)*p] {
				logdet += math.Log(v)
			}
		} else {
			logdet = logDetChol(chols[c*p*p:(c+1)*p*p], p)
		}
		out[c] = math.Log(m.weights[c]) - 0.5*(float64(p)*log2Pi+logdet)
	}
	return out
}

// logProbs writes log w_c + log N(z; mu_c, Sigma_c) for every component to
// lp, given the constants.
func (m *mixture) logProbs(lp, z, chols, consts, scratch, u []float64) {
	p := m.p
	for c := 0; c < m.k; c++ {
		mu := m.means[c*p : (c+1)*p]
		var q float64
		if m.diag {
			v := m.covs[c*p : (c+1)*p]
			for j, a := range z[:p] {
				r := a - mu[j]
				q += r * r / v[j]
			}
		} else {
			for j, a := range z[:p] {
				scratch[j] = a - mu[j]
			}
			q = mahalanobis(chols[c*p*p:(c+1)*p*p], p, scratch, u)
		}
		lp[c] = consts[c] - 0.5*q
	}
}

// kmeansPP picks k initial centres from the rows of y by k-means++ seeding.
func kmeansPP(y []float64, n, p, k int, rng *rand.Rand) []float64 {
	centres := make([]float64, 0, k*p)
	centres = append(centres, y[rng.IntN(n)*p:][:p]...)
	d2 := make([]float64, n)
	for i := range d2 {
		d2[i] = math.Inf(1)
	}
	for len(centres) < k*p {
		last := centres[len(centres)-p:]
		sum := 0.0
		for i := 0; i < n; i++ {
			q := 0.0
			for j, a := range y[i*p : (i+1)*p] {
				r := a - last[j]
				q += r * r
			}
			d2[i] = math.Min(d2[i], q)
			sum += d2[i]
		}
		pick := n - 1
		if sum > 0 {
			u := rng.Float64() * sum
			for i, v := range d2 {
				if u -= v; u < 0 {
					pick = i
					break
				}
			}
		} else {
			pick = rng.IntN(n)
		}
		centres = append(centres, y[pick*p:][:p]...)
	}
	return centres
}

// lloydIters bounds the k-means refinement of the k-means++ centres.
const lloydIters = 100

// lloyd refines centres by k-means (Lloyd's algorithm) until no point
// changes cluster, and returns each row's cluster. A cluster left empty
// keeps its centre. Seeding alone often puts two centres in one of two
// well-separated clusters (about 1 start in 4 on the tests' data), from
// which EM can stall in a poor optimum; k-means moves them apart first.
func lloyd(y []float64, n, p, k int, centres []float64) []int {
	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	counts := make([]float64, k)
	for it := 0; it < lloydIters; it++ {
		changed := false
		for i := 0; i < n; i++ {
			best, bestD := 0, math.Inf(1)
			for c := 0; c < k; c++ {
				q := 0.0
				for j := 0; j < p; j++ {
					r := y[i*p+j] - centres[c*p+j]
					q += r * r
				}
				if q < bestD {
					best, bestD = c, q
				}
			}
			if assign[i] != best {
				assign[i], changed = best, true
			}
		}
		if !changed {
			break
		}
		sums := make([]float64, k*p)
		clear(counts)
		for i, c := range assign {
			counts[c]++
			for j := 0; j < p; j++ {
				sums[c*p+j] += y[i*p+j]
			}
		}
		for c := 0; c < k; c++ {
			if counts[c] == 0 {
				continue
			}
			for j := 0; j < p; j++ {
				centres[c*p+j] = sums[c*p+j] / counts[c]
			}
		}
	}
	return assign
}

// fitEM fits a k-component mixture to the n x p matrix y by EM and returns it
// with the total log-likelihood after the initialisation and after every
// M-step (the last entry belongs to the returned mixture).
func fitEM(y []float64, n, p, k int, diag bool, maxIter int, tol, reg float64, rng *rand.Rand) (mixture, []float64, error) {
	assign := lloyd(y, n, p, k, kmeansPP(y, n, p, k, rng))
	resp := make([]float64, n*k)
	for i, c := range assign {
		resp[i*k+c] = 1
	}
	m := mixture{k: k, p: p, diag: diag}
	var trace []float64
	lp := make([]float64, k)
	scratch, u := make([]float64, p), make([]float64, p)
	for it := 0; ; it++ {
		mStep(&m, y, n, resp, reg)
		chols, err := m.factors()
		if err != nil {
			return mixture{}, nil, fmt.Errorf("%d components, EM iteration %d: %w", k, it, err)
		}
		consts := m.constants(chols)
		ll := 0.0
		for i := 0; i < n; i++ {
			m.logProbs(lp, y[i*p:(i+1)*p], chols, consts, scratch, u)
			li := logSumExp(lp)
			ll += li
			for c := 0; c < k; c++ {
				resp[i*k+c] = math.Exp(lp[c] - li)
			}
		}
		if math.IsNaN(ll) {
			return mixture{}, nil, fmt.Errorf("%d components, EM iteration %d: log-likelihood is NaN", k, it)
		}
		trace = append(trace, ll)
		if it+1 >= maxIter || (it > 0 && ll-trace[it-1] < tol*float64(n)) {
			return m, trace, nil
		}
	}
}

// mStep sets the mixture's parameters from the responsibilities.
func mStep(m *mixture, y []float64, n int, resp []float64, reg float64) {
	k, p := m.k, m.p
	const tiny = 10 * 2.220446049250313e-16 // keeps empty components' weights > 0
	m.weights = make([]float64, k)
	m.means = make([]float64, k*p)
	if m.diag {
		m.covs = make([]float64, k*p)
	} else {
		m.covs = make([]float64, k*p*p)
	}
	nk := make([]float64, k)
	for i := 0; i < n; i++ {
		for c := 0; c < k; c++ {
			r := resp[i*k+c]
			nk[c] += r
			for j := 0; j < p; j++ {
				m.means[c*p+j] += r * y[i*p+j]
			}
		}
	}
	for c := 0; c < k; c++ {
		nk[c] += tiny
		m.weights[c] = nk[c] / float64(n)
		for j := 0; j < p; j++ {
			m.means[c*p+j] /= nk[c]
		}
	}
	r := make([]float64, p)
	for i := 0; i < n; i++ {
		for c := 0; c < k; c++ {
			w := resp[i*k+c]
			if w == 0 {
				continue
			}
			for j := 0; j < p; j++ {
				r[j] = y[i*p+j] - m.means[c*p+j]
			}
			if m.diag {
				for j := 0; j < p; j++ {
					m.covs[c*p+j] += w * r[j] * r[j]
				}
				continue
			}
			cv := m.covs[c*p*p : (c+1)*p*p]
			for a, ra := range r {
				wa := w * ra
				row := cv[a*p : a*p+a+1]
				for b := range row {
					row[b] += wa * r[b]
				}
			}
		}
	}
	for c := 0; c < k; c++ {
		if m.diag {
			for j := 0; j < p; j++ {
				m.covs[c*p+j] = m.covs[c*p+j]/nk[c] + reg
			}
			continue
		}
		cv := m.covs[c*p*p : (c+1)*p*p]
		for a := 0; a < p; a++ {
			for b := 0; b <= a; b++ {
				v := cv[a*p+b] / nk[c]
				if a == b {
					v += reg
				}
				cv[a*p+b], cv[b*p+a] = v, v
			}
		}
	}
}

// Score implements Estimator.
func (e *GMM) Score(dst, x []float64, m, d int) error {
	if err := checkScoreArgs(e.Name(), dst, x, m, d, e.d); err != nil {
		return err
	}
	p := len(e.keep)
	jac := 0.0
	for _, s := range e.std {
		jac -= math.Log(s)
	}
	z, scratch, u := make([]float64, p), make([]float64, p), make([]float64, p)
	lp := make([]float64, e.mix.k)
	consts := e.mix.constants(e.chols)
	for i := 0; i < m; i++ {
		for k, j := range e.keep {
			v := x[i*d+j]
			if math.IsNaN(v) || math.IsInf(v, 0) || (!e.NoLog && v <= 0) {
				return fmt.Errorf("estim: %s: score input row %d feature %d is %v, want a finite value (> 0 when logged)", e.Name(), i, j, v)
			}
			if !e.NoLog {
				v = math.Log(v)
			}
			z[k] = (v - e.mean[k]) / e.std[k]
		}
		e.mix.logProbs(lp, z, e.chols, consts, scratch, u)
		dst[i] = logSumExp(lp) + jac
	}
	return nil
}

// Save implements Estimator.
func (e *GMM) Save() ([]byte, error) {
	if e.d == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFitted, e.Name())
	}
	w := newEncoder(e.Name())
	w.int(boolInt(e.NoLog))
	w.int(boolInt(e.mix.diag))
	w.int(e.d)
	w.ints(e.keep)
	w.f64s(e.mean)
	w.f64s(e.std)
	w.int(e.mix.k)
	w.f64s(e.mix.weights)
	w.f64s(e.mix.means)
	w.f64s(e.mix.covs)
	w.f64s(e.bic)
	return w.b, nil
}

// Load implements Estimator.
func (e *GMM) Load(b []byte) error {
	r := newDecoder(e.Name(), b)
	noLog, diag, d, keep, mean, std := r.int() != 0, r.int() != 0, r.int(), r.ints(), r.f64s(), r.f64s()
	k, weights, means, covs, bic := r.int(), r.f64s(), r.f64s(), r.f64s(), r.f64s()
	if err := r.done(); err != nil {
		return err
	}
	if err := checkKeep(d, keep, len(mean), len(std)); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadState, e.Name(), err)
	}
	p := len(keep)
	cs := p * p
	if diag {
		cs = p
	}
	if k < 1 || len(weights) != k || len(means) != k*p || len(covs) != k*cs {
		return fmt.Errorf("%w: %s: %d components with %d weights, %d mean values and %d covariance values for %d features", ErrBadState, e.Name(), k, len(weights), len(means), len(covs), p)
	}
	if err := allFinite(mean, std, weights, means, covs); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadState, e.Name(), err)
	}
	for _, v := range append(append([]float64(nil), std...), weights...) {
		if !(v > 0) {
			return fmt.Errorf("%w: %s: standard deviation or weight %v, want > 0", ErrBadState, e.Name(), v)
		}
	}
	mix := mixture{k: k, p: p, diag: diag, weights: weights, means: means, covs: covs}
	chols, err := mix.factors()
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrBadState, e.Name(), err)
	}
	e.NoLog, e.Diagonal = noLog, diag
	e.d, e.keep, e.mean, e.std, e.mix, e.bic, e.chols = d, keep, mean, std, mix, bic, chols
	return nil
}

var _ Estimator = (*GMM)(nil)
