// Package prefs holds the logic of the built-in judge and reward-bias plugins:
// the random, length and trait judges and the none, label-flip and
// token-bonus biases. It works on a Batch — g groups, each a prompt and k >= 2
// candidate completions, as flat token arrays with offsets — and uses only
// the standard library, so it compiles both natively and for GOOS=wasip1.
//
// Scores follow the judge convention: one per candidate, higher = preferred.
// Randomness comes from a *rand.Rand passed in, consumed in batch order, so a
// plugin fed by the host's deterministic stream is reproducible.
package prefs
