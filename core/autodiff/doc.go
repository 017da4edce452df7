// Package autodiff is ablate's tape-based reverse-mode automatic
// differentiation over core/tensor arrays, for float32 (training) and float64
// (gradient checks, statistics).
//
// Build a model from parameters (NewParam: persistent leaves whose Grad
// accumulates), record a forward pass on a Tape (ops are Tape methods that
// return *Var), call Backward on a scalar loss, read each parameter's Grad,
// step an optimizer, then ZeroGrads and Reset the tape for the next step.
// Reset returns every buffer the ops used to the tape's pool, so a steady
// training loop allocates almost nothing per step; values of non-parameter
// Vars are invalid after Reset.
//
// Broadcasting in binary ops: equal shapes, or one operand a scalar [1], a
// row vector [m] (or [1,m]) or a column [n,1] of the other, seen as 2-D
// (Rows x Cols). Reductions over an axis keep that axis with size 1.
//
// Invariants: ops never modify their inputs' values; shape mismatches are
// programmer errors and panic with the shapes in the message. NoGrad(true)
// turns recording off for evaluation. CheckGrad validates gradients against
// central finite differences. A Tape is not safe for concurrent use.
package autodiff
