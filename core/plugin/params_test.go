package plugin

import (
	"encoding/json"
	"testing"

	"github.com/ablate-ml/ablate/sdk/abi"
)

func testManifest() abi.Manifest {
	return abi.Manifest{ABI: 1, Name: "m", Kind: abi.KindBias, Version: "1.0.0", Params: []abi.Param{
		{Name: "rate", Type: abi.TypeNumber, Default: json.RawMessage(`0.1`)},
		{Name: "steps", Type: abi.TypeInteger, Default: json.RawMessage(`10`)},
		{Name: "tokens", Type: abi.TypeIntegers, Default: json.RawMessage(`[ 1, 2 ]`)},
		{Name: "shape", Type: abi.TypeString, Default: json.RawMessage(`"linear"`)},
	}}
}

func TestResolveParams(t *testing.T) {
	got, err := resolveParams(testManifest(), map[string]any{"steps": int64(3), "tokens": []any{int64(7)}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"rate":0.1,"steps":3,"tokens":[7],"shape":"linear"}`; string(got) != want {
		t.Errorf("resolved %s, want %s", got, want)
	}
	for _, bad := range []map[string]any{{"steps": 1.5}, {"tokens": []any{"a"}}, {"shape": 3}, {"rate": nil}, {"other": 1}} {
		if _, err := resolveParams(testManifest(), bad); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
}

// FuzzResolveParams: for any JSON object of parameters, resolveParams
// returns an error or a JSON object holding exactly the manifest's keys,
// each of its declared type.
func FuzzResolveParams(f *testing.F) {
	f.Add([]byte(`{"rate":0.5}`))
	f.Add([]byte(`{"steps":2,"tokens":[],"shape":"x"}`))
	f.Add([]byte(`{"steps":1e3}`))
	m := testManifest()
	f.Fuzz(func(t *testing.T, b []byte) {
		var given map[string]any
		if json.Unmarshal(b, &given) != nil {
			return
		}
		out, err := resolveParams(m, given)
		if err != nil {
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(out, &obj); err != nil {
			t.Fatalf("resolved %s is not a JSON object: %v", out, err)
		}
		if len(obj) != len(m.Params) {
			t.Fatalf("resolved %s has %d keys, want %d", out, len(obj), len(m.Params))
		}
		for _, p := range m.Params {
			if err := abi.CheckValue(p.Type, obj[p.Name]); err != nil {
				t.Fatalf("resolved %s: %s: %v", out, p.Name, err)
			}
		}
	})
}
