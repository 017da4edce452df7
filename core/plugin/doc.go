// Package plugin is ablate's WebAssembly host: it loads plugins (sdk/ABI.md,
// version 1) with wazero, checks them, and exposes the four kinds as typed
// Go values that implement the interfaces studies consume: Judge, Bias,
// Discount and Estimator.
//
// Loading (Load, LoadFile) checks, in order and each with a named error: the
// pinned sha256 digest; that every import is from "ablate" (a known name) or
// "wasi_snapshot_preview1"; the common exports and their signatures; the ABI
// version; the manifest (strict JSON); the kind against the one asked for;
// the kind's exports; the parameters against the manifest (unknown keys,
// wrong types), with defaults filled in; and ablate_init on a first instance.
// The module is compiled once, with wazero's compilation cache on disk.
//
// Invariants:
//   - An instance runs one call at a time; a *Plugin holds a pool of them
//     (at most Config.MaxInstances) and is safe for concurrent use.
//   - Memory is always capped (Config.MemoryLimitPages). In Guarded mode
//     (the zero Trust) every call has a deadline and is stopped when it
//     passes; Trusted calls are faster but cannot be interrupted.
//   - After any trap, exit or deadline the instance is closed and replaced;
//     the call returns a *TrapError naming plugin, digest, export and cause.
//     Every other failure is an *Error with the same names. The host never
//     panics because of a guest.
//   - Inputs are never modified. Every guest output is checked: packed
//     pointers and lengths in range, and NaN (±Inf for discounts) is an
//     error naming the index.
//   - A guest's random stream for a call depends only on Config.Seed, the
//     export and the call's inputs; WASI clocks are fake; there are no files,
//     sockets, environment or arguments. Guest stdout, stderr and ablate.log
//     go to Config.Log, each line prefixed with the plugin's name.
package plugin
