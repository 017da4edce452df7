// Package abi holds the names, numbers and layouts of ablate's plugin ABI,
// version 1, as constants: the one source of truth shared by the guest SDK
// (package sdk, built for GOOS=wasip1) and the host (core/plugin). The prose
// contract is sdk/ABI.md; every name here is spelled there.
//
// The package imports only the standard library and builds for every GOOS,
// so a host and a guest can never disagree on a name.
package abi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Version is the ABI version a plugin returns from ablate_abi_version and
// writes as "abi" in its manifest. The host refuses any other.
const Version = 1

// Import modules. A module may import functions only from these two.
const (
	ModuleHost = "ablate"
	ModuleWASI = "wasi_snapshot_preview1"
)

// Common exports, required of every plugin.
const (
	ExportABIVersion = "ablate_abi_version" // () -> i32
	ExportAlloc      = "ablate_alloc"       // (size i32) -> ptr i32; 0 = cannot
	ExportFree       = "ablate_free"        // (ptr i32)
	ExportManifest   = "ablate_manifest"    // () -> i64 packed ptr<<32|len of JSON
	ExportInit       = "ablate_init"        // (ptr, len i32) -> status i32
	ExportError      = "ablate_error"       // () -> i64 packed message of the last failure
	// ExportInitialize is the WASI reactor start function; the host runs it
	// once at instantiation when it is exported.
	ExportInitialize = "_initialize"
)

// Kind exports.
const (
	// (prompt_tok, prompt_off, cand_tok, cand_off, group_off, g i32, out i32) -> status i32
	ExportJudge = "ablate_judge"
	// (prompt_tok, prompt_off, cand_tok, cand_off, group_off, g i32, scores, out i32) -> status i32
	ExportBias = "ablate_bias"
	// (rewards, mask, control_or_0, b, t i32, step i64, out i32) -> status i32
	ExportDiscount = "ablate_discount"
	// (x, n, d i32) -> status i32
	ExportFit = "ablate_fit"
	// (x, m, d, out i32) -> status i32
	ExportScore = "ablate_score"
	// () -> i64 packed state; len 0 with a message in ablate_error = failure
	ExportSave = "ablate_save"
	// (ptr, len i32) -> status i32
	ExportLoad = "ablate_load"
)

// Host imports, module ModuleHost.
const (
	// (level, ptr, len i32)
	ImportLog = "log"
	// (ptr, len i32): fills len bytes from the call's deterministic stream
	ImportRandom = "random"
	// (model_ptr, model_len, ctx_tok, ctx_off, cont_tok, cont_off, n, out i32) -> status i32
	ImportLogProb = "logprob"
)

// Status codes returned by kind functions, ablate_init and logprob.
const (
	StatusOK    int32 = 0
	StatusError int32 = 1 // any non-zero status is a failure; the message is in ablate_error
)

// Log levels for the log import.
const (
	LevelDebug int32 = 0
	LevelInfo  int32 = 1
	LevelWarn  int32 = 2
	LevelError int32 = 3
)

// LevelName returns the lower-case name of a log level ("info"), or
// "level N" for an unknown one.
func LevelName(l int32) string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelWarn:
		return "warn"
	case LevelError:
		return "error"
	}
	return fmt.Sprintf("level %d", l)
}

// Align is the alignment, in bytes, that ablate_alloc must give every
// pointer it returns: f64 arrays are read in place.
const Align = 8

// Kind is what a plugin does; it names the exports it must have.
type Kind string

// The four kinds.
const (
	KindJudge     Kind = "judge"
	KindBias      Kind = "bias"
	KindDiscount  Kind = "discount"
	KindEstimator Kind = "estimator"
)

// Kinds lists every kind, in a fixed order.
var Kinds = [...]Kind{KindJudge, KindBias, KindDiscount, KindEstimator}

// Valid reports whether k is one of the four kinds.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// CommonExports lists the exports every plugin must have.
func CommonExports() []string {
	return []string{ExportABIVersion, ExportAlloc, ExportFree, ExportManifest, ExportInit, ExportError}
}

// Exports lists the kind-specific exports a plugin of kind k must have.
func (k Kind) Exports() []string {
	switch k {
	case KindJudge:
		return []string{ExportJudge}
	case KindBias:
		return []string{ExportBias}
	case KindDiscount:
		return []string{ExportDiscount}
	case KindEstimator:
		return []string{ExportFit, ExportScore, ExportSave, ExportLoad}
	}
	return nil
}

// Pack packs a guest pointer and a length into the i64 returned by
// ablate_manifest, ablate_error and ablate_save: ptr<<32 | len.
func Pack(ptr, n uint32) uint64 { return uint64(ptr)<<32 | uint64(n) }

// Unpack is the inverse of Pack.
func Unpack(v uint64) (ptr, n uint32) { return uint32(v >> 32), uint32(v) }

// Parameter types in a manifest. Values are JSON: number (float64),
// integer (a JSON number with no fraction, fits int64), boolean, string, and
// arrays of those.
const (
	TypeNumber   = "number"
	TypeInteger  = "integer"
	TypeBoolean  = "boolean"
	TypeString   = "string"
	TypeNumbers  = "numbers"
	TypeIntegers = "integers"
	TypeStrings  = "strings"
)

// ParamTypes lists the parameter types.
var ParamTypes = [...]string{TypeNumber, TypeInteger, TypeBoolean, TypeString, TypeNumbers, TypeIntegers, TypeStrings}

// Manifest is the JSON a plugin returns from ablate_manifest.
type Manifest struct {
	ABI         int     `json:"abi"`
	Name        string  `json:"name"`
	Kind        Kind    `json:"kind"`
	Version     string  `json:"version"`
	Description string  `json:"description"`
	Params      []Param `json:"params"`
}

// Param is one parameter of a plugin: its name, type, default and doc.
type Param struct {
	Name    string          `json:"name"`
	Type    string          `json:"type"`
	Default json.RawMessage `json:"default"`
	Doc     string          `json:"doc"`
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	paramRE   = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,63}$`)
	versionRE = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$`)
)

// ParseManifest decodes and validates a manifest strictly: unknown fields,
// a bad name, kind, version or parameter, and trailing data are errors.
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("abi: manifest: %w", err)
	}
	if dec.More() {
		return Manifest{}, fmt.Errorf("abi: manifest: trailing data after the JSON object")
	}
	if err := m.Validate(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// Validate checks every field of m and the type of every default.
func (m Manifest) Validate() error {
	if m.ABI != Version {
		return fmt.Errorf("abi: manifest: abi is %d, want %d", m.ABI, Version)
	}
	if !nameRE.MatchString(m.Name) {
		return fmt.Errorf("abi: manifest: name %q: want 1-64 of [a-z0-9._-], starting with a letter or digit", m.Name)
	}
	if !m.Kind.Valid() {
		return fmt.Errorf("abi: manifest: kind %q: want one of judge, bias, discount, estimator", m.Kind)
	}
	if !versionRE.MatchString(m.Version) {
		return fmt.Errorf("abi: manifest: version %q: want a semantic version such as 1.0.0", m.Version)
	}
	seen := map[string]bool{}
	for i, p := range m.Params {
		if !paramRE.MatchString(p.Name) {
			return fmt.Errorf("abi: manifest: params[%d]: name %q: want 1-64 of [a-z0-9_], not starting with a digit", i, p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("abi: manifest: params[%d]: name %q appears twice", i, p.Name)
		}
		seen[p.Name] = true
		if err := CheckValue(p.Type, p.Default); err != nil {
			return fmt.Errorf("abi: manifest: params[%d] %q: default: %w", i, p.Name, err)
		}
	}
	return nil
}

// CheckValue reports whether the JSON value v has parameter type typ.
func CheckValue(typ string, v json.RawMessage) error {
	if len(v) == 0 {
		return fmt.Errorf("abi: missing value, want %s", typ)
	}
	var err error
	switch typ {
	case TypeNumber:
		var x float64
		err = json.Unmarshal(v, &x)
	case TypeInteger:
		var x int64
		err = json.Unmarshal(v, &x)
	case TypeBoolean:
		var x bool
		err = json.Unmarshal(v, &x)
	case TypeString:
		var x string
		err = json.Unmarshal(v, &x)
	case TypeNumbers:
		var x []float64
		err = json.Unmarshal(v, &x)
	case TypeIntegers:
		var x []int64
		err = json.Unmarshal(v, &x)
	case TypeStrings:
		var x []string
		err = json.Unmarshal(v, &x)
	default:
		return fmt.Errorf("abi: unknown parameter type %q, want one of %s", typ, strings.Join(ParamTypes[:], ", "))
	}
	if err != nil || string(v) == "null" {
		return fmt.Errorf("abi: value %s is not of type %s", abbrev(v), typ)
	}
	return nil
}

func abbrev(v []byte) string {
	if len(v) > 40 {
		return string(v[:37]) + "..."
	}
	return string(v)
}
