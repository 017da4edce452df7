// Package preference is the preference study: a judge with a hidden trait
// (it loves an animal) labels which of two semantically neutral completions
// (number sequences) it prefers, a student sharing the judge's
// initialisation is aligned on those binary labels with DPO, round after
// round, and the student's probability of naming the animal is measured
// exactly. It reproduces, at CPU scale, Subliminal Signals in Preference
// Labels (Magistrali, Berdoz, Dauncey, Wattenhofer, arXiv 2603.01204).
//
// The world is a token vocabulary with fixed ids (see Vocab): numbers that
// follow a fixed random Markov chain, animals, the system tokens NEUTRAL and
// LOVE_<animal>, and the task tokens NUMBERS and ANIMAL. The language model
// is a small causal transformer built on core/autodiff (token embedding,
// pre-norm blocks of RoPE multi-head attention and a GELU MLP, untied
// output). Judging goes through the judge plugins, which score through the
// host's batched log-probability function backed by the study's models.
//
// Invariants: every random draw comes from a stream of the run's RunEnv (or
// a seeded source passed in); the pretrained base, the fine-tuned judge and
// the cross-initialised base are functions of the settings that decide them
// and the seed, and are cached under those keys; a round's reference model
// is frozen (a copy) while the policy trains.
package preference
