package plugin

// A tiny WebAssembly encoder for purpose-made bad modules: enough for
// functions with constant bodies, one memory, one data segment.

type rawFunc struct {
	export          string
	params, results []byte // value types: 0x7f i32, 0x7e i64
	body            []byte // instructions, without the final end
}

type rawImport struct {
	module, name    string
	params, results []byte
}

type rawModule struct {
	imports []rawImport
	funcs   []rawFunc
	pages   uint32
	data    []byte // placed at dataAt
}

const dataAt = 1024

const (
	i32 = 0x7f
	i64 = 0x7e
)

func uleb(v uint64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

func sleb(v int64) []byte {
	var b []byte
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func str(s string) []byte { return append(uleb(uint64(len(s))), s...) }

func vec(items ...[]byte) []byte {
	b := uleb(uint64(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

func section(id byte, content []byte) []byte {
	return append(append([]byte{id}, uleb(uint64(len(content)))...), content...)
}

// i32c and i64c are constant instructions.
func i32c(v int32) []byte { return append([]byte{0x41}, sleb(int64(v))...) }
func i64c(v int64) []byte { return append([]byte{0x42}, sleb(v)...) }

func packed(ptr, n uint32) []byte { return i64c(int64(uint64(ptr)<<32 | uint64(n))) }

func (m rawModule) bytes() []byte {
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	var types, imports, funcs, exports, codes [][]byte
	typ := func(p, r []byte) uint64 {
		types = append(types, append(append([]byte{0x60}, vec(bytesOf(p)...)...), vec(bytesOf(r)...)...))
		return uint64(len(types) - 1)
	}
	for _, im := range m.imports {
		t := typ(im.params, im.results)
		imports = append(imports, append(append(append(str(im.module), str(im.name)...), 0x00), uleb(t)...))
	}
	for i, f := range m.funcs {
		t := typ(f.params, f.results)
		funcs = append(funcs, uleb(t))
		if f.export != "" {
			exports = append(exports, append(append(str(f.export), 0x00), uleb(uint64(len(m.imports)+i))...))
		}
		body := append(append([]byte{0x00}, f.body...), 0x0b) // no locals
		codes = append(codes, append(uleb(uint64(len(body))), body...))
	}
	exports = append(exports, append(append(str("memory"), 0x02), 0x00))
	pages := m.pages
	if pages == 0 {
		pages = 1
	}
	out = append(out, section(1, vec(types...))...)
	if len(imports) > 0 {
		out = append(out, section(2, vec(imports...))...)
	}
	out = append(out, section(3, vec(funcs...))...)
	out = append(out, section(5, vec(append([]byte{0x00}, uleb(uint64(pages))...)))...)
	out = append(out, section(7, vec(exports...))...)
	out = append(out, section(10, vec(codes...))...)
	if len(m.data) > 0 {
		seg := append(append(append([]byte{0x00}, i32c(dataAt)...), 0x0b), append(uleb(uint64(len(m.data))), m.data...)...)
		out = append(out, section(11, vec(seg))...)
	}
	return out
}

func bytesOf(b []byte) [][]byte {
	v := make([][]byte, len(b))
	for i := range b {
		v[i] = []byte{b[i]}
	}
	return v
}

// rawJudge is a minimal valid judge written without any SDK: it scores
// every candidate 0. Tests mutate copies of it.
func rawJudge(manifest string) rawModule {
	n := uint32(len(manifest))
	return rawModule{
		data: []byte(manifest),
		funcs: []rawFunc{
			{export: "ablate_abi_version", results: []byte{i32}, body: i32c(1)},
			{export: "ablate_alloc", params: []byte{i32}, results: []byte{i32}, body: i32c(4096)},
			{export: "ablate_free", params: []byte{i32}},
			{export: "ablate_manifest", results: []byte{i64}, body: packed(dataAt, n)},
			{export: "ablate_init", params: []byte{i32, i32}, results: []byte{i32}, body: i32c(0)},
			{export: "ablate_error", results: []byte{i64}, body: packed(dataAt, 0)},
			{export: "ablate_judge", params: []byte{i32, i32, i32, i32, i32, i32, i32}, results: []byte{i32}, body: i32c(0)},
		},
	}
}

const rawManifest = `{"abi":1,"name":"raw","kind":"judge","version":"1.0.0","description":"","params":[]}`

// with returns a copy of m with the named export's function replaced (or
// removed when f is nil).
func (m rawModule) with(export string, f *rawFunc) rawModule {
	c := m
	c.funcs = nil
	for _, g := range m.funcs {
		if g.export == export {
			if f == nil {
				continue
			}
			g = *f
		}
		c.funcs = append(c.funcs, g)
	}
	return c
}
