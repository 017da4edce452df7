package metrics_test

import (
	"fmt"

	"github.com/ablate-ml/ablate/core/metrics"
)

func ExampleDetection() {
	// Scores: higher means more in-distribution.
	id := []float64{0.9, 0.8, 0.4}
	ood := []float64{0.7, 0.3}
	m, err := metrics.Detection(id, ood)
	if err != nil {
		panic(err)
	}
	fmt.Printf("AUROC %.4f  FPR@95TPR %.2f  AUPR-In %.4f  AUPR-Out %.4f\n", m.AUROC, m.FPR95, m.AUPRIn, m.AUPROut)
	// Output: AUROC 0.8333  FPR@95TPR 0.50  AUPR-In 0.9028  AUPR-Out 0.7917
}

func ExampleMean95() {
	iv, err := metrics.Mean95([]float64{0.79, 0.81, 0.77})
	if err != nil {
		panic(err)
	}
	fmt.Println(iv)
	fmt.Printf("[%.3f, %.3f]\n", iv.Lo, iv.Hi)
	// Output:
	// 0.79 ± 0.05 (n=3)
	// [0.740, 0.840]
}
