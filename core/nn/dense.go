package nn

import "github.com/ablate-ml/ablate/core/tensor"

// Dense returns a tensor view of the parameter: the same Data, its shape.
// Writes through either are seen by both.
func (p *Param[T]) Dense() *tensor.Dense[T] {
	return tensor.FromSlice(p.Data, p.Shape...)
}

// ParamFromDense wraps a tensor's data as a named parameter (a view, not a
// copy).
func ParamFromDense[T Float](name string, d *tensor.Dense[T]) *Param[T] {
	return &Param[T]{Name: name, Shape: append([]int(nil), d.Shape...), Data: d.Data}
}
