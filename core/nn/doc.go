// Package nn holds the neural-network building blocks of ablate: named
// parameters and parameter sets, initialisation schemes, safetensors save
// and load, and layers built on core/autodiff (Linear, MaskedLinear for
// MADE, Embedding, LayerNorm, RMSNorm, MLP, causal SelfAttention with
// sliding window and RoPE, pre-norm transformer Block).
//
// A layer holds its parameters as *autodiff.Var named by path under the
// name it was built with (NewBlock("enc.block0", ...) owns
// enc.block0.attn.q.weight), lists them with Params (the Module interface)
// and records its computation on the caller's Tape in Forward. SaveVars and
// LoadVars store and restore such parameters by name.
//
// Parameters are named by dotted path (enc.block0.attn.q.weight). A Set
// lists its parameters in sorted name order, so iteration, saving and the
// optimizer's slot order are the same on every run. Initialisers take a
// *rand.Rand from the caller; the package has no mutable state of its own.
package nn
