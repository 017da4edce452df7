package estim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The saved state of every estimator starts with stateMagic, a format version
// and the estimator's name, so that loading one estimator's state into another
// fails with a message naming both.
const (
	stateMagic   = "ablate-estim"
	stateVersion = 1
)

// ErrBadState is wrapped by every error from Load.
var ErrBadState = errors.New("estim: bad saved state")

type encoder struct{ b []byte }

func newEncoder(name string) *encoder {
	e := &encoder{}
	e.b = append(e.b, stateMagic...)
	e.u32(stateVersion)
	e.str(name)
	return e
}

func (e *encoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) int(v int)    { e.u32(uint32(v)) }
func (e *encoder) f64(v float64) {
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v))
}
func (e *encoder) str(s string) { e.int(len(s)); e.b = append(e.b, s...) }
func (e *encoder) f64s(v []float64) {
	e.int(len(v))
	for _, x := range v {
		e.f64(x)
	}
}
func (e *encoder) ints(v []int) {
	e.int(len(v))
	for _, x := range v {
		e.int(x)
	}
}

type decoder struct {
	name string
	b    []byte
	off  int
	err  error
}

// newDecoder checks the header of b against the estimator name.
func newDecoder(name string, b []byte) *decoder {
	d := &decoder{name: name, b: b}
	if len(b) < len(stateMagic) || string(b[:len(stateMagic)]) != stateMagic {
		d.err = fmt.Errorf("%w: %s: not an estimator state (no %q header)", ErrBadState, name, stateMagic)
		return d
	}
	d.off = len(stateMagic)
	if v := d.u32(); d.err == nil && v != stateVersion {
		d.fail("format version %d, want %d", v, stateVersion)
	}
	if got := d.str(); d.err == nil && got != name {
		d.fail("state of estimator %q, not %q", got, name)
	}
	return d
}

func (d *decoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s: %s", ErrBadState, d.name, fmt.Sprintf(format, a...))
	}
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b)-d.off < n {
		d.fail("truncated at byte %d (need %d more, have %d)", d.off, n, len(d.b)-d.off)
		return nil
	}
	s := d.b[d.off : d.off+n]
	d.off += n
	return s
}

func (d *decoder) u32() uint32 {
	s := d.take(4)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(s)
}

func (d *decoder) int() int { return int(d.u32()) }

func (d *decoder) f64() float64 {
	s := d.take(8)
	if s == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(s))
}

func (d *decoder) str() string { return string(d.take(d.int())) }

// count reads a length and checks that n elements of size bytes each fit.
func (d *decoder) count(size int) int {
	n := d.int()
	if d.err == nil && n > (len(d.b)-d.off)/size {
		d.fail("length %d at byte %d exceeds the %d bytes left", n, d.off-4, len(d.b)-d.off)
		return 0
	}
	return n
}

func (d *decoder) f64s() []float64 {
	n := d.count(8)
	v := make([]float64, n)
	for i := range v {
		v[i] = d.f64()
	}
	return v
}

func (d *decoder) ints() []int {
	n := d.count(4)
	v := make([]int, n)
	for i := range v {
		v[i] = d.int()
	}
	return v
}

// done reports the first error, or an error if bytes are left over.
func (d *decoder) done() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes", len(d.b)-d.off)
	}
	return d.err
}
