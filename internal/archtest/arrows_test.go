package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/ablate-ml/ablate/"

// forbidden says, for a package path relative to the module root, which
// module-relative prefixes it must not depend on (directly or not).
func forbidden(pkg string) []string {
	var out []string
	add := func(p ...string) { out = append(out, p...) }
	switch {
	case strings.HasPrefix(pkg, "sdk"), strings.HasPrefix(pkg, "plugins"):
		add("core/", "experiments/", "registry", "cmd/")
	case strings.HasPrefix(pkg, "core/"):
		add("experiments/", "cmd/", "registry")
		lower := map[string][]string{
			"core/tensor":   {"core/autodiff", "core/nn", "core/optim", "core/train", "core/experiment", "core/plugin"},
			"core/autodiff": {"core/nn", "core/optim", "core/train", "core/experiment", "core/plugin"},
			"core/nn":       {"core/optim", "core/train", "core/experiment", "core/plugin"},
			"core/optim":    {"core/train", "core/experiment", "core/plugin"},
			"core/metrics":  {"core/nn", "core/optim", "core/train", "core/experiment", "core/plugin"},
			"core/data":     {"core/nn", "core/optim", "core/train", "core/experiment", "core/plugin"},
			"core/plugin":   {"core/experiment", "core/train"},
		}
		for k, v := range lower {
			if pkg == k || strings.HasPrefix(pkg, k+"/") {
				add(v...)
			}
		}
	case strings.HasPrefix(pkg, "experiments/"):
		// A study never reaches into another study.
		study := strings.SplitN(strings.TrimPrefix(pkg, "experiments/"), "/", 2)[0]
		out = append(out, "cmd/", "!experiments/"+study)
	case strings.HasPrefix(pkg, "registry"):
		add("experiments/", "cmd/")
	}
	return out
}

func TestDependencyArrows(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, mod+"...")
	cmd.Dir = "../.."
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, b)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		t.Fatalf("go list found %d packages; the test is not looking at the module", len(lines))
	}
	for _, line := range lines {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], mod)
		rules := forbidden(pkg)
		for _, dep := range f[1:] {
			if !strings.HasPrefix(dep, mod) {
				continue
			}
			d := strings.TrimPrefix(dep, mod)
			for _, r := range rules {
				if own, ok := strings.CutPrefix(r, "!experiments/"); ok {
					if s, isStudy := strings.CutPrefix(d, "experiments/"); isStudy && strings.SplitN(s, "/", 2)[0] != own {
						t.Errorf("%s depends on %s: a study never reaches into another study", pkg, d)
					}
					continue
				}
				if d == strings.TrimSuffix(r, "/") || strings.HasPrefix(d, r) {
					t.Errorf("%s depends on %s, against the arrows of DESIGN.md", pkg, d)
				}
			}
		}
	}
}

func TestRulesCatchViolations(t *testing.T) {
	// The rule table itself must flag the arrows it exists to forbid.
	cases := []struct{ pkg, dep string }{
		{"sdk", "core/tensor"},
		{"plugins/estimator/kde", "core/plugin"},
		{"core/tensor", "core/autodiff"},
		{"core/experiment", "experiments/ood"},
	}
	for _, c := range cases {
		hit := false
		for _, r := range forbidden(c.pkg) {
			if strings.HasPrefix(c.dep, r) {
				hit = true
			}
		}
		if !hit {
			t.Errorf("rules allow %s -> %s", c.pkg, c.dep)
		}
	}
}
