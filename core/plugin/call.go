package plugin

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// array is one argument array of a call: an input ([]float64, []int32 or
// []byte) or an output of n f64 values (in == nil).
type array struct {
	in   any
	outN int
}

func f64In(v []float64) array { return array{in: v} }
func i32In(v []int32) array   { return array{in: v} }
func f64Out(n int) array      { return array{outN: n} }

func (a array) size() int {
	switch v := a.in.(type) {
	case []float64:
		return 8 * len(v)
	case []int32:
		return 4 * len(v)
	case []byte:
		return len(v)
	}
	return 8 * a.outN
}

func (a array) bytes() []byte {
	switch v := a.in.(type) {
	case []float64:
		b := make([]byte, 8*len(v))
		writeF64s(b, v)
		return b
	case []int32:
		b := make([]byte, 4*len(v))
		writeI32s(b, v)
		return b
	case []byte:
		return v
	}
	return nil
}

func (a array) write(dst []byte) {
	switch v := a.in.(type) {
	case []float64:
		for i, x := range v {
			binary.LittleEndian.PutUint64(dst[8*i:], math.Float64bits(x))
		}
	case []int32:
		writeI32s(dst, v)
	case []byte:
		copy(dst, v)
	}
}

// invoke places arrays in one guest allocation (each 8-aligned), calls
// export with args(ptrs), and hands the output arrays' bytes to read. prep,
// when not nil, runs first on the instance (an estimator loading its state).
func (p *Plugin) invoke(ctx context.Context, export string, arrays []array, args func(ptr []uint32) []uint64,
	read func(outs [][]byte) error, prep func(ctx context.Context, inst *instance) error) error {
	if p.rt == nil {
		return &Error{Plugin: p.name, Digest: p.digest, Call: export, Err: ErrClosed}
	}
	return p.do(ctx, export, func(inst *instance) error {
		if prep != nil {
			if err := prep(ctx, inst); err != nil {
				return err
			}
		}
		return p.invokeOn(ctx, inst, export, arrays, args, read)
	})
}

// invokeOn is invoke on an instance the caller holds.
func (p *Plugin) invokeOn(ctx context.Context, inst *instance, export string, arrays []array, args func(ptr []uint32) []uint64,
	read func(outs [][]byte) error) error {
	{
		cctx, cancel := p.callContext(ctx, export, func() [][]byte {
			var in [][]byte
			for _, a := range arrays {
				if a.in != nil {
					in = append(in, a.bytes())
				}
			}
			return in
		})
		defer cancel()
		total := 0
		offs := make([]int, len(arrays))
		for i, a := range arrays {
			offs[i] = total
			total += (a.size() + abi.Align - 1) &^ (abi.Align - 1)
		}
		if total > math.MaxInt32 {
			return &Error{Plugin: p.name, Digest: p.digest, Call: export,
				Err: fmt.Errorf("%w: the call's arrays take %d bytes, more than a 32-bit memory holds", ErrInput, total)}
		}
		base, err := p.alloc(cctx, inst, uint32(total))
		if err != nil {
			return err
		}
		defer p.free(cctx, inst, base)
		mem := inst.mod.Memory()
		region, _ := mem.Read(base, uint32(total)) // alloc checked the range
		ptrs := make([]uint32, len(arrays))
		for i, a := range arrays {
			ptrs[i] = base + uint32(offs[i])
			a.write(region[offs[i]:])
		}
		if err := p.status(cctx, inst, export, args(ptrs)...); err != nil {
			return err
		}
		// The guest may have grown memory: read through a fresh view.
		region, ok := mem.Read(base, uint32(total))
		if !ok {
			return p.outErr(export, fmt.Errorf("%w: the call's buffers left memory", ErrOutput))
		}
		var outs [][]byte
		for i, a := range arrays {
			if a.in == nil {
				outs = append(outs, region[offs[i]:offs[i]+a.size()])
			}
		}
		return read(outs)
	}
}

// saveState runs ablate_save and copies the state.
func (p *Plugin) saveState(ctx context.Context, inst *instance) ([]byte, error) {
	cctx, cancel := p.callContext(ctx, abi.ExportSave, nil)
	defer cancel()
	res, err := p.callRaw(cctx, inst, abi.ExportSave)
	if err != nil {
		return nil, err
	}
	if _, n := abi.Unpack(res[0]); n == 0 {
		return nil, p.guestErr(cctx, inst, abi.ExportSave, abi.StatusError)
	}
	return p.readPacked(inst, res[0], abi.ExportSave)
}

// loadState runs ablate_load with state.
func (p *Plugin) loadState(ctx context.Context, inst *instance, state []byte) error {
	return p.invokeOn(ctx, inst, abi.ExportLoad, []array{{in: state}}, func(ptr []uint32) []uint64 {
		return []uint64{uint64(ptr[0]), uint64(len(state))}
	}, func([][]byte) error { return nil })
}

// checkFloats reports the first NaN (and ±Inf unless allowInf) in v.
func checkFloats(name string, v []float64, allowInf bool) error {
	for i, x := range v {
		if math.IsNaN(x) || (!allowInf && math.IsInf(x, 0)) {
			return &OutputError{Output: name, Index: i, Value: x}
		}
	}
	return nil
}
