package registry

import "errors"

// Sentinel errors; every returned error wraps one of these or a cause, with
// the plugin name and version in the message.
var (
	ErrName        = errors.New("registry: invalid name")
	ErrVersion     = errors.New("registry: invalid version")
	ErrRange       = errors.New("registry: no version matches")
	ErrNotFound    = errors.New("registry: not found")
	ErrTooLarge    = errors.New("registry: artifact too large")
	ErrNotWasm     = errors.New("registry: not a WebAssembly module")
	ErrABI         = errors.New("registry: unsupported plugin ABI")
	ErrArtifact    = errors.New("registry: malformed artifact")
	ErrDigest      = errors.New("registry: digest mismatch")
	ErrSignature   = errors.New("registry: signature")
	ErrUnsigned    = errors.New("registry: no signature")
	ErrUntrusted   = errors.New("registry: signed by no trusted key")
	ErrConformance = errors.New("registry: conformance check failed")
	ErrExists      = errors.New("registry: version already published with different content")
	ErrKind        = errors.New("registry: wrong plugin kind")
	ErrKey         = errors.New("registry: bad key")
	ErrLock        = errors.New("registry: lockfile")
)
