// Package metrics computes the numbers ablate's studies report: the
// out-of-distribution detection metrics (AUROC, FPR at 95% TPR, AUPR-in and
// AUPR-out, ROC curve points), likelihood units (bits per byte, bits per
// dimension), and summaries over seeds (mean with a Student-t confidence
// interval, median, Pearson correlation matrices).
//
// Conventions, as in OpenOOD: a score is higher for inputs that look more
// in-distribution (ID). For AUROC, FPR@TPR and AUPR-in the ID set is the
// positive class; AUPR-out treats OOD as positive and ranks by the negated
// score. Ties are handled exactly: AUROC counts a tied ID/OOD pair as one
// half, and every curve has one point per distinct score.
//
// Inputs are never modified. Functions return an error for data-dependent
// failures (an empty set, a NaN score) naming the argument and position.
package metrics
