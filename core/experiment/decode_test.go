package experiment

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// render describes a plan or a decoding error for golden files.
func render(p *Plan, err error) string {
	if err != nil {
		return "error:\n" + err.Error() + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "study %s, sweep %s, %d runs\n", p.Study.Name(), p.File.Name, len(p.Runs))
	for _, r := range p.Runs {
		fmt.Fprintf(&b, "run %d %s\n", r.Index, r.Label())
		for _, pl := range r.Plugins {
			fmt.Fprintf(&b, "  plugin %s use=%s trust=%s digest=%s params=%v\n", pl.Slot, pl.Use, pl.Trust, pl.Digest[:15], pl.Params)
		}
	}
	if len(p.Runs) > 0 {
		cfg, err := ConfigTOML(&p.Runs[0])
		if err != nil {
			return "config error: " + err.Error()
		}
		// the first line holds the run ID, which depends on the fake digests
		_, rest, _ := strings.Cut(string(cfg), "\n")
		b.WriteString("config of run 0:\n" + rest)
	}
	return b.String()
}

// TestGolden decodes testdata/decode/*.txt: the input (whose first line may
// be "# args: k=v ..." for overrides), a ---- line, the expected plan or
// errors. Regenerate with go test -run TestGolden -update.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/decode/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			in, want, ok := strings.Cut(string(b), "\n----\n")
			if !ok {
				t.Fatalf("%s has no ---- line", file)
			}
			var args []string
			if first, _, _ := strings.Cut(in, "\n"); strings.HasPrefix(first, "# args:") {
				args = strings.Fields(strings.TrimPrefix(first, "# args:"))
			}
			name := strings.TrimSuffix(filepath.Base(file), ".txt") + ".toml"
			var p *Plan
			f, err := Decode(name, []byte(in+"\n"), args)
			if f != nil {
				p, err = f.Plan(context.Background(), testEnv(t, ""))
			}
			got := render(p, err)
			if *update {
				if err := os.WriteFile(file, []byte(in+"\n----\n"+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("%s: got\n%s\nwant\n%s", file, got, want)
			}
		})
	}
}
