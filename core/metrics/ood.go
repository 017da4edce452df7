package metrics

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// ErrEmpty is returned (wrapped) when a score set or sample has no elements.
var ErrEmpty = errors.New("metrics: empty input")

// checkScores rejects empty sets and NaN scores, naming the set; ±Inf is
// a valid score (a log-likelihood of -Inf ranks last).
func checkScores(name string, xs []float64) error {
	if len(xs) == 0 {
		return fmt.Errorf("metrics: %s scores: %w", name, ErrEmpty)
	}
	for i, x := range xs {
		if math.IsNaN(x) {
			return fmt.Errorf("metrics: %s scores: element %d is NaN", name, i)
		}
	}
	return nil
}

// scored is one example: its score and whether it is in-distribution.
type scored struct {
	s  float64
	id bool
}

// merged returns every example sorted by decreasing score.
func merged(id, ood []float64) []scored {
	all := make([]scored, 0, len(id)+len(ood))
	for _, s := range id {
		all = append(all, scored{s, true})
	}
	for _, s := range ood {
		all = append(all, scored{s, false})
	}
	slices.SortFunc(all, func(a, b scored) int { return cmp.Compare(b.s, a.s) })
	return all
}

// AUROC returns the area under the ROC curve with ID as the positive class:
// the probability that a random ID example scores higher than a random OOD
// example, a tie counting one half. It is computed from average ranks
// (Mann–Whitney U) in O(n log n).
func AUROC(id, ood []float64) (float64, error) {
	if err := checkScores("id", id); err != nil {
		return 0, err
	}
	if err := checkScores("ood", ood); err != nil {
		return 0, err
	}
	return aurocSorted(merged(id, ood), len(id), len(ood)), nil
}

// aurocSorted is AUROC over examples sorted by decreasing score.
func aurocSorted(all []scored, nid, nood int) float64 {
	// Ranks ascending: the highest score has rank n. Ties share the mean rank.
	n := len(all)
	var rankSumID float64
	for i := 0; i < n; {
		j := i
		for j < n && all[j].s == all[i].s {
			j++
		}
		// Positions i..j-1 in descending order have ascending ranks
		// n-j+1 .. n-i; their mean is (2n-i-j+1)/2.
		r := float64(2*n-i-j+1) / 2
		for k := i; k < j; k++ {
			if all[k].id {
				rankSumID += r
			}
		}
		i = j
	}
	p, q := float64(nid), float64(nood)
	u := rankSumID - p*(p+1)/2
	return u / (p * q)
}

// ROCPoint is one point of a ROC curve: at threshold T, the fraction of ID
// examples with score >= T (TPR) and the fraction of OOD examples with
// score >= T (FPR).
type ROCPoint struct {
	FPR, TPR, Threshold float64
}

// ROC returns the ROC curve with ID as positive: the point (0, 0) at
// threshold +Inf, then one point per distinct score in decreasing order,
// ending at (1, 1). It is what scikit-learn's roc_curve returns with
// drop_intermediate=False.
func ROC(id, ood []float64) ([]ROCPoint, error) {
	if err := checkScores("id", id); err != nil {
		return nil, err
	}
	if err := checkScores("ood", ood); err != nil {
		return nil, err
	}
	return rocSorted(merged(id, ood), len(id), len(ood)), nil
}

// rocSorted is ROC over examples sorted by decreasing score.
func rocSorted(all []scored, nid, nood int) []ROCPoint {
	p, q := float64(nid), float64(nood)
	pts := []ROCPoint{{0, 0, math.Inf(1)}}
	tp, fp := 0, 0
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].s == all[i].s {
			if all[j].id {
				tp++
			} else {
				fp++
			}
			j++
		}
		pts = append(pts, ROCPoint{float64(fp) / q, float64(tp) / p, all[i].s})
		i = j
	}
	return pts
}

// FPRAtTPR returns the fraction of OOD examples accepted as ID when the
// threshold is the highest one that accepts at least a fraction tpr of the
// ID examples (an example is accepted when its score >= threshold). This is
// fpr[argmax(tpr >= level)] over the ROC curve with ID as positive.
func FPRAtTPR(id, ood []float64, tpr float64) (float64, error) {
	if !(tpr > 0 && tpr <= 1) {
		return 0, fmt.Errorf("metrics: tpr level %v outside (0, 1]", tpr)
	}
	pts, err := ROC(id, ood)
	if err != nil {
		return 0, err
	}
	return fprAt(pts, tpr), nil
}

func fprAt(pts []ROCPoint, tpr float64) float64 {
	for _, pt := range pts {
		if pt.TPR >= tpr {
			return pt.FPR
		}
	}
	return 1 // unreachable: the last point has TPR 1
}

// FPR95 is FPRAtTPR(id, ood, 0.95): FPR@95TPR.
func FPR95(id, ood []float64) (float64, error) { return FPRAtTPR(id, ood, 0.95) }

// prArea is the trapezoidal area under a precision-recall curve whose
// positives are pos, ranked by decreasing score. The curve starts at
// (recall 0, precision 1) and has one point per distinct score, as
// scikit-learn's precision_recall_curve; the area is auc(recall, precision).
func prArea(pos, neg []float64) float64 {
	return prAreaSorted(merged(pos, neg), true, len(pos))
}

// prAreaSorted computes prArea over examples sorted by decreasing score
// (reversed: by increasing score, which ranks by the negated score), the
// positives being those whose id field equals posID.
func prAreaSorted(all []scored, posID bool, npos int) float64 {
	P := float64(npos)
	n := len(all)
	at := func(k int) scored { return all[k] }
	if !posID {
		at = func(k int) scored { return all[n-1-k] }
	}
	area := 0.0
	prevR, prevP := 0.0, 1.0
	tp, fp := 0, 0
	for i := 0; i < n; {
		j := i
		for j < n && at(j).s == at(i).s {
			if at(j).id == posID {
				tp++
			} else {
				fp++
			}
			j++
		}
		r := float64(tp) / P
		pr := float64(tp) / float64(tp+fp)
		area += (r - prevR) * (pr + prevP) / 2
		prevR, prevP = r, pr
		i = j
	}
	return area
}

// AUPRIn returns the area under the precision-recall curve with ID as the
// positive class, ranked by score (OpenOOD's AUPR-In).
func AUPRIn(id, ood []float64) (float64, error) {
	if err := checkScores("id", id); err != nil {
		return 0, err
	}
	if err := checkScores("ood", ood); err != nil {
		return 0, err
	}
	return prArea(id, ood), nil
}

// AUPROut returns the area under the precision-recall curve with OOD as the
// positive class, ranked by the negated score (OpenOOD's AUPR-Out).
func AUPROut(id, ood []float64) (float64, error) {
	if err := checkScores("id", id); err != nil {
		return 0, err
	}
	if err := checkScores("ood", ood); err != nil {
		return 0, err
	}
	return prAreaSorted(merged(id, ood), false, len(ood)), nil
}

// OOD holds the four detection metrics for one (ID, OOD) pair of score sets.
type OOD struct {
	AUROC   float64 `json:"auroc"`
	FPR95   float64 `json:"fpr95"`
	AUPRIn  float64 `json:"aupr_in"`
	AUPROut float64 `json:"aupr_out"`
}

// Detection computes AUROC, FPR@95TPR, AUPR-In and AUPR-Out at once.
func Detection(id, ood []float64) (OOD, error) {
	if err := checkScores("id", id); err != nil {
		return OOD{}, err
	}
	if err := checkScores("ood", ood); err != nil {
		return OOD{}, err
	}
	all := merged(id, ood)
	var m OOD
	m.AUROC = aurocSorted(all, len(id), len(ood))
	m.FPR95 = fprAt(rocSorted(all, len(id), len(ood)), 0.95)
	m.AUPRIn = prAreaSorted(all, true, len(id))
	m.AUPROut = prAreaSorted(all, false, len(ood))
	return m, nil
}
