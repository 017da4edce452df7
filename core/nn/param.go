package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// Float is the element type of parameters.
type Float interface{ ~float32 | ~float64 }

// Param is a named parameter: row-major data of the given shape.
type Param[T Float] struct {
	Name  string
	Shape []int
	Data  []T
}

// NewParam returns a zero parameter of the given shape.
func NewParam[T Float](name string, shape ...int) *Param[T] {
	n := 1
	for _, s := range shape {
		if s <= 0 {
			panic(fmt.Sprintf("nn: param %q: bad shape %v", name, shape))
		}
		n *= s
	}
	return &Param[T]{Name: name, Shape: append([]int(nil), shape...), Data: make([]T, n)}
}

// Path joins name segments with dots: Path("enc", "block0", "q") is
// "enc.block0.q". Empty segments are skipped.
func Path(parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ".")
}

// Set is a collection of parameters with unique names, listed in sorted
// name order.
type Set[T Float] struct {
	byName map[string]*Param[T]
	sorted []*Param[T]
}

// Add puts parameters into the set; a duplicate or empty name is an error.
func (s *Set[T]) Add(ps ...*Param[T]) error {
	if s.byName == nil {
		s.byName = map[string]*Param[T]{}
	}
	for _, p := range ps {
		if p.Name == "" {
			return fmt.Errorf("nn: set: parameter with empty name (shape %v)", p.Shape)
		}
		if _, dup := s.byName[p.Name]; dup {
			return fmt.Errorf("nn: set: duplicate parameter name %q", p.Name)
		}
		s.byName[p.Name] = p
		s.sorted = append(s.sorted, p)
	}
	sort.Slice(s.sorted, func(i, j int) bool { return s.sorted[i].Name < s.sorted[j].Name })
	return nil
}

// Params returns the parameters in sorted name order (the set's own slice;
// do not modify).
func (s *Set[T]) Params() []*Param[T] { return s.sorted }

// Get returns the named parameter, or nil.
func (s *Set[T]) Get(name string) *Param[T] { return s.byName[name] }

// Len is the number of parameters.
func (s *Set[T]) Len() int { return len(s.sorted) }

// Init is an initialisation scheme for a weight of shape [fanIn, fanOut]
// (or any shape: fanIn is Shape[0], fanOut the product of the rest).
type Init int

const (
	Zeros  Init = iota // all zeros
	Normal             // N(0, 0.02^2)
	Glorot             // uniform in ±sqrt(6/(fanIn+fanOut))
	He                 // N(0, 2/fanIn)
)

// Fill initialises p.Data with the scheme, drawing from rng.
func Fill[T Float](p *Param[T], scheme Init, rng *rand.Rand) {
	fanIn, fanOut := 1, 1
	if len(p.Shape) > 0 {
		fanIn = p.Shape[0]
		for _, s := range p.Shape[1:] {
			fanOut *= s
		}
	}
	switch scheme {
	case Zeros:
		clear(p.Data)
	case Normal:
		for i := range p.Data {
			p.Data[i] = T(0.02 * rng.NormFloat64())
		}
	case Glorot:
		a := math.Sqrt(6 / float64(fanIn+fanOut))
		for i := range p.Data {
			p.Data[i] = T(a * (2*rng.Float64() - 1))
		}
	case He:
		sd := math.Sqrt(2 / float64(fanIn))
		for i := range p.Data {
			p.Data[i] = T(sd * rng.NormFloat64())
		}
	default:
		panic(fmt.Sprintf("nn: fill %q: unknown init scheme %d", p.Name, scheme))
	}
}
