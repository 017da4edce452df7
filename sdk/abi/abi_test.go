package abi

import (
	"strings"
	"testing"
)

func TestPackUnpack(t *testing.T) {
	for _, c := range [][2]uint32{{0, 0}, {1024, 7}, {0xFFFFFFFF, 0xFFFFFFFF}, {8, 0x80000000}} {
		v := Pack(c[0], c[1])
		if p, n := Unpack(v); p != c[0] || n != c[1] {
			t.Errorf("Unpack(Pack(%d, %d)) = %d, %d", c[0], c[1], p, n)
		}
		if v>>32 != uint64(c[0]) || uint32(v) != c[1] {
			t.Errorf("Pack(%d, %d) = %#x, not ptr<<32|len", c[0], c[1], v)
		}
	}
}

func TestParseManifest(t *testing.T) {
	ok := `{"abi":1,"name":"length","kind":"judge","version":"1.0.0","description":"d",` +
		`"params":[{"name":"prefer","type":"string","default":"shorter","doc":"x"},{"name":"ks","type":"integers","default":[1,2],"doc":""}]}`
	m, err := ParseManifest([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "length" || m.Kind != KindJudge || len(m.Params) != 2 || string(m.Params[1].Default) != "[1,2]" {
		t.Errorf("decoded %+v", m)
	}
	bad := []struct{ in, msg string }{
		{`{"abi":2,"name":"x","kind":"judge","version":"1.0.0","description":"","params":[]}`, "abi is 2, want 1"},
		{`{"abi":1,"name":"X!","kind":"judge","version":"1.0.0","description":"","params":[]}`, `name "X!"`},
		{`{"abi":1,"name":"x","kind":"oracle","version":"1.0.0","description":"","params":[]}`, `kind "oracle"`},
		{`{"abi":1,"name":"x","kind":"judge","version":"one","description":"","params":[]}`, `version "one"`},
		{`{"abi":1,"name":"x","kind":"judge","version":"1.0.0","description":"","params":[],"more":1}`, `unknown field "more"`},
		{`{"abi":1,"name":"x","kind":"judge","version":"1.0.0","description":"","params":[]} {}`, "trailing data"},
		{`{"abi":1,"name":"x","kind":"judge","version":"1.0.0","description":"","params":[{"name":"a","type":"number","default":"1","doc":""}]}`,
			`params[0] "a": default: abi: value "1" is not of type number`},
		{`{"abi":1,"name":"x","kind":"judge","version":"1.0.0","description":"","params":[{"name":"a","type":"complex","default":1,"doc":""}]}`,
			`unknown parameter type "complex"`},
		{`{"abi":1,"name":"x","kind":"judge","version":"1.0.0","description":"","params":[{"name":"a","type":"number","default":1,"doc":""},` +
			`{"name":"a","type":"number","default":1,"doc":""}]}`, `"a" appears twice`},
		{`{"abi":1,"name":"x","kind":"judge","version":"1.0.0","description":"","params":[{"name":"a","type":"integer","default":null,"doc":""}]}`,
			"null is not of type integer"},
		{`not json`, "abi: manifest"},
	}
	for _, c := range bad {
		_, err := ParseManifest([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("ParseManifest(%s) = %v, want an error with %q", c.in, err, c.msg)
		}
	}
}

func TestKindExports(t *testing.T) {
	for _, k := range Kinds {
		if !k.Valid() || len(k.Exports()) == 0 {
			t.Errorf("kind %s: valid %v, exports %v", k, k.Valid(), k.Exports())
		}
	}
	if Kind("x").Valid() || Kind("x").Exports() != nil {
		t.Error("kind x is valid")
	}
}

// FuzzParseManifest: whatever the bytes, ParseManifest returns a valid
// manifest or an error, never panics; a manifest it accepts re-validates.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"abi":1,"name":"a","kind":"bias","version":"0.1.0","description":"","params":[{"name":"p","type":"numbers","default":[1.5],"doc":""}]}`))
	f.Add([]byte(`{"abi":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseManifest(b)
		if err == nil {
			if err := m.Validate(); err != nil {
				t.Fatalf("accepted a manifest that does not validate: %v", err)
			}
		}
	})
}
