package plugin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tetratelabs/wazero/api"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// callKey is the context key of the *callState of the call in progress.
type callKey struct{}

// callState is what host functions know about the call that invoked them.
type callState struct {
	p       *Plugin
	export  string
	inputs  func() [][]byte // the call's input bytes, for the random stream's key
	rng     *rand.ChaCha8   // made on the first ablate.random of the call
	hostErr error           // a failure inside logprob, reported for the whole call
}

// hostSignatures are the imports of module "ablate".
var hostSignatures = map[string][2][]api.ValueType{
	abi.ImportLog:     {i32n(3), nil},
	abi.ImportRandom:  {i32n(2), nil},
	abi.ImportLogProb: {i32n(8), {api.ValueTypeI32}},
}

// newStream keys a ChaCha8 stream by the seed, a purpose and input bytes.
func newStream(seed uint64, purpose string, inputs [][]byte) *rand.ChaCha8 {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(purpose))
	for _, in := range inputs {
		binary.LittleEndian.PutUint64(b[:], uint64(len(in)))
		h.Write(b[:])
		h.Write(in)
	}
	var key [32]byte
	copy(key[:], h.Sum(nil))
	return rand.NewChaCha8(key)
}

// mustRead returns guest memory or panics, which wazero turns into a trap
// of the calling guest: the ABI says a bad pointer traps.
func mustRead(m api.Module, what string, ptr, n uint32) []byte {
	b, ok := m.Memory().Read(ptr, n)
	if !ok {
		panic(fmt.Errorf("%w: %s: %d + %d bytes is outside the %d bytes of memory", ErrOutput, what, ptr, n, m.Memory().Size()))
	}
	return b
}

func (p *Plugin) instantiateHost(ctx context.Context) error {
	b := p.rt.NewHostModuleBuilder(abi.ModuleHost)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(p.hostLog), hostSignatures[abi.ImportLog][0], nil).Export(abi.ImportLog)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(p.hostRandom), hostSignatures[abi.ImportRandom][0], nil).Export(abi.ImportRandom)
	b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(p.hostLogProb), hostSignatures[abi.ImportLogProb][0],
		hostSignatures[abi.ImportLogProb][1]).Export(abi.ImportLogProb)
	_, err := b.Instantiate(ctx)
	return err
}

func (p *Plugin) hostLog(_ context.Context, m api.Module, stack []uint64) {
	level, ptr, n := int32(stack[0]), uint32(stack[1]), uint32(stack[2])
	if n > 64<<10 {
		n = 64 << 10
	}
	msg := strings.ToValidUTF8(string(mustRead(m, "ablate.log message", ptr, n)), "?")
	p.logMu.Lock()
	for line := range strings.SplitSeq(strings.TrimRight(msg, "\n"), "\n") {
		fmt.Fprintf(p.cfg.Log, "%s: %s: %s\n", p.name, abi.LevelName(level), line)
	}
	p.logMu.Unlock()
}

func (p *Plugin) hostRandom(ctx context.Context, m api.Module, stack []uint64) {
	ptr, n := uint32(stack[0]), uint32(stack[1])
	b := mustRead(m, "ablate.random buffer", ptr, n)
	cs, _ := ctx.Value(callKey{}).(*callState)
	if cs == nil {
		cs = &callState{p: p, export: "?"}
	}
	if cs.rng == nil {
		var in [][]byte
		if cs.inputs != nil {
			in = cs.inputs()
		}
		cs.rng = newStream(p.cfg.Seed, cs.export, in)
	}
	_, _ = cs.rng.Read(b)
}

func (p *Plugin) hostLogProb(ctx context.Context, m api.Module, stack []uint64) {
	modelPtr, modelLen := uint32(stack[0]), uint32(stack[1])
	ctxTok, ctxOff, contTok, contOff := uint32(stack[2]), uint32(stack[3]), uint32(stack[4]), uint32(stack[5])
	n, outPtr := int32(stack[6]), uint32(stack[7])
	cs, _ := ctx.Value(callKey{}).(*callState)
	fail := func(err error) {
		err = fmt.Errorf("ablate.logprob: %w", err)
		if cs != nil && cs.hostErr == nil {
			cs.hostErr = err
		}
		p.logMu.Lock()
		fmt.Fprintf(p.cfg.Log, "%s: host: %v\n", p.name, err)
		p.logMu.Unlock()
		stack[0] = uint64(uint32(abi.StatusError))
	}
	words := m.Memory().Size() / 4
	if n < 0 || uint32(n) >= words/2 {
		fail(fmt.Errorf("%w: n is %d", ErrOutput, n))
		return
	}
	model := string(mustRead(m, "ablate.logprob model name", modelPtr, modelLen))
	co := readI32s(mustRead(m, "ablate.logprob ctx_off", ctxOff, 4*uint32(n+1)))
	ko := readI32s(mustRead(m, "ablate.logprob cont_off", contOff, 4*uint32(n+1)))
	if err := checkOffsets("ctx_off", co, -1); err != nil {
		fail(err)
		return
	}
	if err := checkOffsets("cont_off", ko, -1); err != nil {
		fail(err)
		return
	}
	if uint32(co[n]) > words || uint32(ko[n]) > words {
		panic(fmt.Errorf("%w: ablate.logprob: offsets end at %d and %d tokens, more than memory holds", ErrOutput, co[n], ko[n]))
	}
	ct := readI32s(mustRead(m, "ablate.logprob ctx_tok", ctxTok, 4*uint32(co[n])))
	kt := readI32s(mustRead(m, "ablate.logprob cont_tok", contTok, 4*uint32(ko[n])))
	outb := mustRead(m, "ablate.logprob out", outPtr, 8*uint32(n))
	if !utf8.ValidString(model) {
		fail(fmt.Errorf("%w: model name is not UTF-8", ErrOutput))
		return
	}
	if p.cfg.LogProb == nil {
		fail(fmt.Errorf("%w: no host model %q: the study supplies no host models to this plugin", ErrHostModel, model))
		return
	}
	out := make([]float64, n)
	if err := p.cfg.LogProb(ctx, model, ct, co, kt, ko, out); err != nil {
		fail(fmt.Errorf("%w: host model %q: %w", ErrHostModel, model, err))
		return
	}
	writeF64s(outb, out)
	stack[0] = uint64(abi.StatusOK)
}

// checkOffsets checks a ragged offsets array: off[0] = 0, never
// decreasing, and off[n] = total when total >= 0.
func checkOffsets(name string, off []int32, total int) error {
	if len(off) == 0 {
		return fmt.Errorf("%w: %s is empty, want n+1 offsets", ErrInput, name)
	}
	if off[0] != 0 {
		return fmt.Errorf("%w: %s[0] is %d, want 0", ErrInput, name, off[0])
	}
	for i := 1; i < len(off); i++ {
		if off[i] < off[i-1] {
			return fmt.Errorf("%w: %s[%d] = %d is less than %s[%d] = %d", ErrInput, name, i, off[i], name, i-1, off[i-1])
		}
	}
	if total >= 0 && int(off[len(off)-1]) != total {
		return fmt.Errorf("%w: %s ends at %d, but there are %d tokens", ErrInput, name, off[len(off)-1], total)
	}
	return nil
}

func readI32s(b []byte) []int32 {
	v := make([]int32, len(b)/4)
	for i := range v {
		v[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func writeI32s(dst []byte, v []int32) {
	for i, x := range v {
		binary.LittleEndian.PutUint32(dst[4*i:], uint32(x))
	}
}

func writeF64s(dst []byte, v []float64) {
	for i, x := range v {
		binary.LittleEndian.PutUint64(dst[8*i:], math.Float64bits(x))
	}
}

func readF64s(dst []float64, b []byte) {
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
}

// resolveParams checks given against the manifest and returns the JSON
// object of every parameter, defaults filled in, in manifest order.
func resolveParams(m abi.Manifest, given map[string]any) ([]byte, error) {
	known := map[string]abi.Param{}
	names := make([]string, len(m.Params))
	for i, p := range m.Params {
		known[p.Name] = p
		names[i] = p.Name
	}
	keys := make([]string, 0, len(given))
	for k := range given {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := known[k]; !ok {
			if len(names) == 0 {
				return nil, fmt.Errorf("%w: unknown parameter %q: %s takes no parameters", ErrParams, k, m.Name)
			}
			return nil, fmt.Errorf("%w: unknown parameter %q: %s takes %s", ErrParams, k, m.Name, strings.Join(names, ", "))
		}
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, p := range m.Params {
		v := p.Default
		if g, ok := given[p.Name]; ok {
			b, err := json.Marshal(g)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrParams, p.Name, err)
			}
			if err := abi.CheckValue(p.Type, b); err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrParams, p.Name, err)
			}
			v = b
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(p.Name)
		buf.Write(k)
		buf.WriteByte(':')
		var c bytes.Buffer
		if err := json.Compact(&c, v); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrParams, p.Name, err)
		}
		buf.Write(c.Bytes())
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
