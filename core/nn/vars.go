package nn

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ablate-ml/ablate/core/autodiff"
)

// ParamsOf returns views of autodiff parameters as named Params (same data),
// for Save and for Set.
func ParamsOf[T Float](vars []*autodiff.Var[T]) []*Param[T] {
	ps := make([]*Param[T], len(vars))
	for i, v := range vars {
		ps[i] = &Param[T]{Name: v.Name, Shape: append([]int(nil), v.Value.Shape...), Data: v.Value.Data}
	}
	return ps
}

// SaveVars writes autodiff parameters in safetensors format under their
// names (see Save).
func SaveVars[T Float](w io.Writer, vars []*autodiff.Var[T], meta map[string]string) error {
	return Save(w, ParamsOf(vars), meta)
}

// LoadVars reads a safetensors file and copies each tensor into the
// parameter of the same name. Every parameter must be in the file with its
// shape, and every tensor in the file must match a parameter; otherwise
// nothing is copied and the error names the tensors concerned.
func LoadVars[T Float](b []byte, vars []*autodiff.Var[T]) (meta map[string]string, err error) {
	set, meta, err := Load[T](b)
	if err != nil {
		return nil, err
	}
	var missing, shape, extra []string
	want := map[string]bool{}
	for _, v := range vars {
		want[v.Name] = true
		p := set.Get(v.Name)
		switch {
		case p == nil:
			missing = append(missing, v.Name)
		case fmt.Sprint(p.Shape) != fmt.Sprint(v.Value.Shape):
			shape = append(shape, fmt.Sprintf("%s (file %v, model %v)", v.Name, p.Shape, v.Value.Shape))
		}
	}
	for _, p := range set.Params() {
		if !want[p.Name] {
			extra = append(extra, p.Name)
		}
	}
	var msgs []string
	for _, x := range []struct {
		what  string
		names []string
	}{{"missing from the file", missing}, {"shape differs", shape}, {"not in the model", extra}} {
		if len(x.names) > 0 {
			sort.Strings(x.names)
			msgs = append(msgs, x.what+": "+strings.Join(x.names, ", "))
		}
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("nn: load: %s", strings.Join(msgs, "; "))
	}
	for _, v := range vars {
		copy(v.Value.Data, set.Get(v.Name).Data)
	}
	return meta, nil
}
