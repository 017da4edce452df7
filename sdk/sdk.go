package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// Info describes a plugin in its manifest. Name and Version are required.
type Info struct {
	Name        string // 1-64 of [a-z0-9._-], e.g. "length"
	Version     string // semantic version, e.g. "1.0.0"
	Description string // one or two sentences: what it computes
}

// Groups is a ragged batch of g groups, each a prompt and its candidate
// completions: prompt i is PromptTok[PromptOff[i]:PromptOff[i+1]], candidate
// c is CandTok[CandOff[c]:CandOff[c+1]], and group i owns candidates
// GroupOff[i] to GroupOff[i+1]-1. The host has checked every offset.
// The slices alias host-written memory that is valid during the call only.
type Groups struct {
	PromptTok, PromptOff []int32
	CandTok, CandOff     []int32
	GroupOff             []int32
}

// Len returns the number of groups.
func (g Groups) Len() int { return len(g.GroupOff) - 1 }

// Candidates returns the total number of candidates (the length of out).
func (g Groups) Candidates() int { return len(g.CandOff) - 1 }

// Prompt returns the tokens of prompt i.
func (g Groups) Prompt(i int) []int32 { return g.PromptTok[g.PromptOff[i]:g.PromptOff[i+1]] }

// Cand returns the tokens of candidate c.
func (g Groups) Cand(c int) []int32 { return g.CandTok[g.CandOff[c]:g.CandOff[c+1]] }

// DiscountBatch is the input of a discount: B x T row-major rewards and mask
// (1 = position present, 0 = padding), an optional control variate (nil when
// the host passes none) and the training step.
type DiscountBatch struct {
	Rewards, Mask, Control []float64
	B, T                   int
	Step                   int64
}

// Model is a fitted-state density estimator. Score writes one score per row,
// higher = more in-distribution (a log-density by convention).
type Model interface {
	Fit(x []float64, n, d int) error
	Score(dst, x []float64, m, d int) error
	Save() ([]byte, error)
	Load(state []byte) error
}

// validator is implemented by parameter structs that check themselves; the
// SDK calls Validate after decoding and reports its error from ablate_init.
type validator interface{ Validate() error }

// plugin is the registered implementation. A module holds exactly one.
type plugin struct {
	manifest []byte
	kind     abi.Kind
	// init decodes parameters and installs the kind function.
	init func(params []byte) error

	judge    func(g Groups, out []float64) error
	bias     func(g Groups, scores, out []float64) error
	discount func(b DiscountBatch, out []float64) error
	model    Model
}

// registered is the module's one plugin. A WebAssembly module is a
// singleton: this is the only package-level state, set once from init.
var registered *plugin

func register(info Info, kind abi.Kind, defaults any, setup func(params []byte) error) {
	if registered != nil {
		panic(fmt.Sprintf("sdk: a second plugin registered (%s %q); a module holds one", kind, info.Name))
	}
	m, err := BuildManifest(info, kind, defaults)
	if err != nil {
		panic(err.Error())
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic("sdk: " + err.Error())
	}
	registered = &plugin{manifest: b, kind: kind, init: setup}
}

// decode fills a copy of defaults from the JSON params object and validates
// it. Unknown keys are errors.
func decode[P any](defaults P, params []byte) (P, error) {
	p := defaults
	if len(bytes.TrimSpace(params)) > 0 && string(bytes.TrimSpace(params)) != "null" {
		dec := json.NewDecoder(bytes.NewReader(params))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return p, fmt.Errorf("sdk: parameters: %w", err)
		}
	}
	if v, ok := any(&p).(validator); ok {
		if err := v.Validate(); err != nil {
			return p, err
		}
	} else if v, ok := any(p).(validator); ok {
		if err := v.Validate(); err != nil {
			return p, err
		}
	}
	return p, nil
}

// Judge registers the module's judge: score writes one score per candidate
// of g to out (len(out) == g.Candidates()), higher = preferred. Call it from
// an init function. defaults is the parameter struct with its default values;
// its exported fields with a json tag are the parameters (a doc tag documents
// each).
func Judge[P any](info Info, defaults P, score func(p P, g Groups, out []float64) error) {
	register(info, abi.KindJudge, defaults, func(params []byte) error {
		p, err := decode(defaults, params)
		if err != nil {
			return err
		}
		registered.judge = func(g Groups, out []float64) error { return score(p, g, out) }
		return nil
	})
}

// Bias registers the module's reward bias: adjust reads the judge's scores
// (one per candidate) and writes adjusted scores to out.
func Bias[P any](info Info, defaults P, adjust func(p P, g Groups, scores, out []float64) error) {
	register(info, abi.KindBias, defaults, func(params []byte) error {
		p, err := decode(defaults, params)
		if err != nil {
			return err
		}
		registered.bias = func(g Groups, s, out []float64) error { return adjust(p, g, s, out) }
		return nil
	})
}

// Discount registers the module's discount (variance reducer): adv writes
// the B x T advantages to out.
func Discount[P any](info Info, defaults P, adv func(p P, b DiscountBatch, out []float64) error) {
	register(info, abi.KindDiscount, defaults, func(params []byte) error {
		p, err := decode(defaults, params)
		if err != nil {
			return err
		}
		registered.discount = func(b DiscountBatch, out []float64) error { return adv(p, b, out) }
		return nil
	})
}

// Estimator registers the module's density estimator: build makes the
// unfitted Model from the decoded parameters.
func Estimator[P any](info Info, defaults P, build func(p P) (Model, error)) {
	register(info, abi.KindEstimator, defaults, func(params []byte) error {
		p, err := decode(defaults, params)
		if err != nil {
			return err
		}
		m, err := build(p)
		if err != nil {
			return err
		}
		registered.model = m
		return nil
	})
}

// BuildManifest returns the manifest of a plugin with the given info, kind
// and parameter defaults (a struct, or nil for no parameters). Parameters are
// the exported fields with a json tag other than "-"; their types map to
// number (floats), integer (ints), boolean, string and slices of those; the
// doc tag is the parameter's documentation.
func BuildManifest(info Info, kind abi.Kind, defaults any) (abi.Manifest, error) {
	m := abi.Manifest{ABI: abi.Version, Name: info.Name, Kind: kind, Version: info.Version,
		Description: info.Description, Params: []abi.Param{}}
	if defaults != nil {
		v := reflect.ValueOf(defaults)
		for v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return m, fmt.Errorf("sdk: %s: parameters are a %s, want a struct", info.Name, v.Type())
		}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			typ, err := paramType(f.Type)
			if err != nil {
				return m, fmt.Errorf("sdk: %s: parameter %s: %w", info.Name, name, err)
			}
			def, err := json.Marshal(v.Field(i).Interface())
			if err != nil {
				return m, fmt.Errorf("sdk: %s: parameter %s: %w", info.Name, name, err)
			}
			if string(def) == "null" { // a nil slice defaults to empty
				def = []byte("[]")
			}
			m.Params = append(m.Params, abi.Param{Name: name, Type: typ, Default: def, Doc: f.Tag.Get("doc")})
		}
	}
	if err := m.Validate(); err != nil {
		return m, fmt.Errorf("sdk: %s: %w", info.Name, err)
	}
	return m, nil
}

func paramType(t reflect.Type) (string, error) {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return abi.TypeNumber, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return abi.TypeInteger, nil
	case reflect.Bool:
		return abi.TypeBoolean, nil
	case reflect.String:
		return abi.TypeString, nil
	case reflect.Slice:
		e, err := paramType(t.Elem())
		if err != nil || t.Elem().Kind() == reflect.Slice {
			break
		}
		return e + "s", nil
	}
	return "", fmt.Errorf("type %s is not a parameter type (number, integer, boolean, string or a slice of one)", t)
}

// Rand returns a generator over the call's deterministic random stream (the
// host's ablate.random). Its values depend only on the plugin's seed, the
// export being called and that call's inputs: the same call gives the same
// numbers on any instance, in any order. Call it inside a kind function.
func Rand() *rand.Rand { return rand.New(hostSource{}) }

// hostSource draws 8 bytes per value from the host.
type hostSource struct{}

func (hostSource) Uint64() uint64 {
	var b [8]byte
	hostRandom(b[:])
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// Random fills b from the call's deterministic random stream.
func Random(b []byte) { hostRandom(b) }

// Debugf, Infof, Warnf and Errorf write one line to the run log, under the
// plugin's name.
func Debugf(format string, a ...any) { hostLog(abi.LevelDebug, fmt.Sprintf(format, a...)) }

// Infof logs at level info.
func Infof(format string, a ...any) { hostLog(abi.LevelInfo, fmt.Sprintf(format, a...)) }

// Warnf logs at level warn.
func Warnf(format string, a ...any) { hostLog(abi.LevelWarn, fmt.Sprintf(format, a...)) }

// Errorf logs at level error. It does not fail the call: return an error
// from the kind function for that.
func Errorf(format string, a ...any) { hostLog(abi.LevelError, fmt.Sprintf(format, a...)) }

// LogProb scores n continuations under the host model named model:
// out[i] = log p(cont_i | ctx_i), with ctx_i = ctxTok[ctxOff[i]:ctxOff[i+1]]
// and likewise cont_i; len(ctxOff) == len(contOff) == len(out)+1. Only
// judges may call it, and only when the study supplies that model.
func LogProb(model string, ctxTok, ctxOff, contTok, contOff []int32, out []float64) error {
	if len(ctxOff) != len(out)+1 || len(contOff) != len(out)+1 {
		return fmt.Errorf("sdk: logprob: %d context offsets and %d continuation offsets for %d outputs, want %d each",
			len(ctxOff), len(contOff), len(out), len(out)+1)
	}
	return hostLogProb(model, ctxTok, ctxOff, contTok, contOff, out)
}
