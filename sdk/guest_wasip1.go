//go:build wasip1

package sdk

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// This file is the ABI glue: the exports of sdk/ABI.md, which decode the
// host's arrays in place and call the registered plugin.

//go:wasmimport ablate log
func importLog(level int32, ptr unsafe.Pointer, n int32)

//go:wasmimport ablate random
func importRandom(ptr unsafe.Pointer, n int32)

//go:wasmimport ablate logprob
func importLogProb(modelPtr unsafe.Pointer, modelLen int32, ctxTok, ctxOff, contTok, contOff unsafe.Pointer, n int32, out unsafe.Pointer) int32

func hostLog(level int32, msg string) {
	if msg == "" {
		return
	}
	b := []byte(msg)
	importLog(level, unsafe.Pointer(&b[0]), int32(len(b)))
}

func hostRandom(b []byte) {
	if len(b) > 0 {
		importRandom(unsafe.Pointer(&b[0]), int32(len(b)))
	}
}

func first[T any](s []T) unsafe.Pointer {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Pointer(&s[0])
}

func hostLogProb(model string, ctxTok, ctxOff, contTok, contOff []int32, out []float64) error {
	m := []byte(model)
	if importLogProb(first(m), int32(len(m)), first(ctxTok), first(ctxOff), first(contTok), first(contOff),
		int32(len(out)), first(out)) != abi.StatusOK {
		return fmt.Errorf("sdk: logprob under host model %q failed (the host logged why)", model)
	}
	return nil
}

// live keeps every buffer handed to the host reachable until it is freed;
// spare keeps a few freed buffers for reuse, so a batch loop does not
// allocate (and zero) megabytes per call.
var (
	live  = map[uintptr][]uint64{}
	spare [][]uint64
)

const (
	maxSpare      = 4
	maxSpareWords = 4 << 20 // 32 MiB: larger buffers go back to the GC
)

// lastErr is the message ablate_error returns; state is the last saved state.
var lastErr, state []byte

//go:wasmexport ablate_abi_version
func exportABIVersion() int32 { return abi.Version }

//go:wasmexport ablate_alloc
func exportAlloc(size int32) unsafe.Pointer {
	if size < 0 {
		return nil
	}
	words := (int(size) + 7) / 8
	if words == 0 {
		words = 1
	}
	var b []uint64 // 8-byte aligned
	for i, s := range spare {
		if cap(s) >= words && cap(s) <= 2*words {
			b = s[:words]
			spare = append(spare[:i], spare[i+1:]...)
			break
		}
	}
	if b == nil {
		b = make([]uint64, words)
	}
	p := unsafe.Pointer(&b[0])
	live[uintptr(p)] = b
	return p
}

//go:wasmexport ablate_free
func exportFree(ptr unsafe.Pointer) {
	b, ok := live[uintptr(ptr)]
	if !ok {
		return
	}
	delete(live, uintptr(ptr))
	if cap(b) > maxSpareWords {
		return
	}
	if len(spare) == maxSpare {
		spare = spare[1:]
	}
	spare = append(spare, b)
}

func pack(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	return int64(abi.Pack(uint32(uintptr(unsafe.Pointer(&b[0]))), uint32(len(b))))
}

//go:wasmexport ablate_manifest
func exportManifest() int64 {
	if registered == nil {
		return 0
	}
	return pack(registered.manifest)
}

//go:wasmexport ablate_error
func exportError() int64 { return pack(lastErr) }

// status runs f, turning an error or a panic into StatusError with a message.
func status(export string, f func() error) (st int32) {
	defer func() {
		if r := recover(); r != nil {
			lastErr = fmt.Appendf(nil, "%s: panic: %v", export, r)
			st = abi.StatusError
		}
	}()
	if registered == nil {
		lastErr = []byte("sdk: no plugin registered (call sdk.Judge, sdk.Bias, sdk.Discount or sdk.Estimator from init)")
		return abi.StatusError
	}
	if err := f(); err != nil {
		lastErr = []byte(err.Error())
		return abi.StatusError
	}
	return abi.StatusOK
}

func bytesAt(p unsafe.Pointer, n int32) []byte {
	if n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}

func i32s(p unsafe.Pointer, n int32) []int32 {
	if n <= 0 {
		return []int32{}
	}
	return unsafe.Slice((*int32)(p), n)
}

func f64s(p unsafe.Pointer, n int) []float64 {
	if n <= 0 {
		return []float64{}
	}
	return unsafe.Slice((*float64)(p), n)
}

var errKind = errors.New("sdk: this export is not of the plugin's kind")

//go:wasmexport ablate_init
func exportInit(ptr unsafe.Pointer, n int32) int32 {
	return status("ablate_init", func() error { return registered.init(bytesAt(ptr, n)) })
}

func groups(pt, po, ct, co, gof unsafe.Pointer, g int32) Groups {
	var gr Groups
	gr.PromptOff = i32s(po, g+1)
	gr.GroupOff = i32s(gof, g+1)
	c := gr.GroupOff[g]
	gr.CandOff = i32s(co, c+1)
	gr.PromptTok = i32s(pt, gr.PromptOff[g])
	gr.CandTok = i32s(ct, gr.CandOff[c])
	return gr
}

//go:wasmexport ablate_judge
func exportJudge(pt, po, ct, co, gof unsafe.Pointer, g int32, out unsafe.Pointer) int32 {
	return status("ablate_judge", func() error {
		if registered.judge == nil {
			return fmt.Errorf("%w: the plugin is a %s", errKind, registered.kind)
		}
		gr := groups(pt, po, ct, co, gof, g)
		return registered.judge(gr, f64s(out, gr.Candidates()))
	})
}

//go:wasmexport ablate_bias
func exportBias(pt, po, ct, co, gof unsafe.Pointer, g int32, scores, out unsafe.Pointer) int32 {
	return status("ablate_bias", func() error {
		if registered.bias == nil {
			return fmt.Errorf("%w: the plugin is a %s", errKind, registered.kind)
		}
		gr := groups(pt, po, ct, co, gof, g)
		c := gr.Candidates()
		return registered.bias(gr, f64s(scores, c), f64s(out, c))
	})
}

//go:wasmexport ablate_discount
func exportDiscount(rewards, mask, control unsafe.Pointer, b, t int32, step int64, out unsafe.Pointer) int32 {
	return status("ablate_discount", func() error {
		if registered.discount == nil {
			return fmt.Errorf("%w: the plugin is a %s", errKind, registered.kind)
		}
		n := int(b) * int(t)
		d := DiscountBatch{Rewards: f64s(rewards, n), Mask: f64s(mask, n), B: int(b), T: int(t), Step: step}
		if control != nil {
			d.Control = f64s(control, n)
		}
		return registered.discount(d, f64s(out, n))
	})
}

func model() (Model, error) {
	if registered.model == nil {
		return nil, fmt.Errorf("%w: the plugin is a %s", errKind, registered.kind)
	}
	return registered.model, nil
}

//go:wasmexport ablate_fit
func exportFit(x unsafe.Pointer, n, d int32) int32 {
	return status("ablate_fit", func() error {
		m, err := model()
		if err != nil {
			return err
		}
		return m.Fit(f64s(x, int(n)*int(d)), int(n), int(d))
	})
}

//go:wasmexport ablate_score
func exportScore(x unsafe.Pointer, m, d int32, out unsafe.Pointer) int32 {
	return status("ablate_score", func() error {
		md, err := model()
		if err != nil {
			return err
		}
		return md.Score(f64s(out, int(m)), f64s(x, int(m)*int(d)), int(m), int(d))
	})
}

//go:wasmexport ablate_save
func exportSave() int64 {
	state = nil
	if status("ablate_save", func() error {
		md, err := model()
		if err != nil {
			return err
		}
		b, err := md.Save()
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return errors.New("sdk: the estimator saved an empty state")
		}
		state = b
		return nil
	}) != abi.StatusOK {
		return 0
	}
	return pack(state)
}

//go:wasmexport ablate_load
func exportLoad(ptr unsafe.Pointer, n int32) int32 {
	return status("ablate_load", func() error {
		md, err := model()
		if err != nil {
			return err
		}
		return md.Load(append([]byte(nil), bytesAt(ptr, n)...))
	})
}
