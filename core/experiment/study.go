package experiment

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// Study is an experiment pipeline registered by Go code. The experiment file
// names it with `study = "<Name>"`; every top-level key of the file that is
// not one of ablate's own (study, name, description, seeds, plugins, sweep)
// is decoded, strictly, into the value Settings returns.
type Study interface {
	// Name is the study's name in experiment files and in the results store:
	// lower-case letters, digits, '-' and '_'.
	Name() string
	// Settings returns a new pointer to the study's settings struct, filled
	// with its documented defaults; fields carry toml tags. If it has a
	// Validate() error method, it is called after decoding; returning
	// Problems names each bad key so it is reported at its line.
	Settings() any
	// Run performs one run. It must honour ctx and derive all randomness
	// from env.Seed so that the same run gives the same metrics.
	Run(ctx context.Context, env *RunEnv) error
}

// Slot describes one plugin a study accepts, as `[plugins.<Name>]`.
type Slot struct {
	Name     string
	Kind     string // the plugin kind: judge, bias, discount, estimator...
	Required bool
	Default  string // the reference used when the file names none; "" for none
	Doc      string
}

// Slotted is implemented by studies that take plugins. A study without it
// accepts any slot name and takes the slot name as the plugin kind.
type Slotted interface {
	Slots() []Slot
}

// DataDigester is implemented by studies that read data sets. DataDigests
// returns a digest per data set the settings use (for example
// "mnist-train" -> "sha256:..."), or an error saying what is missing and
// where it was looked for. It is called before any run starts.
type DataDigester interface {
	DataDigests(ctx context.Context, settings any) (map[string]string, error)
}

// Versioned is implemented by studies that version their code: Version
// enters every run's identity, so bumping it when results would change
// recomputes old runs instead of skipping them.
type Versioned interface {
	Version() string
}

// Validator is implemented by settings structs with range checks.
type Validator interface {
	Validate() error
}

// reserved says whether a top-level key is one ablate itself reads.
func reserved(k string) bool {
	switch k {
	case "study", "name", "description", "seeds", "plugins", "sweep":
		return true
	}
	return false
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Registry is the set of studies an ablate binary knows, by name. Build it
// with NewRegistry; the zero value knows none.
type Registry struct {
	byName map[string]Study
}

// NewRegistry checks and indexes studies: names must be valid and unique,
// and settings must be a pointer to a struct that uses none of the reserved
// top-level keys.
func NewRegistry(studies ...Study) (*Registry, error) {
	r := &Registry{byName: map[string]Study{}}
	for _, s := range studies {
		n := s.Name()
		if !nameRE.MatchString(n) {
			return nil, fmt.Errorf("experiment: study name %q: want lower-case letters, digits, '-' and '_'", n)
		}
		if _, dup := r.byName[n]; dup {
			return nil, fmt.Errorf("experiment: study %q registered twice", n)
		}
		st := s.Settings()
		rv := reflect.ValueOf(st)
		if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("experiment: study %q: Settings returns %T, want a pointer to a struct", n, st)
		}
		for _, k := range fieldNames(rv.Elem().Type()) {
			if reserved(k) {
				return nil, fmt.Errorf("experiment: study %q: settings key %q is reserved", n, k)
			}
		}
		r.byName[n] = s
	}
	return r, nil
}

// Lookup returns the study named n.
func (r *Registry) Lookup(n string) (Study, bool) {
	if r == nil {
		return nil, false
	}
	s, ok := r.byName[n]
	return s, ok
}

// Names lists the registered studies, sorted.
func (r *Registry) Names() []string {
	if r == nil {
		return nil
	}
	out := make([]string, 0, len(r.byName))
	for n := range r.byName {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (r *Registry) namesString() string {
	n := r.Names()
	if len(n) == 0 {
		return "none registered"
	}
	return strings.Join(n, ", ")
}
