// Package nn holds the neural-network building blocks of ablate: named
// parameters and parameter sets, initialisation schemes, and safetensors
// save and load.
//
// Parameters are named by dotted path (enc.block0.attn.q.weight). A Set
// lists its parameters in sorted name order, so iteration, saving and the
// optimizer's slot order are the same on every run. Initialisers take a
// *rand.Rand from the caller; the package has no mutable state of its own.
package nn
