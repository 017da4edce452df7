package experiment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// File is a decoded experiment file with its command-line overrides
// applied: the raw tree, where each key came from, and its sweep axes.
// It knows nothing of studies yet; Plan checks the settings against one.
type File struct {
	Path        string // as given, for messages
	Dir         string // relative plugin paths resolve against it
	Name        string // the sweep's name: `name`, or the file's base name
	Study       string
	Description string
	Seeds       []int64
	Axes        []Axis // the sweep, in file order; zipped axes share a Group

	tree   map[string]any
	pos    map[string]int    // keyString(path) -> line
	origin map[string]string // keyString(path) -> "override k=v"
	ds     diags
}

// Axis is one dimension of a sweep: a key and the values it takes. Axes with
// the same Group > 0 are zipped (they advance together); Group 0 means the
// axis is crossed with all others.
type Axis struct {
	Key    string
	Path   []string
	Values []any
	Group  int
	Line   int

	at []string // where the axis is written, under [sweep]
}

// ReadFile reads and decodes an experiment file; see Decode.
func ReadFile(path string, overrides []string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	return Decode(path, b, overrides)
}

// Decode parses an experiment file and applies overrides ("key=value", the
// value in TOML syntax or else a bare string) before the sweep is read. It
// reports every problem it can find at once, as a *DecodeError. On a syntax
// error the file is nil; on other problems the file is returned too, so that
// Plan can add the study's own problems to the same report.
func Decode(path string, data []byte, overrides []string) (*File, error) {
	f := &File{Path: path, Dir: filepath.Dir(path), origin: map[string]string{}}
	var tree map[string]any
	if _, err := toml.Decode(string(data), &tree); err != nil {
		var pe toml.ParseError
		d := Diag{File: path, Msg: err.Error()}
		if errors.As(err, &pe) {
			d.Line, d.Msg = pe.Position.Line, pe.Message
		}
		f.ds.add(d)
		return nil, f.ds.err()
	}
	f.tree = tree
	f.pos = positions(string(data))
	for _, o := range overrides {
		f.override(o)
	}
	f.top()
	return f, f.ds.err()
}

func (f *File) lineOf(path []string) int {
	for i := len(path); i > 0; i-- {
		if l, ok := f.pos[keyString(path[:i])]; ok {
			return l
		}
	}
	return 0
}

func (f *File) originOf(path []string) string {
	for i := len(path); i > 0; i-- {
		if o, ok := f.origin[keyString(path[:i])]; ok {
			return o
		}
	}
	return ""
}

// problem records a problem at a key path of the tree.
func (f *File) problem(path []string, format string, args ...any) {
	d := Diag{File: f.Path, Key: keyString(path), Msg: fmt.Sprintf(format, args...)}
	if o := f.originOf(path); o != "" {
		d.Origin = o
	} else {
		d.Line = f.lineOf(path)
	}
	f.ds.add(d)
}

// override applies one "key=value".
func (f *File) override(o string) {
	k, v, ok := strings.Cut(o, "=")
	if !ok {
		f.ds.add(Diag{File: "command line", Key: o, Msg: "an override is key=value"})
		return
	}
	path, err := parseKey(strings.TrimSpace(k))
	if err != nil {
		f.ds.add(Diag{File: "command line", Key: k, Msg: "bad key: " + err.Error()})
		return
	}
	var val any = v
	var m map[string]any
	if _, err := toml.Decode("v = "+v, &m); err == nil {
		val = m["v"]
	}
	if err := setPath(f.tree, path, val); err != nil {
		f.ds.add(Diag{File: "command line", Key: k, Msg: err.Error()})
		return
	}
	f.origin[keyString(path)] = "override " + o
	// An override of a swept key pins it: drop the axis.
	f.dropAxis(path)
}

// dropAxis removes key from the sweep's grid and zip tables.
func (f *File) dropAxis(path []string) {
	sw, ok := f.tree["sweep"].(map[string]any)
	if !ok {
		return
	}
	del := func(m map[string]any) {
		cur := m
		for i, p := range path {
			if i == len(path)-1 {
				delete(cur, p)
				return
			}
			next, ok := cur[p].(map[string]any)
			if !ok {
				// a quoted dotted key holds the whole path
				delete(cur, keyString(path[i:]))
				return
			}
			cur = next
		}
	}
	if g, ok := sw["grid"].(map[string]any); ok {
		del(g)
		delete(g, keyString(path))
	}
	switch z := sw["zip"].(type) {
	case map[string]any:
		del(z)
		delete(z, keyString(path))
	case []map[string]any:
		for _, m := range z {
			del(m)
			delete(m, keyString(path))
		}
	}
}

// setPath sets tree[path] = v, creating tables on the way.
func setPath(tree map[string]any, path []string, v any) error {
	cur := tree
	for i, p := range path[:len(path)-1] {
		next, ok := cur[p]
		if !ok {
			m := map[string]any{}
			cur[p] = m
			cur = m
			continue
		}
		m, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is a %s, not a table", keyString(path[:i+1]), tomlType(next))
		}
		cur = m
	}
	cur[path[len(path)-1]] = v
	return nil
}

// top checks ablate's own top-level keys and reads the sweep.
func (f *File) top() {
	str := func(k string, required bool) string {
		v, ok := f.tree[k]
		if !ok {
			if required {
				f.ds.add(Diag{File: f.Path, Line: 1, Key: k, Msg: "missing: the file must name its study, e.g. study = \"mnist\""})
			}
			return ""
		}
		s, ok := v.(string)
		if !ok {
			f.problem([]string{k}, "want a string, got %s", describe(v))
		}
		return s
	}
	f.Study = str("study", true)
	if _, ok := f.tree["study"].(string); ok && f.Study == "" {
		f.problem([]string{"study"}, "empty: name a registered study")
	}
	f.Name = str("name", false)
	if f.Name == "" {
		f.Name = strings.TrimSuffix(filepath.Base(f.Path), filepath.Ext(f.Path))
	}
	if !nameRE.MatchString(f.Name) {
		f.problem([]string{"name"}, "sweep name %q: want lower-case letters, digits, '-' and '_'", f.Name)
	}
	f.Description = str("description", false)
	f.Seeds = []int64{0}
	if v, ok := f.tree["seeds"]; ok {
		f.Seeds = nil
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			f.problem([]string{"seeds"}, "want a non-empty array of integers, got %s", describe(v))
		}
		seen := map[int64]bool{}
		for i, x := range arr {
			n, ok := x.(int64)
			switch {
			case !ok:
				f.problem([]string{"seeds", fmt.Sprint(i)}, "want an integer seed, got %s", describe(x))
			case n < 0:
				f.problem([]string{"seeds"}, "seed %d is negative", n)
			case seen[n]:
				f.problem([]string{"seeds"}, "seed %d appears twice", n)
			default:
				seen[n] = true
				f.Seeds = append(f.Seeds, n)
			}
		}
	}
	if v, ok := f.tree["plugins"]; ok {
		if _, ok := v.(map[string]any); !ok {
			f.problem([]string{"plugins"}, "want a table of plugin slots, got %s", describe(v))
		}
	}
	f.sweep()
	if n := f.size(); n > MaxRuns {
		f.problem([]string{"sweep"}, "the sweep expands to %d runs; at most %d are allowed in one file", n, MaxRuns)
	}
}

// MaxRuns bounds the runs one experiment file may expand to.
const MaxRuns = 100000

// size is the number of runs the sweep expands to, saturating past MaxRuns.
func (f *File) size() int {
	n := max(len(f.Seeds), 1)
	groups := map[int]int{}
	for _, a := range f.Axes {
		if a.Group > 0 {
			if k, ok := groups[a.Group]; !ok || len(a.Values) < k {
				groups[a.Group] = len(a.Values)
			}
			continue
		}
		n *= len(a.Values)
		if n > MaxRuns {
			return MaxRuns + 1
		}
	}
	for _, k := range groups {
		n *= k
		if n > MaxRuns {
			return MaxRuns + 1
		}
	}
	return n
}

// sweep reads [sweep]: grid = {key = [values]}, zip = {...} or [[sweep.zip]]
// groups whose arrays have equal lengths.
func (f *File) sweep() {
	v, ok := f.tree["sweep"]
	if !ok {
		return
	}
	sw, ok := v.(map[string]any)
	if !ok {
		f.problem([]string{"sweep"}, "want a table with grid and/or zip, got %s", describe(v))
		return
	}
	for k := range sw {
		if k != "grid" && k != "zip" {
			f.problem([]string{"sweep", k}, "unknown key (known here: grid, zip)")
		}
	}
	seen := map[string]bool{}
	add := func(prefix []string, m map[string]any, group int) {
		var axes []Axis
		flatten(nil, m, func(p []string, x any) {
			full := append(append([]string{}, prefix...), p...)
			// A quoted dotted key, "model.hidden", names a nested key too.
			var target []string
			for _, part := range p {
				if sub, err := parseKey(part); err == nil && len(sub) > 1 {
					target = append(target, sub...)
				} else {
					target = append(target, part)
				}
			}
			arr, ok := x.([]any)
			if mm, isTables := x.([]map[string]any); isTables {
				for _, t := range mm {
					arr = append(arr, t)
				}
				ok = true
			}
			ks := keyString(target)
			switch {
			case !ok || len(arr) == 0:
				f.problem(full, "a sweep axis is a non-empty array of values, got %s", describe(x))
			case target[0] == "sweep" || target[0] == "study" || target[0] == "name" || target[0] == "description":
				f.problem(full, "%s cannot be swept", target[0])
			case target[0] == "seeds" || target[0] == "seed":
				f.problem(full, "seeds are already an axis: list them in seeds = [...]")
			case seen[ks]:
				f.problem(full, "axis %s appears twice in the sweep", ks)
			default:
				seen[ks] = true
				axes = append(axes, Axis{Key: ks, Path: target, Values: arr, Group: group, Line: f.lineOf(full), at: full})
			}
		})
		sort.SliceStable(axes, func(i, j int) bool {
			if axes[i].Line != axes[j].Line {
				return axes[i].Line < axes[j].Line
			}
			return axes[i].Key < axes[j].Key
		})
		if group > 0 && len(axes) > 1 {
			for _, a := range axes[1:] {
				if len(a.Values) != len(axes[0].Values) {
					f.problem(a.at, "zipped axes need equal lengths: %s has %d values, %s has %d",
						a.Key, len(a.Values), axes[0].Key, len(axes[0].Values))
				}
			}
		}
		f.Axes = append(f.Axes, axes...)
	}
	if g, ok := sw["grid"]; ok {
		if m, ok := g.(map[string]any); ok {
			add([]string{"sweep", "grid"}, m, 0)
		} else {
			f.problem([]string{"sweep", "grid"}, "want a table of axes, got %s", describe(g))
		}
	}
	switch z := sw["zip"].(type) {
	case nil:
	case map[string]any:
		if len(z) > 0 {
			add([]string{"sweep", "zip"}, z, 1)
		}
	case []map[string]any:
		for i, m := range z {
			if len(m) > 0 {
				add([]string{"sweep", "zip", fmt.Sprint(i)}, m, i+1)
			}
		}
	default:
		f.problem([]string{"sweep", "zip"}, "want a table or an array of tables of zipped axes, got %s", describe(z))
	}
}

// flatten calls fn for every non-table leaf of m, in key order.
func flatten(prefix []string, m map[string]any, fn func([]string, any)) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := append(append([]string{}, prefix...), k)
		if sub, ok := m[k].(map[string]any); ok {
			flatten(p, sub, fn)
			continue
		}
		fn(p, m[k])
	}
}

// Points expands the sweep: the crossed product of the grid axes and the
// zipped groups, in file order (the first axis varies slowest). Each point
// holds one value per axis, in the order of f.Axes. Seeds are not included;
// they are the innermost axis of the plan.
func (f *File) Points() [][]any {
	type dim struct {
		axes []int
		n    int
	}
	var dims []dim
	groupDim := map[int]int{}
	for i, a := range f.Axes {
		if a.Group > 0 {
			if d, ok := groupDim[a.Group]; ok {
				dims[d].axes = append(dims[d].axes, i)
				dims[d].n = min(dims[d].n, len(a.Values)) // unequal lengths are reported by Decode
				continue
			}
			groupDim[a.Group] = len(dims)
		}
		dims = append(dims, dim{axes: []int{i}, n: len(a.Values)})
	}
	points := [][]any{make([]any, len(f.Axes))}
	for _, d := range dims {
		var next [][]any
		for _, p := range points {
			for j := 0; j < d.n; j++ {
				q := append([]any(nil), p...)
				for _, ai := range d.axes {
					q[ai] = f.Axes[ai].Values[j]
				}
				next = append(next, q)
			}
		}
		points = next
	}
	return points
}

// deepCopy copies a decoded TOML tree.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e)
		}
		return a
	case []map[string]any:
		a := make([]map[string]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e).(map[string]any)
		}
		return a
	}
	return v
}
