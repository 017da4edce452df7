package train

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// ErrState is wrapped by errors about a malformed packed state.
var ErrState = errors.New("malformed packed state")

const stateMagic = "ablate-state1"

// PackState joins named parts of a model's state (parameters, optimiser
// moments, random streams, data position) into one blob for Stateful.State,
// in sorted name order so equal states give equal bytes.
func PackState(parts map[string][]byte) []byte {
	names := make([]string, 0, len(parts))
	for k := range parts {
		names = append(names, k)
	}
	slices.Sort(names)
	b := []byte(stateMagic)
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, n := range names {
		b = binary.AppendUvarint(b, uint64(len(n)))
		b = append(b, n...)
		b = binary.AppendUvarint(b, uint64(len(parts[n])))
		b = append(b, parts[n]...)
	}
	return b
}

// UnpackState splits a blob made by PackState. The parts alias b. want
// lists the names the caller needs; a missing one is an error naming it.
func UnpackState(b []byte, want ...string) (map[string][]byte, error) {
	if len(b) < len(stateMagic) || string(b[:len(stateMagic)]) != stateMagic {
		return nil, fmt.Errorf("train: state: bad magic: %w", ErrState)
	}
	b = b[len(stateMagic):]
	// next reads a length, minimally encoded, that fits in what remains.
	next := func(what string) (int, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > uint64(len(b)-n) || n != len(binary.AppendUvarint(nil, v)) {
			return 0, fmt.Errorf("train: state: bad %s: %w", what, ErrState)
		}
		b = b[n:]
		return int(v), nil
	}
	count, err := next("part count")
	if err != nil {
		return nil, err
	}
	out := make(map[string][]byte, count)
	prev := ""
	for i := 0; i < count; i++ {
		n, err := next("name length")
		if err != nil {
			return nil, err
		}
		name := string(b[:n])
		if i > 0 && name <= prev {
			return nil, fmt.Errorf("train: state: part %q after %q: names must be sorted and distinct: %w", name, prev, ErrState)
		}
		prev = name
		b = b[n:]
		m, err := next("length of part " + name)
		if err != nil {
			return nil, err
		}
		out[name] = b[:m:m]
		b = b[m:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("train: state: %d trailing bytes: %w", len(b), ErrState)
	}
	for _, w := range want {
		if _, ok := out[w]; !ok {
			return nil, fmt.Errorf("train: state: no part %q (have %d parts): %w", w, len(out), ErrState)
		}
	}
	return out, nil
}
