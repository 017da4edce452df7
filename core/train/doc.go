// Package train runs training loops: it calls a step function n times,
// runs evaluation hooks every so many steps, logs metrics as JSON lines,
// checkpoints and resumes, shows progress, and stops cleanly when its
// context is cancelled.
//
// The loop knows nothing of models or gradients. The model side supplies a
// Stepper (one optimisation step) and, to be checkpointed, a Stateful
// (its whole state as bytes: parameters, optimiser moments and random
// stream). Invariants:
//
//   - Steps are numbered 1..n. Step i runs once per completed run; a
//     checkpoint records the number of completed steps.
//   - Resuming from a checkpoint written after step k restores the state,
//     truncates the metrics log to what it held at step k, and continues
//     with step k+1, so an interrupted and resumed run writes the same log
//     and reaches the same state as an uninterrupted one.
//   - Every log record keeps timing in its "time" object and nothing else
//     there: with the same seed, two runs' logs are byte-identical once the
//     "time" objects are removed. Keys are written in sorted order.
//   - Files are written atomically (temporary file, fsync, rename), so a
//     killed process leaves the previous checkpoint or the new one, never a
//     torn one.
//   - Cancellation is honoured between steps: the loop writes a checkpoint
//     of the completed steps and returns an error wrapping ctx.Err().
package train
