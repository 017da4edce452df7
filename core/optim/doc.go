// Package optim holds the parameter update rules of ablate: SGD with momentum,
// Adam and AdamW, global-norm gradient clipping, and learning-rate schedules.
//
// The rules work on parallel lists of value and gradient slices
// (StepSlices); slot i of the lists is the same parameter on every call, and
// each optimizer keeps its per-slot state (velocity, moments) itself, created
// on the first step. Gradients are never modified except by ClipGlobalNorm,
// whose purpose is to scale them. Arithmetic is done in float64 and stored
// back in the slice's element type.
//
// Adam splits slots of 32768 elements or more into contiguous chunks updated
// by GOMAXPROCS goroutines; every element's update depends only on its own
// state, so the result is the same bit for bit whatever the split.
//
// Step and ClipGradNorm do the same on autodiff parameters (Value and Grad of
// each *autodiff.Var, slot i being params[i]).
package optim
