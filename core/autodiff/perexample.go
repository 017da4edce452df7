package autodiff

import (
	"fmt"
	"math"
)

type linearRec[T Float] struct{ x, w, b, out *Var[T] }

type perExample[T Float] struct {
	n, group  int
	normsOnly bool
	ops       []linearRec[T]
}

// PerExample turns on (or off) recording of Linear ops for per-example
// gradient norms; call it before the forward pass. n is the number of
// examples, group the number of consecutive examples whose summed gradient
// is measured (1 = per example). The setting survives Reset; the recorded
// ops do not, so each step measures its own forward pass. A Linear input has n rows (one per example)
// or n*s rows (s contiguous rows per example).
func (tp *Tape[T]) PerExample(on bool, n, group int) {
	if !on {
		tp.pe = nil
		return
	}
	if n <= 0 || group <= 0 {
		panic(fmt.Sprintf("autodiff: PerExample: n=%d, group=%d must be positive", n, group))
	}
	tp.pe = &perExample[T]{n: n, group: group}
}

// NormsOnly, when on together with PerExample, makes Backward skip the
// weight and bias gradients of Linear ops (their Grad is left untouched):
// SqNorms needs only the activations and output gradients, which saves one
// GEMM per layer when the batch gradient itself is not wanted. Call it after
// PerExample.
func (tp *Tape[T]) NormsOnly(on bool) {
	if tp.pe == nil {
		panic("autodiff: NormsOnly: PerExample is not on")
	}
	tp.pe.normsOnly = on
}

// SqNorms returns, after Backward on a SUM of per-example losses, the
// squared L2 norm of the gradient of each group's summed loss, for each
// parameter: result[param][group]. It needs one backward pass: for a weight
// used in Linear ops, ||sum_r x_r^T d_r||^2 = sum_{r,r'} (x_r.x_r')(d_r.d_r')
// over the group's rows r (the ghost norm; for one row per example
// ||x||^2 ||d||^2). It panics naming a parameter that was not used as a
// Linear weight or bias while PerExample was on: such parameters need the
// per-example loop (SqNormsNaive).
func (tp *Tape[T]) SqNorms(params []*Var[T]) [][]float64 {
	pe := tp.pe
	if pe == nil {
		panic("autodiff: SqNorms: PerExample was not on during the forward pass")
	}
	ng := (pe.n + pe.group - 1) / pe.group
	res := make([][]float64, len(params))
	var acc []float64 // bias sums, reused across groups and parameters
	type pair struct{ x, d []T }
	var rs []pair // a group's (input row, output-gradient row) pairs, reused
	var uses []linearRec[T]
	for pi, p := range params {
		res[pi] = make([]float64, ng)
		uses = uses[:0]
		isBias := false
		for _, op := range pe.ops {
			if op.w == p {
				uses = append(uses, op)
			} else if op.b == p {
				uses = append(uses, op)
				isBias = true
			}
		}
		if len(uses) == 0 {
			panic(fmt.Sprintf("autodiff: SqNorms: parameter %q was not used by a Linear op; use the per-example loop (SqNormsNaive)", p.Name))
		}
		if isBias {
			if cap(acc) < p.Value.Len() {
				acc = make([]float64, p.Value.Len())
			}
			acc = acc[:p.Value.Len()]
		}
		for g := 0; g < ng; g++ {
			e0, e1 := g*pe.group, min((g+1)*pe.group, pe.n)
			if isBias {
				clear(acc)
				for _, op := range uses {
					rows, cols := op.out.Grad.Rows(), op.out.Grad.Cols()
					s := pe.rowsPer(op, rows)
					for r := e0 * s; r < e1*s; r++ {
						for j, d := range op.out.Grad.Data[r*cols : (r+1)*cols] {
							acc[j] += float64(d)
						}
					}
				}
				var sq float64
				for _, a := range acc {
					sq += a * a
				}
				res[pi][g] = sq
				continue
			}
			// Collect the group's (x, d) row pairs across all uses.
			rs = rs[:0]
			for _, op := range uses {
				in, out := op.x.Value.Cols(), op.out.Grad.Cols()
				s := pe.rowsPer(op, op.x.Value.Rows())
				for r := e0 * s; r < e1*s; r++ {
					rs = append(rs, pair{op.x.Value.Data[r*in : (r+1)*in], op.out.Grad.Data[r*out : (r+1)*out]})
				}
			}
			var sq float64
			for i := range rs {
				sq += dot(rs[i].x, rs[i].x) * dot(rs[i].d, rs[i].d)
				for j := i + 1; j < len(rs); j++ {
					sq += 2 * dot(rs[i].x, rs[j].x) * dot(rs[i].d, rs[j].d)
				}
			}
			res[pi][g] = math.Max(sq, 0)
		}
	}
	return res
}

func (pe *perExample[T]) rowsPer(op linearRec[T], rows int) int {
	if rows%pe.n != 0 {
		panic(fmt.Sprintf("autodiff: SqNorms: Linear input %v has %d rows, not a multiple of %d examples", op.x.Value.Shape, rows, pe.n))
	}
	return rows / pe.n
}

// dot accumulates in float64, four partial sums for instruction-level
// parallelism.
func dot[T Float](a, b []T) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i]) * float64(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// SqNormsNaive is the per-example loop: for each group of `group`
// consecutive examples among n, it runs loss(tp, examples) (which must
// return the summed loss of those examples) and one Backward, and records
// each parameter's squared gradient norm: result[param][group]. Gradients of
// params are left zeroed. It is the oracle for SqNorms.
func SqNormsNaive[T Float](params []*Var[T], n, group int, loss func(tp *Tape[T], examples []int) *Var[T]) [][]float64 {
	ng := (n + group - 1) / group
	res := make([][]float64, len(params))
	for i := range res {
		res[i] = make([]float64, ng)
	}
	tp := NewTape[T]()
	idx := make([]int, 0, group)
	for g := 0; g < ng; g++ {
		idx = idx[:0]
		for e := g * group; e < min((g+1)*group, n); e++ {
			idx = append(idx, e)
		}
		tp.Reset()
		ZeroGrads(params)
		tp.Backward(loss(tp, idx))
		for pi, p := range params {
			res[pi][g] = dot(p.Grad.Data, p.Grad.Data)
		}
	}
	ZeroGrads(params)
	return res
}
