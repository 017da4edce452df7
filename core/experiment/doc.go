// Package experiment reads experiment files, expands their sweeps into runs
// with stable identities, and runs them into a results store shared by any
// number of processes.
//
// An experiment file is TOML. ablate reads six top-level keys itself:
//
//	study       the registered study to run (required)
//	name        the sweep's name (default: the file's base name)
//	description free text
//	seeds       the seeds, an axis of their own (default [0])
//	[plugins.<slot>]  use = "builtin-name" | "builtin:name" | "path.wasm" |
//	            "registry:name@range"; trust = "guarded" | "trusted"; [params]
//	[sweep]     grid = {key = [values]} crossed; zip = {key = [values]} or
//	            [[sweep.zip]] groups that advance together
//
// Every other top-level key belongs to the study and is decoded strictly
// into its settings struct. Command-line overrides (key=value, the value in
// TOML syntax or a bare string) are applied before the sweep expands; an
// override of a swept key pins it. Decoding reports every problem at once —
// unknown keys, wrong types, values out of range, plugins or data that
// cannot be found — each with file, line and key, before anything runs.
//
// Invariants:
//   - A run's identity (Identity) is sha256 over the host version, the study,
//     the seed, the canonical TOML of its decoded settings (defaults
//     included), its plugins' slots, digests and parameters, and its data
//     digests. Names, descriptions, how a plugin is spelled and its trust
//     level do not enter it.
//   - The store never shows a summary for a run that did not finish: the
//     study's metrics are synced, then summary.json is written atomically,
//     then status.json says done. A run killed at any point is recomputed on
//     the next pass; a finished one never is (unless forced).
//   - Processes share a root through exclusive claim files; a claim whose
//     process is dead (same host) or whose heartbeat is older than the TTL
//     may be taken over.
//   - The package holds no mutable package-level state; studies, resolvers
//     and randomness are passed in.
package experiment
