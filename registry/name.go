package registry

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// MaxNameLen bounds a plugin name in bytes.
const MaxNameLen = 128

var segmentRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// ValidateName checks a plugin name: lowercase [a-z0-9][a-z0-9._-]* segments
// separated by '/', no "..", at most MaxNameLen bytes.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrName)
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%w: %d bytes, at most %d allowed", ErrName, len(name), MaxNameLen)
	}
	if strings.Contains(name, "..") {
		return fmt.Errorf("%w %q: contains \"..\"", ErrName, name)
	}
	for _, seg := range strings.Split(name, "/") {
		if !segmentRE.MatchString(seg) {
			return fmt.Errorf("%w %q: segment %q is not lowercase [a-z0-9][a-z0-9._-]*", ErrName, name, seg)
		}
	}
	return nil
}

// ParseVersion parses a strict semver version (MAJOR.MINOR.PATCH with an
// optional -prerelease, no build metadata: OCI tags cannot hold '+').
func ParseVersion(v string) (*semver.Version, error) {
	sv, err := semver.StrictNewVersion(v)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", ErrVersion, v, err)
	}
	if sv.Metadata() != "" {
		return nil, fmt.Errorf("%w %q: build metadata (+...) is not allowed", ErrVersion, v)
	}
	return sv, nil
}

// Ref is a plugin reference: a name and a version range ("" or "*" for any
// released version; an exact version is a range too).
type Ref struct {
	Name  string
	Range string
}

// String returns name@range, or name when the range is empty.
func (r Ref) String() string {
	if r.Range == "" {
		return r.Name
	}
	return r.Name + "@" + r.Range
}

// ParseRef parses "name", "name@range" or "name@version" and checks both.
func ParseRef(s string) (Ref, error) {
	name, rng, _ := strings.Cut(s, "@")
	if err := ValidateName(name); err != nil {
		return Ref{}, err
	}
	if rng != "" {
		if _, err := semver.NewConstraint(rng); err != nil {
			return Ref{}, fmt.Errorf("%w: range %q of %s: %w", ErrVersion, rng, name, err)
		}
	}
	return Ref{Name: name, Range: rng}, nil
}

// tag names beside a version.
func sigTag(version string) string  { return version + ".sig" }
func yankTag(version string) string { return version + ".yank" }
