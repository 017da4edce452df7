package experiment

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNoResolver is returned for a plugin reference whose scheme has no
// resolver configured (for example `registry:` before a registry is set up).
var ErrNoResolver = errors.New("experiment: no resolver for scheme")

// Diag is one problem found in an experiment file, located by file, line and
// key. Line is 0 when the key has no line of its own (a default, say); Origin
// says where a value came from when it was not the file's own text (a
// command-line override or a sweep point).
type Diag struct {
	File   string
	Line   int
	Key    string
	Origin string
	Msg    string
}

func (d Diag) String() string {
	var b strings.Builder
	b.WriteString(d.File)
	if d.Line > 0 {
		fmt.Fprintf(&b, ":%d", d.Line)
	}
	b.WriteString(": ")
	if d.Key != "" {
		b.WriteString(d.Key)
		b.WriteString(": ")
	}
	b.WriteString(d.Msg)
	if d.Origin != "" {
		fmt.Fprintf(&b, " (%s)", d.Origin)
	}
	return b.String()
}

// DecodeError holds every problem found in an experiment file, sorted by
// line. Nothing runs while an experiment has one.
type DecodeError struct {
	Diags []Diag
}

func (e *DecodeError) Error() string {
	lines := make([]string, len(e.Diags))
	for i, d := range e.Diags {
		lines[i] = d.String()
	}
	s := "s"
	if len(lines) == 1 {
		s = ""
	}
	return fmt.Sprintf("experiment: %d problem%s:\n  %s", len(lines), s, strings.Join(lines, "\n  "))
}

// diags collects problems, dropping exact duplicates (the same mistake seen
// from several sweep points is reported once).
type diags struct {
	seen map[Diag]bool
	list []Diag
}

func (ds *diags) add(d Diag) {
	if ds.seen == nil {
		ds.seen = map[Diag]bool{}
	}
	if ds.seen[d] {
		return
	}
	ds.seen[d] = true
	ds.list = append(ds.list, d)
}

func (ds *diags) err() error {
	if len(ds.list) == 0 {
		return nil
	}
	out := append([]Diag(nil), ds.list...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Key < out[j].Key
	})
	return &DecodeError{Diags: out}
}

// Problem is one invalid setting, named by its TOML key relative to the
// experiment file's top level (for example "model.hidden").
type Problem struct {
	Key string
	Msg string
}

// Problems is what a settings Validate method returns so that each problem
// is reported at its own key and line. Use Addf to collect, Err to return.
type Problems []Problem

// Addf records a problem at key.
func (ps *Problems) Addf(key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Err returns nil when there are no problems, the Problems otherwise.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Key + ": " + p.Msg
	}
	return strings.Join(s, "; ")
}
