package data

import (
	"fmt"
	"math"
	"math/rand/v2"
)

func blank(name string, n, h, w int) *Images {
	if n < 0 || h <= 0 || w <= 0 {
		panic(fmt.Sprintf("data: %s with n %d, h %d, w %d", name, n, h, w))
	}
	return &Images{Name: name, N: n, H: h, W: w, Pixels: make([]uint8, n*h*w)}
}

// UniformNoise returns n unlabelled h x w images whose pixels are
// independent and uniform over 0..255.
func UniformNoise(rng *rand.Rand, n, h, w int) *Images {
	d := blank("uniform-noise", n, h, w)
	for i := range d.Pixels {
		d.Pixels[i] = uint8(rng.IntN(256))
	}
	return d
}

// GaussianNoise returns n unlabelled h x w images whose pixels, in [0, 1]
// units, are independent normal draws with the given mean and standard
// deviation, clipped to [0, 1] and rounded to the nearest of 256 levels.
func GaussianNoise(rng *rand.Rand, n, h, w int, mean, std float64) *Images {
	d := blank("gaussian-noise", n, h, w)
	for i := range d.Pixels {
		v := (mean + std*rng.NormFloat64()) * 255
		d.Pixels[i] = uint8(math.Round(math.Max(0, math.Min(255, v))))
	}
	return d
}

// Constant returns n unlabelled h x w images, each filled with a single
// value uniform over 0..255.
func Constant(rng *rand.Rand, n, h, w int) *Images {
	d := blank("constant", n, h, w)
	D := h * w
	for i := 0; i < n; i++ {
		v := uint8(rng.IntN(256))
		for k := range D {
			d.Pixels[i*D+k] = v
		}
	}
	return d
}

// Inverted returns a copy of src with every pixel p replaced by 255-p,
// keeping the labels.
func Inverted(src *Images) *Images {
	d := src.Subset(src.Name+"/inverted", Range(0, src.N))
	for i, p := range d.Pixels {
		d.Pixels[i] = 255 - p
	}
	return d
}

// VFlipped returns a copy of src with each image's rows in reverse order
// (upside down), keeping the labels.
func VFlipped(src *Images) *Images {
	d := src.Subset(src.Name+"/vflip", Range(0, src.N))
	for i := 0; i < d.N; i++ {
		img := d.Image(i)
		for r := 0; r < d.H/2; r++ {
			top, bot := img[r*d.W:(r+1)*d.W], img[(d.H-1-r)*d.W:(d.H-r)*d.W]
			for c := range top {
				top[c], bot[c] = bot[c], top[c]
			}
		}
	}
	return d
}

// HFlipped returns a copy of src with each image's columns in reverse order
// (mirrored), keeping the labels.
func HFlipped(src *Images) *Images {
	d := src.Subset(src.Name+"/hflip", Range(0, src.N))
	for i := 0; i < d.N; i++ {
		img := d.Image(i)
		for r := 0; r < d.H; r++ {
			row := img[r*d.W : (r+1)*d.W]
			for a, b := 0, d.W-1; a < b; a, b = a+1, b-1 {
				row[a], row[b] = row[b], row[a]
			}
		}
	}
	return d
}
