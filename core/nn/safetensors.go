package nn

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"unsafe"
)

// ErrSafetensors is wrapped by every error Load reports about a malformed file.
var ErrSafetensors = errors.New("nn: bad safetensors file")

// maxHeader bounds the JSON header (100 MB, as the reference implementation).
const maxHeader = 100 << 20

type stEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

func dtypeOf[T Float]() (string, int) {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return "F32", 4
	}
	return "F64", 8
}

// Save writes the parameters in safetensors format: an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and byte
// range, then the raw little-endian data, tensors in sorted name order.
// meta, if not empty, is stored as "__metadata__".
func Save[T Float](w io.Writer, params []*Param[T], meta map[string]string) error {
	ps := append([]*Param[T](nil), params...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	dt, size := dtypeOf[T]()
	hdr := map[string]any{}
	if len(meta) > 0 {
		hdr["__metadata__"] = meta
	}
	var off int64
	for i, p := range ps {
		if i > 0 && ps[i-1].Name == p.Name {
			return fmt.Errorf("nn: save: duplicate tensor name %q", p.Name)
		}
		if p.Name == "__metadata__" || p.Name == "" {
			return fmt.Errorf("nn: save: reserved or empty tensor name %q", p.Name)
		}
		n := int64(len(p.Data) * size)
		hdr[p.Name] = stEntry{DType: dt, Shape: p.Shape, DataOffsets: [2]int64{off, off + n}}
		off += n
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		return fmt.Errorf("nn: save: header: %w", err)
	}
	for len(js)%8 != 0 { // pad with spaces so the data is aligned
		js = append(js, ' ')
	}
	buf := make([]byte, 8, 8+len(js)+int(off))
	binary.LittleEndian.PutUint64(buf, uint64(len(js)))
	buf = append(buf, js...)
	for _, p := range ps {
		for _, x := range p.Data {
			if size == 4 {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(x)))
			} else {
				buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(float64(x)))
			}
		}
	}
	if _, err := w.Write(buf); err != nil {
		return fmt.Errorf("nn: save: %w", err)
	}
	return nil
}

// Load parses a safetensors file held in b. F32 and F64 tensors are
// converted to T. It reports a truncated file, a bad JSON header, an unknown
// dtype, a shape that disagrees with its byte range, and byte ranges out of
// range or overlapping, each naming the tensor.
func Load[T Float](b []byte) (*Set[T], map[string]string, error) {
	if len(b) < 8 {
		return nil, nil, fmt.Errorf("%w: truncated: %d bytes, need 8 for the header length", ErrSafetensors, len(b))
	}
	hl := binary.LittleEndian.Uint64(b)
	if hl > maxHeader {
		return nil, nil, fmt.Errorf("%w: header length %d exceeds %d", ErrSafetensors, hl, maxHeader)
	}
	if uint64(len(b)-8) < hl {
		return nil, nil, fmt.Errorf("%w: truncated: header length %d but only %d bytes follow", ErrSafetensors, hl, len(b)-8)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b[8:8+hl], &raw); err != nil {
		return nil, nil, fmt.Errorf("%w: header JSON: %w", ErrSafetensors, err)
	}
	data := b[8+hl:]
	var meta map[string]string
	type ent struct {
		name string
		e    stEntry
	}
	var ents []ent
	for name, r := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(r, &meta); err != nil {
				return nil, nil, fmt.Errorf("%w: __metadata__: %w", ErrSafetensors, err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(r, &e); err != nil {
			return nil, nil, fmt.Errorf("%w: tensor %q: %w", ErrSafetensors, name, err)
		}
		ents = append(ents, ent{name, e})
	}
	sort.Slice(ents, func(i, j int) bool {
		return ents[i].e.DataOffsets[0] < ents[j].e.DataOffsets[0] ||
			ents[i].e.DataOffsets[0] == ents[j].e.DataOffsets[0] && ents[i].name < ents[j].name
	})
	set := &Set[T]{}
	var prevEnd int64
	prevName := ""
	for _, it := range ents {
		name, e := it.name, it.e
		var size int64
		switch e.DType {
		case "F32":
			size = 4
		case "F64":
			size = 8
		default:
			return nil, nil, fmt.Errorf("%w: tensor %q: unsupported dtype %q (want F32 or F64)", ErrSafetensors, name, e.DType)
		}
		n := int64(1)
		for _, s := range e.Shape {
			if s < 0 {
				return nil, nil, fmt.Errorf("%w: tensor %q: negative dimension in shape %v", ErrSafetensors, name, e.Shape)
			}
			if s > 0 && n > int64(len(data))/int64(s) {
				return nil, nil, fmt.Errorf("%w: tensor %q: shape %v larger than the %d data bytes", ErrSafetensors, name, e.Shape, len(data))
			}
			n *= int64(s)
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo || hi > int64(len(data)) {
			return nil, nil, fmt.Errorf("%w: tensor %q: data_offsets [%d,%d] out of range (data is %d bytes)", ErrSafetensors, name, lo, hi, len(data))
		}
		if hi-lo != n*size {
			return nil, nil, fmt.Errorf("%w: tensor %q: shape %v of %s needs %d bytes, data_offsets give %d", ErrSafetensors, name, e.Shape, e.DType, n*size, hi-lo)
		}
		if lo < prevEnd {
			return nil, nil, fmt.Errorf("%w: tensor %q: data_offsets [%d,%d] overlap tensor %q ending at %d", ErrSafetensors, name, lo, hi, prevName, prevEnd)
		}
		if hi > lo {
			prevEnd, prevName = hi, name
		}
		p := &Param[T]{Name: name, Shape: append([]int{}, e.Shape...), Data: make([]T, n)}
		src := data[lo:hi]
		for i := range p.Data {
			if size == 4 {
				p.Data[i] = T(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:])))
			} else {
				p.Data[i] = T(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
			}
		}
		if err := set.Add(p); err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrSafetensors, err)
		}
	}
	return set, meta, nil
}
