package plugin

import (
	"errors"
	"fmt"
)

// Sentinel causes, matched with errors.Is through *Error and *TrapError.
var (
	ErrDigest          = errors.New("plugin: digest mismatch")
	ErrForbiddenImport = errors.New("plugin: forbidden import")
	ErrMissingExport   = errors.New("plugin: missing export")
	ErrSignature       = errors.New("plugin: wrong export signature")
	ErrABIVersion      = errors.New("plugin: unsupported ABI version")
	ErrKind            = errors.New("plugin: wrong kind")
	ErrModule          = errors.New("plugin: not a valid WebAssembly module")
	ErrManifest        = errors.New("plugin: bad manifest")
	ErrParams          = errors.New("plugin: bad parameters")
	ErrInput           = errors.New("plugin: bad input")
	ErrOutput          = errors.New("plugin: bad output")
	ErrGuest           = errors.New("plugin: the plugin reported an error")
	ErrTrap            = errors.New("plugin: trap")
	ErrHostModel       = errors.New("plugin: host model scoring failed")
	ErrDeadline        = errors.New("plugin: call deadline exceeded")
	ErrNotFitted       = errors.New("plugin: estimator not fitted")
	ErrClosed          = errors.New("plugin: closed")
)

// Error is any failure of a plugin other than a trap: at load (Call is
// "load" or the export checked) or in a call the guest finished.
type Error struct {
	Plugin string // the plugin's name (or its file before the manifest is read)
	Digest string // "sha256:<hex>"
	Call   string // the export called, or "load"
	Err    error  // the cause; wraps one of the sentinels
}

func (e *Error) Error() string {
	return fmt.Sprintf("plugin: %s (%s): %s: %v", e.Plugin, short(e.Digest), e.Call, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// TrapError is a call that did not finish: a trap, an exit, a panic in a
// host function the guest called with bad pointers, or the guarded deadline.
// The instance was closed and will be replaced.
type TrapError struct {
	Plugin string
	Digest string
	Export string
	Cause  error
}

func (e *TrapError) Error() string {
	return fmt.Sprintf("plugin: %s (%s): %s: trap (instance replaced): %v", e.Plugin, short(e.Digest), e.Export, e.Cause)
}

func (e *TrapError) Unwrap() []error { return []error{ErrTrap, e.Cause} }

// GuestError is the message a guest returned with a failure status.
type GuestError struct{ Message string }

func (e *GuestError) Error() string { return e.Message }

func (e *GuestError) Is(target error) bool { return target == ErrGuest }

// OutputError is an output value the host refused: NaN (or ±Inf where the
// ABI forbids it) at Index of the named output array.
type OutputError struct {
	Output string
	Index  int
	Value  float64
}

func (e *OutputError) Error() string {
	return fmt.Sprintf("bad output: %s[%d] is %v", e.Output, e.Index, e.Value)
}

func (e *OutputError) Is(target error) bool { return target == ErrOutput }

// short abbreviates a digest for messages: sha256:0123456789ab.
func short(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}
