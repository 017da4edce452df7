package experiment

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Plugin is a resolved plugin as a study receives it.
type Plugin struct {
	Slot   string
	Kind   string
	Use    string         // the reference as written
	Trust  string         // TrustGuarded or TrustTrusted
	Params map[string]any // the [plugins.<slot>.params] table, as decoded
	Source string         // where the module came from
	Digest string         // "sha256:<hex>" of Wasm
	Wasm   []byte
}

// AxisValue is the value one sweep axis takes in a run.
type AxisValue struct {
	Key   string
	Value any
}

// Run is one fully resolved run of a plan: what will be computed, and its
// identity.
type Run struct {
	Index    int    // position in the plan, 0-based; shards split on it
	ID       string // 64 hex digits; see Identity
	Study    string
	Sweep    string
	File     string
	Seed     int64
	Version  string      // the study's Version, if it has one
	Axes     []AxisValue // one per sweep axis, in file order
	Settings any         // the study's decoded settings (a pointer to its struct)
	Config   []byte      // the resolved settings as canonical TOML
	Plugins  []Plugin    // sorted by slot
	Data     map[string]string
}

// Short is the first 12 hex digits of the run's ID, which name its directory.
func (r *Run) Short() string { return r.ID[:12] }

// Label renders the run's axis values and seed, e.g. "model.hidden=32 seed=1".
func (r *Run) Label() string {
	var b strings.Builder
	for _, a := range r.Axes {
		fmt.Fprintf(&b, "%s=%s ", a.Key, FormatValue(a.Value))
	}
	fmt.Fprintf(&b, "seed=%d", r.Seed)
	return b.String()
}

// FormatValue renders a TOML value compactly, as in a table cell.
func FormatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case float64: // integral floats print as integers: axis values read back from JSON are floats
		return strconv.FormatFloat(x, 'g', -1, 64)
	case map[string]any, []map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(map[string]any{"v": v}); err == nil && strings.HasPrefix(buf.String(), "v = ") {
		return strings.TrimSpace(strings.TrimPrefix(buf.String(), "v = "))
	}
	return fmt.Sprint(v)
}

// Plan is an experiment expanded into runs, each checked and resolved.
type Plan struct {
	File  *File
	Study Study
	Runs  []Run
}

// Env is what planning needs from the outside world.
type Env struct {
	Studies   *Registry
	Resolvers Resolvers
	// Host is the host's version; it is part of every run's identity.
	Host string
	// CheckPlugin, when set, loads a resolved plugin and checks it (ABI,
	// kind, parameters against its manifest) so that a bad plugin is
	// reported with the file's other problems, before any run starts. It
	// is called once per distinct module, kind and parameters.
	CheckPlugin func(ctx context.Context, p Plugin) error
}

// Load reads an experiment file, applies overrides and plans it.
func Load(ctx context.Context, path string, overrides []string, env Env) (*Plan, error) {
	f, err := ReadFile(path, overrides)
	if f == nil {
		return nil, err
	}
	return f.Plan(ctx, env)
}

type resolveKey struct{ kind, use, dir string }

type resolveResult struct {
	res Resolved
	err error
}

// Plan checks every point of the sweep against the study, resolves plugins
// and data digests, and computes each run's identity. Every problem in any
// point is reported together, as a *DecodeError, before anything runs.
func (f *File) Plan(ctx context.Context, env Env) (*Plan, error) {
	// Problems found while planning belong to this call only.
	saved := diags{list: append([]Diag(nil), f.ds.list...), seen: map[Diag]bool{}}
	for _, d := range saved.list {
		saved.seen[d] = true
	}
	defer func() { f.ds = saved }()
	if f.size() > MaxRuns {
		return nil, f.ds.err()
	}
	st, ok := env.Studies.Lookup(f.Study)
	if !ok && f.Study == "" {
		return nil, f.ds.err() // already reported as missing
	}
	if !ok {
		f.problem([]string{"study"}, "unknown study %q (known: %s)", f.Study, env.Studies.namesString())
		return nil, f.ds.err()
	}
	p := &Plan{File: f, Study: st}
	version := ""
	if v, ok := st.(Versioned); ok {
		version = v.Version()
	}
	cache := map[resolveKey]resolveResult{}
	checked := map[string]error{}
	seen := map[string]bool{}
	for _, pt := range f.Points() {
		tree := deepCopy(f.tree).(map[string]any)
		axisOrigin := map[string]string{}
		axisLine := map[string]int{}
		var axes []AxisValue
		for i, a := range f.Axes {
			if err := setPath(tree, a.Path, deepCopy(pt[i])); err != nil {
				f.ds.add(Diag{File: f.Path, Line: a.Line, Key: a.Key, Msg: err.Error()})
				continue
			}
			axisOrigin[a.Key] = "sweep value " + FormatValue(pt[i])
			axisLine[a.Key] = a.Line
			axes = append(axes, AxisValue{Key: a.Key, Value: pt[i]})
		}
		// at reports a problem at a key of this point.
		at := func(path []string, msg string) {
			for i := len(path); i > 0; i-- {
				k := keyString(path[:i])
				if o, ok := axisOrigin[k]; ok {
					if strings.HasPrefix(msg, "unknown key") {
						o = "" // a wrong key is wrong whatever its value: report it once
					}
					f.ds.add(Diag{File: f.Path, Line: axisLine[k], Key: keyString(path), Origin: o, Msg: msg})
					return
				}
			}
			f.problem(path, "%s", msg)
		}
		settings := f.settings(st, tree, at)
		plugins := f.plugins(ctx, st, tree, env.Resolvers, cache, at)
		if env.CheckPlugin != nil {
			for _, pl := range plugins {
				params, _ := json.Marshal(pl.Params)
				key := pl.Kind + "\x00" + pl.Digest + "\x00" + string(params)
				err, done := checked[key]
				if !done {
					err = env.CheckPlugin(ctx, pl)
					checked[key] = err
				}
				if err == nil {
					continue
				}
				path := []string{"plugins", pl.Slot}
				msg := firstLine(strings.TrimPrefix(err.Error(), "plugin: "))
				reported := false
				for _, a := range f.Axes { // a swept plugin: report at the axis, with the value
					if len(a.Path) > 2 && a.Path[0] == "plugins" && a.Path[1] == pl.Slot {
						f.ds.add(Diag{File: f.Path, Line: a.Line, Key: keyString(path), Origin: axisOrigin[a.Key], Msg: msg})
						reported = true
					}
				}
				if !reported {
					at(path, msg)
				}
			}
		}
		var data map[string]string
		if dd, ok := st.(DataDigester); ok && settings != nil {
			d, err := dd.DataDigests(ctx, settings)
			if err != nil {
				f.ds.add(Diag{File: f.Path, Msg: "data: " + strings.TrimPrefix(err.Error(), st.Name()+": ")})
			}
			data = d
		}
		if settings == nil || len(f.ds.list) > 0 {
			continue
		}
		var cfg bytes.Buffer
		if err := toml.NewEncoder(&cfg).Encode(settings); err != nil {
			f.ds.add(Diag{File: f.Path, Msg: "settings cannot be written back as TOML: " + err.Error()})
			continue
		}
		for _, seed := range f.Seeds {
			r := Run{
				Index: len(p.Runs), Study: st.Name(), Version: version, Sweep: f.Name, File: f.Path, Seed: seed,
				Axes: axes, Settings: settings, Config: cfg.Bytes(), Plugins: plugins, Data: data,
			}
			// Each seed gets its own settings value so that studies may not
			// share state through it.
			if seed != f.Seeds[0] {
				r.Settings = f.settings(st, deepCopy(tree).(map[string]any), func([]string, string) {})
			}
			r.ID = Identity(&r, env.Host)
			if seen[r.ID] {
				continue // the same run reached twice (e.g. "kde" and "builtin:kde")
			}
			seen[r.ID] = true
			p.Runs = append(p.Runs, r)
		}
	}
	if err := f.ds.err(); err != nil {
		return nil, err
	}
	return p, nil
}

// settings decodes the study's part of tree and validates it. It returns nil
// when decoding found problems.
func (f *File) settings(st Study, tree map[string]any, at func([]string, string)) any {
	s := st.Settings()
	own := map[string]any{}
	for k, v := range tree {
		if !reserved(k) {
			own[k] = v
		}
	}
	bad := false
	d := decoder{report: func(p []string, msg string) { bad = true; at(p, msg) }}
	d.decode(nil, own, reflect.ValueOf(s).Elem())
	// Validate even after type errors (the bad fields keep their defaults),
	// so that range problems are reported in the same pass.
	if v, ok := s.(Validator); ok {
		if err := v.Validate(); err != nil {
			var ps Problems
			if errors.As(err, &ps) {
				for _, pr := range ps {
					k, perr := parseKey(pr.Key)
					if perr != nil || pr.Key == "" {
						at([]string{"settings"}, pr.Key+": "+pr.Msg)
						continue
					}
					at(k, pr.Msg)
				}
			} else {
				f.ds.add(Diag{File: f.Path, Msg: "settings: " + err.Error()})
			}
			return nil
		}
	}
	if bad {
		return nil
	}
	return s
}

// plugins reads [plugins.*] of one point and resolves each module.
func (f *File) plugins(ctx context.Context, st Study, tree map[string]any, rs Resolvers, cache map[resolveKey]resolveResult, at func([]string, string)) []Plugin {
	table, _ := tree["plugins"].(map[string]any)
	var slots map[string]Slot
	var order []string
	if sl, ok := st.(Slotted); ok {
		slots = map[string]Slot{}
		for _, s := range sl.Slots() {
			slots[s.Name] = s
			order = append(order, s.Name)
		}
	}
	names := make([]string, 0, len(table))
	for k := range table {
		names = append(names, k)
	}
	for _, n := range order {
		if _, ok := table[n]; !ok {
			s := slots[n]
			switch {
			case s.Default != "":
				names = append(names, n)
			case s.Required:
				f.ds.add(Diag{File: f.Path, Line: f.lineOf([]string{"plugins"}), Key: "plugins." + n,
					Msg: fmt.Sprintf("missing: study %s needs a %s plugin here, e.g. [plugins.%s] use = \"...\"", st.Name(), s.Kind, n)})
			}
		}
	}
	sort.Strings(names)
	var out []Plugin
	for _, slot := range names {
		path := []string{"plugins", slot}
		kind := slot
		var def Slot
		if slots != nil {
			s, ok := slots[slot]
			if !ok {
				known := append([]string(nil), order...)
				sort.Strings(known)
				if len(known) == 0 {
					known = []string{"none"}
				}
				at(path, fmt.Sprintf("study %s has no plugin slot %q (slots: %s)", st.Name(), slot, strings.Join(known, ", ")))
				continue
			}
			kind, def = s.Kind, s
		}
		pl := Plugin{Slot: slot, Kind: kind, Use: def.Default, Params: map[string]any{}}
		raw, present := table[slot]
		if present {
			m, ok := raw.(map[string]any)
			if !ok {
				at(path, "want a table with use, trust and params, got "+describe(raw))
				continue
			}
			for k, v := range m {
				kp := append(append([]string{}, path...), k)
				switch k {
				case "use":
					s, ok := v.(string)
					if !ok {
						at(kp, "want a plugin reference string, got "+describe(v))
					}
					pl.Use = s
				case "trust":
					s, ok := v.(string)
					if !ok || (s != TrustGuarded && s != TrustTrusted) {
						at(kp, fmt.Sprintf("want %q or %q, got %s", TrustGuarded, TrustTrusted, describe(v)))
						continue
					}
					pl.Trust = s
				case "params":
					pm, ok := v.(map[string]any)
					if !ok {
						at(kp, "want a table of parameters, got "+describe(v))
						continue
					}
					pl.Params = pm
				default:
					at(kp, "unknown key (known here: params, trust, use)")
				}
			}
			if _, ok := m["use"]; !ok && pl.Use == "" {
				at(path, "missing use = \"<built-in name | path.wasm | registry:name@range>\"")
				continue
			}
		}
		usePath := append(append([]string{}, path...), "use")
		scheme, name, err := ParseUse(pl.Use)
		if err != nil {
			at(usePath, err.Error())
			continue
		}
		ref := PluginRef{Slot: slot, Kind: kind, Use: pl.Use, Scheme: scheme, Name: name, BaseDir: f.Dir}
		key := resolveKey{kind, pl.Use, f.Dir}
		rr, done := cache[key]
		if !done {
			r, ok := rs[scheme]
			if !ok {
				rr.err = fmt.Errorf("%w %q (configured: %s)", ErrNoResolver, scheme+":", strings.Join(schemes(rs), ", "))
			} else {
				rr.res, rr.err = r.Resolve(ctx, ref)
			}
			cache[key] = rr
		}
		if rr.err != nil {
			at(usePath, strings.TrimPrefix(rr.err.Error(), "experiment: "))
			continue
		}
		if pl.Trust == "" {
			pl.Trust = TrustGuarded
			if scheme == "builtin" {
				pl.Trust = TrustTrusted
			}
		}
		if pl.Trust == TrustTrusted && !rr.res.MayTrust {
			at(append(append([]string{}, path...), "trust"), fmt.Sprintf("%s is not verified, so it cannot run trusted", pl.Use))
			continue
		}
		pl.Source, pl.Digest, pl.Wasm = rr.res.Source, rr.res.Digest, rr.res.Wasm
		out = append(out, pl)
	}
	return out
}

func schemes(rs Resolvers) []string {
	out := make([]string, 0, len(rs))
	for s := range rs {
		out = append(out, s+":")
	}
	sort.Strings(out)
	if len(out) == 0 {
		out = []string{"none"}
	}
	return out
}

// Identity is a run's ID: sha256 over the host version, the study (and its
// Version, if it is Versioned), the seed,
// the canonical resolved settings, each plugin's slot, digest and parameters,
// and each data set's digest. What does not change results — the sweep's
// name, the description, how a plugin was referred to, its trust level —
// is left out, so the same run reached from two files is computed once.
func Identity(r *Run, host string) string {
	h := sha256.New()
	fmt.Fprintf(h, "ablate-run v1\nhost %q\nstudy %q\n", host, r.Study)
	if r.Version != "" {
		fmt.Fprintf(h, "study-version %q\n", r.Version)
	}
	fmt.Fprintf(h, "seed %d\nconfig %d\n", r.Seed, len(r.Config))
	h.Write(r.Config)
	for _, p := range r.Plugins {
		params, _ := json.Marshal(p.Params) // maps marshal with sorted keys
		fmt.Fprintf(h, "plugin %q %q %s %s\n", p.Slot, p.Kind, p.Digest, params)
	}
	keys := make([]string, 0, len(r.Data))
	for k := range r.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "data %q %q\n", k, r.Data[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}
