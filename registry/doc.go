// Package registry publishes, finds, pins and verifies ablate plugins over
// OCI: any OCI distribution registry (Debian's docker-registry, zot, Harbor,
// GHCR) or, with no server at all, a local OCI image-layout directory
// (~/.cache/ablate/registry, which is also where pulled plugins are cached;
// $ABLATE_REGISTRY names another directory or a remote registry).
//
// A plugin NAME at VERSION is the OCI repository NAME (under the registry's
// prefix) tagged VERSION. Its manifest has the plugin's JSON manifest as its
// config blob (MediaTypeConfig), the module as its one layer
// (MediaTypeWasm), and kind, ABI, version and description as annotations.
// Beside it, the tag VERSION.sig holds an ed25519 signature over the plugin
// manifest's digest, and the tag VERSION.yank, when present, marks the
// version yanked with a reason: kept and still pullable by pin, but excluded
// from range resolution.
//
// Invariants:
//   - Every refusal happens before anything is written: a publish checks the
//     name, version, size, module header, manifest (through an Inspector), ABI
//     and conformance (through a Conformer) before its first push; a pull
//     fetches, checks digests, size, media types, ABI and (when asked)
//     signature in memory before copying into the local cache.
//   - A published version is never overwritten with different content.
//   - Names are lowercase [a-z0-9][a-z0-9._-]* segments joined by '/', with no
//     "..", at most MaxNameLen bytes; versions are strict semver without build
//     metadata (OCI tags cannot hold '+').
//   - Fetched bytes are checked against their descriptor's digest and size,
//     so a tampered blob is refused (ErrDigest).
//
// A Resolver turns `registry:name@range` from an experiment file into module
// bytes, writing ablate.lock beside the experiment on first use; later runs
// take the pinned digest from the local cache, so a sweep runs with the
// registry down once its plugins were pulled.
package registry
