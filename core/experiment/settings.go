package experiment

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"
)

// decoder assigns a decoded TOML tree to a Go value, strictly: an unknown
// key or a value of the wrong type is reported at its key path, and decoding
// goes on so that every mistake is found in one pass.
type decoder struct {
	report func(path []string, msg string)
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	textType     = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case map[string]any:
		return "table"
	case []any, []map[string]any:
		return "array"
	case time.Time:
		return "datetime"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

// describe renders a value for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("%s %q", tomlType(v), x)
	case map[string]any, []any, []map[string]any:
		return tomlType(v)
	}
	return fmt.Sprintf("%s %v", tomlType(v), v)
}

// field finds the struct field a TOML key names: its toml tag, or else its
// Go name compared without case.
func field(t reflect.Type, key string) (int, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			if strings.EqualFold(f.Name, key) {
				return i, true
			}
			continue
		}
		if name == key {
			return i, true
		}
	}
	return 0, false
}

// fieldNames lists the TOML keys a struct accepts.
func fieldNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

func (d *decoder) bad(path []string, want string, v any) {
	d.report(path, fmt.Sprintf("want %s, got %s", want, describe(v)))
}

func (d *decoder) decode(path []string, v any, rv reflect.Value) {
	t := rv.Type()
	if t == durationType {
		s, ok := v.(string)
		if !ok {
			d.bad(path, `a duration string such as "1m30s"`, v)
			return
		}
		dur, err := time.ParseDuration(s)
		if err != nil {
			d.report(path, fmt.Sprintf("want a duration such as \"1m30s\", got %q", s))
			return
		}
		rv.SetInt(int64(dur))
		return
	}
	if rv.CanAddr() && reflect.PointerTo(t).Implements(textType) && t.Kind() != reflect.Interface {
		s, ok := v.(string)
		if !ok {
			d.bad(path, "a string", v)
			return
		}
		if err := rv.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			d.report(path, err.Error())
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		if rv.IsNil() {
			rv.Set(reflect.New(t.Elem()))
		}
		d.decode(path, v, rv.Elem())
	case reflect.Interface:
		if t.NumMethod() != 0 {
			d.report(path, fmt.Sprintf("cannot decode into %s", t))
			return
		}
		rv.Set(reflect.ValueOf(v))
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			d.bad(path, "a table", v)
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(append([]string{}, path...), k)
			i, ok := field(t, k)
			if !ok {
				d.report(p, fmt.Sprintf("unknown key (known here: %s)", strings.Join(fieldNames(t), ", ")))
				continue
			}
			d.decode(p, m[k], rv.Field(i))
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			d.report(path, fmt.Sprintf("cannot decode into %s", t))
			return
		}
		m, ok := v.(map[string]any)
		if !ok {
			d.bad(path, "a table", v)
			return
		}
		if rv.IsNil() {
			rv.Set(reflect.MakeMap(t))
		}
		for k, x := range m {
			e := reflect.New(t.Elem()).Elem()
			d.decode(append(append([]string{}, path...), k), x, e)
			rv.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), e)
		}
	case reflect.Slice, reflect.Array:
		var items []any
		switch x := v.(type) {
		case []any:
			items = x
		case []map[string]any:
			for _, m := range x {
				items = append(items, m)
			}
		default:
			d.bad(path, "an array", v)
			return
		}
		if t.Kind() == reflect.Array {
			if len(items) != t.Len() {
				d.report(path, fmt.Sprintf("want an array of %d, got %d elements", t.Len(), len(items)))
				return
			}
		} else {
			rv.Set(reflect.MakeSlice(t, len(items), len(items)))
		}
		for i, x := range items {
			d.decode(append(append([]string{}, path...), fmt.Sprint(i)), x, rv.Index(i))
		}
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			d.bad(path, "a string", v)
			return
		}
		rv.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			d.bad(path, "a boolean", v)
			return
		}
		rv.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(int64)
		if !ok {
			d.bad(path, "an integer", v)
			return
		}
		if rv.OverflowInt(n) {
			d.report(path, fmt.Sprintf("integer %d out of range for %s", n, t))
			return
		}
		rv.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(int64)
		if !ok {
			d.bad(path, "a non-negative integer", v)
			return
		}
		if n < 0 || rv.OverflowUint(uint64(n)) {
			d.report(path, fmt.Sprintf("integer %d out of range for %s", n, t))
			return
		}
		rv.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		var f float64
		switch x := v.(type) {
		case float64:
			f = x
		case int64:
			f = float64(x)
		default:
			d.bad(path, "a number", v)
			return
		}
		if t.Kind() == reflect.Float32 && !math.IsInf(f, 0) && !math.IsNaN(f) && math.Abs(f) > math.MaxFloat32 {
			d.report(path, fmt.Sprintf("%g out of range for float32", f))
			return
		}
		rv.SetFloat(f)
	default:
		d.report(path, fmt.Sprintf("cannot decode into %s", t))
	}
}
