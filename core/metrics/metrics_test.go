package metrics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// bruteAUROC counts ID/OOD pairs directly: 1 when ID scores higher, 1/2 on a tie.
func bruteAUROC(id, ood []float64) float64 {
	s := 0.0
	for _, a := range id {
		for _, b := range ood {
			switch {
			case a > b:
				s++
			case a == b:
				s += 0.5
			}
		}
	}
	return s / float64(len(id)*len(ood))
}

// distinctDesc returns the distinct values of xs and ys in decreasing order, by brute force.
func distinctDesc(xs, ys []float64) []float64 {
	var out []float64
	seen := map[float64]bool{}
	for _, v := range append(append([]float64{}, xs...), ys...) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for i := range out { // selection sort, descending: deliberately not sort.Sort
		for j := i + 1; j < len(out); j++ {
			if out[j] > out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func countGE(xs []float64, t float64) int {
	n := 0
	for _, x := range xs {
		if x >= t {
			n++
		}
	}
	return n
}

// brutePR is auc(recall, precision) with thresholds at every distinct score,
// counts recomputed from scratch at each threshold.
func brutePR(pos, neg []float64) float64 {
	area, pr, pp := 0.0, 0.0, 1.0
	for _, t := range distinctDesc(pos, neg) {
		tp, fp := countGE(pos, t), countGE(neg, t)
		r, p := float64(tp)/float64(len(pos)), float64(tp)/float64(tp+fp)
		area += (r - pr) * (p + pp) / 2
		pr, pp = r, p
	}
	return area
}

func bruteFPR(id, ood []float64, level float64) float64 {
	for _, t := range distinctDesc(id, ood) {
		if float64(countGE(id, t))/float64(len(id)) >= level {
			return float64(countGE(ood, t)) / float64(len(ood))
		}
	}
	return 1
}

// trapezoid integrates TPR over FPR along the ROC points.
func trapezoid(pts []ROCPoint) float64 {
	a := 0.0
	for i := 1; i < len(pts); i++ {
		a += (pts[i].FPR - pts[i-1].FPR) * (pts[i].TPR + pts[i-1].TPR) / 2
	}
	return a
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestHandComputed(t *testing.T) {
	// Worked by hand (ID positive, one curve point per distinct score):
	// descending: .9 I, .8 I, .7 O, .4 I, .3 O.
	id := []float64{0.9, 0.8, 0.4}
	ood := []float64{0.7, 0.3}
	m, err := Detection(id, ood)
	if err != nil {
		t.Fatal(err)
	}
	want := OOD{AUROC: 5.0 / 6, FPR95: 0.5, AUPRIn: 65.0 / 72, AUPROut: 19.0 / 24}
	if !near(m.AUROC, want.AUROC, 1e-15) || !near(m.FPR95, want.FPR95, 1e-15) ||
		!near(m.AUPRIn, want.AUPRIn, 1e-15) || !near(m.AUPROut, want.AUPROut, 1e-15) {
		t.Fatalf("got %+v, want %+v", m, want)
	}
}

func TestHandComputedTies(t *testing.T) {
	// Descending: 1 I, {0.5 I, 0.5 O}, 0 O. Worked by hand:
	// AUROC: pairs 1>.5, 1>0, .5=.5 (half), .5>0: 3.5/4.
	// ROC points (0,0), (0,.5), (.5,1), (1,1): the first with TPR >= .95 has FPR .5.
	// AUPR-In: (0,1) -> (.5,1) -> (1,2/3) -> (1,1/2): .5 + .5*(1+2/3)/2 = 11/12,
	// what sklearn's auc(recall, precision) gives on precision_recall_curve's
	// precision [.5, 2/3, 1, 1], recall [1, 1, .5, 0].
	// AUPR-Out, ranking by -score: 0 O, {-.5 I, -.5 O}, -1 I: the same shape, 11/12.
	m, err := Detection([]float64{1, 0.5}, []float64{0.5, 0})
	if err != nil {
		t.Fatal(err)
	}
	want := OOD{AUROC: 0.875, FPR95: 0.5, AUPRIn: 11.0 / 12, AUPROut: 11.0 / 12}
	if !near(m.AUROC, want.AUROC, 1e-15) || m.FPR95 != want.FPR95 ||
		!near(m.AUPRIn, want.AUPRIn, 1e-15) || !near(m.AUPROut, want.AUPROut, 1e-15) {
		t.Fatalf("got %+v, want %+v", m, want)
	}
}

func TestTiesAveraged(t *testing.T) {
	for _, c := range []struct {
		name    string
		id, ood []float64
		want    float64
	}{
		{"one tie", []float64{1, 1}, []float64{1, 0}, 0.75},
		{"all tied", []float64{2, 2, 2}, []float64{2, 2}, 0.5},
		{"separated", []float64{3, 4}, []float64{1, 2}, 1},
		{"reversed", []float64{1, 2}, []float64{3, 4}, 0},
		// +Inf beats both OOD scores, 0 beats -Inf and ties 0: 3.5 of 4 pairs.
		{"infinite", []float64{math.Inf(1), 0}, []float64{math.Inf(-1), 0}, 0.875},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := AUROC(c.id, c.ood)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("AUROC = %v, want %v", got, c.want)
			}
		})
	}
}

func TestAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 200; trial++ {
		p, q := 1+rng.IntN(40), 1+rng.IntN(40)
		// Round scores to a coarse grid so ties are frequent.
		grid := float64(1 + rng.IntN(10))
		gen := func(n int, shift float64) []float64 {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = math.Round((rng.NormFloat64()+shift)*grid) / grid
			}
			return xs
		}
		id, ood := gen(p, 0.7), gen(q, 0)
		m, err := Detection(id, ood)
		if err != nil {
			t.Fatal(err)
		}
		pts, err := ROC(id, ood)
		if err != nil {
			t.Fatal(err)
		}
		// Tolerance 1e-12: sums of at most ~80 terms of size <= 1 in float64.
		if b := bruteAUROC(id, ood); !near(m.AUROC, b, 1e-12) {
			t.Fatalf("trial %d: AUROC %v, pair count %v", trial, m.AUROC, b)
		}
		if a := trapezoid(pts); !near(m.AUROC, a, 1e-12) {
			t.Fatalf("trial %d: AUROC %v, ROC trapezoid %v", trial, m.AUROC, a)
		}
		if b := bruteFPR(id, ood, 0.95); m.FPR95 != b {
			t.Fatalf("trial %d: FPR95 %v, brute %v", trial, m.FPR95, b)
		}
		if b := brutePR(id, ood); !near(m.AUPRIn, b, 1e-12) {
			t.Fatalf("trial %d: AUPR-In %v, brute %v", trial, m.AUPRIn, b)
		}
		neg := func(xs []float64) []float64 {
			o := make([]float64, len(xs))
			for i := range xs {
				o[i] = -xs[i]
			}
			return o
		}
		if b := brutePR(neg(ood), neg(id)); !near(m.AUPROut, b, 1e-12) {
			t.Fatalf("trial %d: AUPR-Out %v, brute %v", trial, m.AUPROut, b)
		}
		// AUROC is symmetric under swapping roles and negating scores.
		if s, _ := AUROC(neg(ood), neg(id)); !near(s, m.AUROC, 1e-12) {
			t.Fatalf("trial %d: AUROC not symmetric: %v vs %v", trial, s, m.AUROC)
		}
	}
}

func TestROCEnds(t *testing.T) {
	pts, err := ROC([]float64{3, 1}, []float64{2, 0})
	if err != nil {
		t.Fatal(err)
	}
	want := []ROCPoint{{0, 0, math.Inf(1)}, {0, 0.5, 3}, {0.5, 0.5, 2}, {0.5, 1, 1}, {1, 1, 0}}
	if len(pts) != len(want) {
		t.Fatalf("got %v, want %v", pts, want)
	}
	for i := range pts {
		if pts[i] != want[i] {
			t.Fatalf("point %d: got %v, want %v", i, pts[i], want[i])
		}
	}
}

func TestBadInput(t *testing.T) {
	if _, err := AUROC(nil, []float64{1}); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty id: err = %v, want ErrEmpty", err)
	}
	_, err := Detection([]float64{1}, []float64{0, math.NaN()})
	if err == nil || err.Error() != "metrics: ood scores: element 1 is NaN" {
		t.Fatalf("NaN: err = %v", err)
	}
	if _, err := FPRAtTPR([]float64{1}, []float64{0}, 1.5); err == nil {
		t.Fatal("tpr 1.5 accepted")
	}
}

func TestBits(t *testing.T) {
	// ln 2 nats is exactly one bit.
	if got := BitsPerByte(math.Ln2); got != 1 {
		t.Fatalf("BitsPerByte(ln2) = %v", got)
	}
	// A uniform density on [0,1]^d over 8-bit data scaled by 1/256 has nll 0
	// and must cost exactly 8 bits per dimension.
	if got := BitsPerDimUnitScale(0, 784); !near(got, 8, 1e-12) {
		t.Fatalf("BitsPerDimUnitScale(0, 784) = %v, want 8", got)
	}
	if got := BitsPerDim(784*3*math.Ln2, 784); !near(got, 3, 1e-12) {
		t.Fatalf("BitsPerDim = %v, want 3", got)
	}
}

func TestTQuantileKnownValues(t *testing.T) {
	// Two-sided 95% critical values from standard t tables (6+ digits).
	for _, c := range []struct{ nu, want float64 }{
		{1, 12.7062}, {2, 4.30265}, {4, 2.77645}, {9, 2.26216}, {29, 2.04523}, {1e6, 1.95997},
	} {
		if got := TQuantile(0.975, c.nu); !near(got, c.want, 1e-4) {
			t.Errorf("t_{0.975,%v} = %v, want %v", c.nu, got, c.want)
		}
	}
}

func TestMeanCI(t *testing.T) {
	iv, err := Mean95([]float64{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	// mean 2, s 1, half width t_{0.975,2}/sqrt(3) = 4.302653/1.732051.
	if iv.Mean != 2 || !near(iv.Std, 1, 1e-15) || !near(iv.HalfWidth, 2.484138, 1e-5) ||
		!near(iv.Lo, 2-iv.HalfWidth, 1e-15) {
		t.Fatalf("got %+v", iv)
	}
	one, err := Mean95([]float64{5})
	if err != nil || one.Mean != 5 || !math.IsNaN(one.HalfWidth) || one.String() != "5 (n=1)" {
		t.Fatalf("single value: %+v, %v", one, err)
	}
	if _, err := Mean95(nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty: %v", err)
	}
}

func TestMedian(t *testing.T) {
	xs := []float64{5, 1, 3}
	if m, _ := Median(xs); m != 3 {
		t.Fatalf("odd median %v", m)
	}
	if xs[0] != 5 {
		t.Fatal("Median modified its input")
	}
	if m, _ := Median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Fatalf("even median %v", m)
	}
}

func TestCorrelation(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n, d := 50, 5
	cols := make([][]float64, d)
	for j := range cols {
		cols[j] = make([]float64, n)
		for i := range cols[j] {
			cols[j][i] = rng.NormFloat64()
			if j > 0 {
				cols[j][i] += 0.5 * cols[j-1][i]
			}
		}
	}
	cols[4] = make([]float64, n) // exact linear function of feature 0, negative slope
	for i := range cols[4] {
		cols[4][i] = 3 - 2*cols[0][i]
	}
	r, err := Correlation(cols)
	if err != nil {
		t.Fatal(err)
	}
	for a := 0; a < d; a++ {
		for b := 0; b < d; b++ {
			want := stat.Correlation(cols[a], cols[b], nil) // gonum: an independent implementation
			if !near(r[a][b], want, 1e-12) {
				t.Errorf("r[%d][%d] = %v, gonum %v", a, b, r[a][b], want)
			}
		}
	}
	if !near(r[0][4], -1, 1e-12) {
		t.Errorf("linear features: r = %v, want -1", r[0][4])
	}
	cols[2] = make([]float64, n) // constant
	r, _ = Correlation(cols)
	if !math.IsNaN(r[2][0]) || !math.IsNaN(r[2][2]) {
		t.Errorf("constant feature: r = %v, %v, want NaN", r[2][0], r[2][2])
	}
	if m, err := MedianAbsOffDiagonal([][]float64{{1, -0.5, 0.2}, {-0.5, 1, math.NaN()}, {0.2, math.NaN(), 1}}); err != nil || !near(m, 0.35, 1e-15) {
		t.Errorf("MedianAbsOffDiagonal = %v, %v; want 0.35", m, err)
	}
	if _, err := Correlation([][]float64{{1, 2}, {1}}); err == nil {
		t.Error("ragged features accepted")
	}
}
