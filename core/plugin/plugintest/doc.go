// Package plugintest is the conformance kit for ablate plugins: it runs a
// .wasm in-process under the real host (core/plugin) with golden and
// adversarial inputs for its kind, and reports every failure.
//
// From a test, Run(t, "plugin.wasm") reports failures with t.Errorf;
// RunDir(t, dir) builds a Go plugin directory first (sdk/plugintest.Build).
// Outside tests, Check returns a Report, which `ablate plugin test` prints.
//
// What is checked, by kind:
//   - every kind: the manifest, default parameters, unknown parameters
//     refused, and the same outputs from two separately loaded copies
//     (determinism across instances); no call on valid input may trap.
//   - judge and bias: an empty batch, one pair, a large ragged batch with
//     empty completions and extreme token ids; one finite score per
//     candidate; optionally scores that are probabilities.
//   - discount: 1 x 1, ragged masks with and without a control variate,
//     rewards of 1e6, an all-off mask; finite advantages of the right shape.
//   - estimator: scoring before fit is an error, not a trap; fit then score
//     (m = 0, 1, 500); in-distribution rows score higher on average than
//     far-away rows; save, load into a fresh copy, identical scores bit for
//     bit; a garbage state and a wrong feature count are errors, not traps.
//
// The kit lives under core/ because it runs the host; sdk/plugintest, which
// plugin authors import beside their plugin to build it, stays host-free
// (sdk/ compiles to wasip1 and imports nothing from core/).
package plugintest
