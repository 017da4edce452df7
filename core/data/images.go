package data

import (
	"fmt"
	"path/filepath"
)

// Images is a set of grey-scale images with optional class labels, stored as
// uint8 pixels (row-major, image after image) to keep memory modest; batches
// are converted to floats in [0, 1] on demand.
type Images struct {
	Name    string   // e.g. "mnist/train"
	N, H, W int      // count, height, width
	Pixels  []uint8  // N*H*W values
	Labels  []uint8  // N class labels, or nil for an unlabelled set
	Classes int      // number of classes (10 for MNIST), 0 if unlabelled
	Digests []Digest // the files this set was read from
}

// Dim returns the number of pixels per image, H*W.
func (d *Images) Dim() int { return d.H * d.W }

// Image returns image i's pixels (a view, not a copy).
func (d *Images) Image(i int) []uint8 { return d.Pixels[i*d.Dim() : (i+1)*d.Dim()] }

// Float32To writes the images idx as float32 pixel/255 into dst, row after
// row, and returns dst[:len(idx)*Dim()]. It panics if dst is too short or an
// index is out of range (programmer errors).
func (d *Images) Float32To(dst []float32, idx []int) []float32 {
	D := d.Dim()
	if len(dst) < len(idx)*D {
		panic(fmt.Sprintf("data: Float32To: dst has %d elements, %d images of %d pixels need %d", len(dst), len(idx), D, len(idx)*D))
	}
	for r, i := range idx {
		src, out := d.Image(i), dst[r*D:(r+1)*D]
		for k, p := range src {
			out[k] = float32(p) / 255
		}
	}
	return dst[:len(idx)*D]
}

// Float64To is Float32To for float64.
func (d *Images) Float64To(dst []float64, idx []int) []float64 {
	D := d.Dim()
	if len(dst) < len(idx)*D {
		panic(fmt.Sprintf("data: Float64To: dst has %d elements, %d images of %d pixels need %d", len(dst), len(idx), D, len(idx)*D))
	}
	for r, i := range idx {
		src, out := d.Image(i), dst[r*D:(r+1)*D]
		for k, p := range src {
			out[k] = float64(p) / 255
		}
	}
	return dst[:len(idx)*D]
}

// LabelsTo writes the labels of images idx into dst as ints and returns
// dst[:len(idx)]. It panics on an unlabelled set.
func (d *Images) LabelsTo(dst []int, idx []int) []int {
	if d.Labels == nil {
		panic("data: LabelsTo on unlabelled set " + d.Name)
	}
	dst = dst[:len(idx)]
	for r, i := range idx {
		dst[r] = int(d.Labels[i])
	}
	return dst
}

// Batch returns images idx as a new len(idx) x Dim() float32 matrix in
// [0, 1] and their labels (nil for an unlabelled set).
func (d *Images) Batch(idx []int) ([]float32, []int) {
	x := d.Float32To(make([]float32, len(idx)*d.Dim()), idx)
	if d.Labels == nil {
		return x, nil
	}
	return x, d.LabelsTo(make([]int, len(idx)), idx)
}

// Subset returns a copy holding the images idx, in that order.
func (d *Images) Subset(name string, idx []int) *Images {
	D := d.Dim()
	s := &Images{Name: name, N: len(idx), H: d.H, W: d.W, Classes: d.Classes,
		Pixels: make([]uint8, len(idx)*D), Digests: append([]Digest(nil), d.Digests...)}
	for r, i := range idx {
		copy(s.Pixels[r*D:], d.Image(i))
	}
	if d.Labels != nil {
		s.Labels = make([]uint8, len(idx))
		for r, i := range idx {
			s.Labels[r] = d.Labels[i]
		}
	}
	return s
}

// Head returns a copy of the first n images (all of them if n >= N).
func (d *Images) Head(n int) *Images {
	n = min(n, d.N)
	return d.Subset(d.Name, Range(0, n))
}

// Range returns the indices lo, lo+1, ..., hi-1.
func Range(lo, hi int) []int {
	idx := make([]int, max(hi-lo, 0))
	for i := range idx {
		idx[i] = lo + i
	}
	return idx
}

// imagesFromIDX pairs an images file with a labels file and checks that they
// agree.
func imagesFromIDX(name, imgPath, lblPath string, classes int) (*Images, error) {
	img, dImg, err := ReadIDXFile(imgPath)
	if err != nil {
		return nil, err
	}
	if img.Type != IDXUint8 || len(img.Dims) != 3 {
		return nil, fmt.Errorf("data: %s: %s holds %s%v, want uint8 [n rows cols]", name, imgPath, img.Type, img.Dims)
	}
	lbl, dLbl, err := ReadIDXFile(lblPath)
	if err != nil {
		return nil, err
	}
	if lbl.Type != IDXUint8 || len(lbl.Dims) != 1 {
		return nil, fmt.Errorf("data: %s: %s holds %s%v, want uint8 [n]", name, lblPath, lbl.Type, lbl.Dims)
	}
	if lbl.Dims[0] != img.Dims[0] {
		return nil, fmt.Errorf("data: %s: %d images in %s but %d labels in %s", name, img.Dims[0], imgPath, lbl.Dims[0], lblPath)
	}
	for i, l := range lbl.Data {
		if int(l) >= classes {
			return nil, fmt.Errorf("data: %s: label %d of %s is %d, want < %d", name, i, lblPath, l, classes)
		}
	}
	return &Images{Name: name, N: img.Dims[0], H: img.Dims[1], W: img.Dims[2],
		Pixels: img.Data, Labels: lbl.Data, Classes: classes,
		Digests: []Digest{dImg, dLbl}}, nil
}

// Split names one of a data set's published splits.
type Split string

// The two published splits of MNIST-like data sets.
const (
	Train Split = "train"
	Test  Split = "test"
)

// prefix returns the IDX file prefix of a split: "train" or "t10k".
func (s Split) prefix() (string, error) {
	switch s {
	case Train:
		return "train", nil
	case Test:
		return "t10k", nil
	}
	return "", fmt.Errorf("data: unknown split %q (want %q or %q)", string(s), Train, Test)
}

// idxPair returns the image and label file paths of split in dir, preferring
// the gzip file and accepting a plain one.
func idxPair(dir, prefix string) (img, lbl string, ok bool) {
	find := func(base string) string {
		for _, p := range []string{base + ".gz", base} {
			if fileExists(filepath.Join(dir, p)) {
				return filepath.Join(dir, p)
			}
		}
		return ""
	}
	img = find(prefix + "-images-idx3-ubyte")
	lbl = find(prefix + "-labels-idx1-ubyte")
	return img, lbl, img != "" && lbl != ""
}
