package experiment

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzDecode feeds arbitrary text to the decoder and planner. They must not
// panic, every problem must name the file, and a plan's first run, written
// back as config.toml, must plan to the same identity (the round trip that
// makes a run directory reproducible).
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/decode/*.txt")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		in, _, _ := strings.Cut(string(b), "\n----\n")
		f.Add(in)
	}
	f.Add("study = \"toy\"\n[sweep.grid]\n\"model.hidden\" = [1, 2]\n")
	env := testEnv(f, "")
	f.Fuzz(func(t *testing.T, src string) {
		file, err := Decode("f.toml", []byte(src), nil)
		if file == nil {
			if err == nil {
				t.Fatal("no file and no error")
			}
			return
		}
		p, err := file.Plan(context.Background(), env)
		if err != nil {
			de, ok := err.(*DecodeError)
			if !ok || len(de.Diags) == 0 {
				t.Fatalf("error is %T %v, want a *DecodeError with problems", err, err)
			}
			for _, d := range de.Diags {
				if d.File != "f.toml" && d.File != "command line" {
					t.Fatalf("problem without its file: %+v", d)
				}
			}
			return
		}
		if len(p.Runs) == 0 {
			t.Fatal("a plan without runs and without error")
		}
		cfg, err := ConfigTOML(&p.Runs[0])
		if err != nil {
			t.Fatal(err)
		}
		again, err := Decode("c.toml", cfg, nil)
		if err != nil {
			t.Fatalf("config.toml does not decode: %v\n%s", err, cfg)
		}
		q, err := again.Plan(context.Background(), env)
		if err != nil || len(q.Runs) != 1 || q.Runs[0].ID != p.Runs[0].ID {
			t.Fatalf("config.toml replans differently: %v\n%s", err, cfg)
		}
	})
}

// TestPositions checks the line scanner against hand-placed keys, and that
// every key the toml package reports gets a line.
func TestPositions(t *testing.T) {
	src := `# c
study = "toy" # trailing
a.b = 1
"q.k" = 'x'
s = """
multi
line"""
arr = [
  1, # one
  { x = 1 },
]

[t]
k = { in = 2, deep = { z = 3 } }
[[zz]]
v = 1
[[zz]]
v = 2
[t.sub]
w = "a]b"
`
	pos := positions(src)
	want := map[string]int{
		"study": 2, "a.b": 3, "a": 3, `"q.k"`: 4, "s": 5, "arr": 8, "arr.1.x": 10, "t": 13, "t.k": 14,
		"t.k.in": 14, "t.k.deep.z": 14, "zz.0.v": 16, "zz.1.v": 18, "t.sub.w": 20,
	}
	for k, l := range want {
		if pos[k] != l {
			t.Errorf("%s at line %d, want %d", k, pos[k], l)
		}
	}
	var tree map[string]any
	md, err := toml.Decode(src, &tree)
	if err != nil {
		t.Fatal(err)
	}
	f := &File{pos: pos}
	for _, k := range md.Keys() {
		if f.lineOf(k) == 0 {
			t.Errorf("no line for %s", k)
		}
	}
}
