// Package discount holds the mathematics of the built-in discount plugins
// (variance reducers for score-function estimators, as in Dauncey &
// Wattenhofer, arXiv 2602.13940): batch-relative centring of per-position
// rewards, discounting G_t = r_t + gamma G_{t+1} within a mask, an optional
// control variate, and the gamma schedules of the none, exponential and
// annealed plugins. It uses only the standard library, so it compiles both
// natively and for GOOS=wasip1.
//
// Arrays are row-major b x t: rewards[i*t+j] is the reward of sequence i at
// position j. Inputs are never modified.
package discount
