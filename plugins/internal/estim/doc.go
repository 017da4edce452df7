// Package estim holds the mathematics of the built-in OOD density estimators:
// diag-lognormal, chisq, gaussian-full, kde and gmm. It uses only the standard
// library, so it compiles both natively (where it is tested against closed
// forms and brute force) and for GOOS=wasip1 (where the estimator plugins in
// plugins/estimator/* wrap it with the SDK).
//
// Conventions shared by every estimator:
//   - Features arrive row-major: x[i*d+j] is feature j of row i.
//   - A score is a log-density (natural log); higher means more
//     in-distribution.
//   - Inputs are never modified; outputs go to a dst argument.
//   - Features that are constant in the fit data carry no information and are
//     dropped (their indices are kept in the fitted state, so scoring still
//     takes all d columns).
//   - Estimators with a log option (on by default, as the features are squared
//     gradient norms spanning orders of magnitude) score the density of the
//     log-features, without the Jacobian of the log, as diag-lognormal does.
//   - Save returns the fitted state as bytes that are a pure function of the
//     state: Load followed by Save gives the same bytes, and two fits on the
//     same data with the same random stream save identically.
//
// Randomness (the k-means++ initialisation of gmm) comes from a *rand.Rand
// passed in by the caller; the package holds no mutable state of its own.
package estim
