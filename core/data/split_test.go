package data

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestSplitIndices(t *testing.T) {
	a, b := SplitIndices(101, 0.3, rand.New(rand.NewPCG(7, 0)))
	if len(a) != 30 || len(b) != 71 {
		t.Fatalf("sizes %d, %d; want 30, 71", len(a), len(b))
	}
	all := slices.Sorted(slices.Values(append(append([]int{}, a...), b...)))
	if !slices.Equal(all, Range(0, 101)) {
		t.Fatal("the two parts are not a partition of 0..100")
	}
	a2, _ := SplitIndices(101, 0.3, rand.New(rand.NewPCG(7, 0)))
	a3, _ := SplitIndices(101, 0.3, rand.New(rand.NewPCG(8, 0)))
	if !slices.Equal(a, a2) || slices.Equal(a, a3) {
		t.Fatal("split is not a function of the seed alone")
	}
}

func TestBatcherCoversEachEpoch(t *testing.T) {
	for _, cfg := range []Batches{
		{N: 10, Size: 3},
		{N: 10, Size: 3, Shuffle: true, Seed: 1},
		{N: 10, Size: 3, Shuffle: true, Seed: 1, DropLast: true},
		{N: 12, Size: 4, Shuffle: true, Seed: 2},
	} {
		b := NewBatcher(cfg)
		var prev []int
		for e := 0; e < 3; e++ {
			var seen []int
			for k := 0; k < cfg.PerEpoch(); k++ {
				if ep, _ := b.Position(); k > 0 && ep != e {
					t.Fatalf("%+v: epoch %d ended after %d batches", cfg, e, k)
				}
				seen = append(seen, b.Next()...)
			}
			want := cfg.N
			if cfg.DropLast {
				want = cfg.N / cfg.Size * cfg.Size
			}
			sorted := slices.Sorted(slices.Values(seen))
			if len(seen) != want || len(slices.Compact(sorted)) != want {
				t.Fatalf("%+v epoch %d: %d indices, %d distinct, want %d", cfg, e, len(seen), len(slices.Compact(sorted)), want)
			}
			if cfg.Shuffle && slices.Equal(seen, prev) {
				t.Fatalf("%+v: epoch %d repeats the previous order", cfg, e)
			}
			if !cfg.Shuffle && !slices.Equal(seen, Range(0, cfg.N)) {
				t.Fatalf("%+v: sequential order broken: %v", cfg, seen)
			}
			// The iterator form yields the same batches.
			var it []int
			for bt := range cfg.Epoch(e) {
				it = append(it, bt...)
			}
			if !slices.Equal(it, seen) {
				t.Fatalf("%+v epoch %d: Epoch() gives %v, Next gives %v", cfg, e, it, seen)
			}
			prev = seen
		}
	}
}

func TestBatcherSeekResumes(t *testing.T) {
	cfg := Batches{N: 17, Size: 5, Shuffle: true, Seed: 42}
	a := NewBatcher(cfg)
	var want [][]int
	var ep, off int
	for k := 0; k < 20; k++ {
		if k == 7 {
			ep, off = a.Position()
		}
		want = append(want, a.Next())
	}
	b := NewBatcher(cfg)
	b.Seek(ep, off)
	for k := 7; k < 20; k++ {
		if got := b.Next(); !slices.Equal(got, want[k]) {
			t.Fatalf("batch %d after Seek(%d, %d) = %v, want %v", k, ep, off, got, want[k])
		}
	}
}

func TestConsecutive(t *testing.T) {
	var got [][]int
	for b := range Consecutive(7, 3) {
		got = append(got, b)
	}
	if len(got) != 3 || !slices.Equal(got[0], []int{0, 1, 2}) || !slices.Equal(got[2], []int{6}) {
		t.Fatalf("got %v", got)
	}
}

func tiny() *Images {
	d := &Images{Name: "tiny", N: 2, H: 3, W: 2, Classes: 4, Labels: []uint8{3, 1}}
	for i := 0; i < 12; i++ {
		d.Pixels = append(d.Pixels, uint8(i*20))
	}
	return d
}

func TestTransforms(t *testing.T) {
	src := tiny()
	orig := slices.Clone(src.Pixels)
	inv, vf, hf := Inverted(src), VFlipped(src), HFlipped(src)
	if !slices.Equal(src.Pixels, orig) {
		t.Fatal("a transform modified its input")
	}
	for i := 0; i < src.N; i++ {
		for r := 0; r < src.H; r++ {
			for c := 0; c < src.W; c++ {
				p := src.Image(i)[r*src.W+c]
				if inv.Image(i)[r*src.W+c] != 255-p {
					t.Fatalf("inverted (%d,%d,%d)", i, r, c)
				}
				if vf.Image(i)[(src.H-1-r)*src.W+c] != p {
					t.Fatalf("vflip (%d,%d,%d)", i, r, c)
				}
				if hf.Image(i)[r*src.W+src.W-1-c] != p {
					t.Fatalf("hflip (%d,%d,%d)", i, r, c)
				}
			}
		}
	}
	if !slices.Equal(inv.Labels, src.Labels) || !slices.Equal(VFlipped(vf).Pixels, orig) {
		t.Fatal("labels lost or double flip is not the identity")
	}
}

func TestNoiseSets(t *testing.T) {
	const n, h, w = 200, 28, 28
	N := float64(n * h * w)
	u := UniformNoise(rand.New(rand.NewPCG(1, 1)), n, h, w)
	u2 := UniformNoise(rand.New(rand.NewPCG(1, 1)), n, h, w)
	if !slices.Equal(u.Pixels, u2.Pixels) || u.Labels != nil {
		t.Fatal("uniform noise is not a function of the seed, or has labels")
	}
	mean := func(p []uint8) (m, sd float64) {
		for _, v := range p {
			m += float64(v)
		}
		m /= float64(len(p))
		for _, v := range p {
			sd += (float64(v) - m) * (float64(v) - m)
		}
		return m, math.Sqrt(sd / float64(len(p)))
	}
	// Uniform on 0..255: mean 127.5, sd sqrt((256^2-1)/12) = 73.9; allow 6
	// standard errors of the mean (73.9/sqrt(N)).
	if m, sd := mean(u.Pixels); math.Abs(m-127.5) > 6*73.9/math.Sqrt(N) || math.Abs(sd-73.9) > 0.5 {
		t.Fatalf("uniform noise mean %v sd %v", m, sd)
	}
	// Gaussian at mean .5, sd .1 (clipping at 5 sd is negligible): mean 127.5
	// and sd 25.5 in pixel units, within 6 standard errors.
	g := GaussianNoise(rand.New(rand.NewPCG(2, 2)), n, h, w, 0.5, 0.1)
	if m, sd := mean(g.Pixels); math.Abs(m-127.5) > 6*25.5/math.Sqrt(N) || math.Abs(sd-25.5) > 0.3 {
		t.Fatalf("gaussian noise mean %v sd %v", m, sd)
	}
	c := Constant(rand.New(rand.NewPCG(3, 3)), n, h, w)
	distinct := map[uint8]bool{}
	for i := 0; i < n; i++ {
		img := c.Image(i)
		for _, p := range img {
			if p != img[0] {
				t.Fatalf("constant image %d is not constant", i)
			}
		}
		distinct[img[0]] = true
	}
	if len(distinct) < 50 { // 200 draws from 256 values give ~140 distinct
		t.Fatalf("constant images take only %d values", len(distinct))
	}
}

func TestSubsetAndSplit(t *testing.T) {
	d := tiny()
	s := d.Subset("s", []int{1})
	if s.N != 1 || s.Labels[0] != 1 || !slices.Equal(s.Pixels, d.Image(1)) {
		t.Fatalf("subset %+v", s)
	}
	s.Pixels[0] = 99
	if d.Pixels[6] == 99 {
		t.Fatal("Subset shares pixels with its source")
	}
	a, b := d.Split(0.5, rand.New(rand.NewPCG(1, 0)))
	if a.N+b.N != 2 || a.N != 1 {
		t.Fatalf("split sizes %d, %d", a.N, b.N)
	}
}

func TestOpticks(t *testing.T) {
	tx, err := Opticks("")
	if err != nil {
		t.Skipf("%v", err)
	}
	if tx.Len() < 500_000 || !bytes.Contains(tx.Bytes, []byte("OPTICKS")) || len(tx.Digests) != 1 {
		t.Fatalf("opticks: %d bytes", tx.Len())
	}
}

func TestFortunes(t *testing.T) {
	tx, err := Fortunes("")
	if err != nil {
		t.Skipf("%v", err)
	}
	if len(tx.Docs) < 1000 || tx.Docs[0] != 0 {
		t.Fatalf("%d cookies", len(tx.Docs))
	}
	if bytes.Contains(tx.Bytes, []byte("\n%\n")) || bytes.HasPrefix(tx.Bytes, []byte("%\n")) {
		t.Fatal("cookie separators left in the text")
	}
	for _, d := range tx.Digests {
		if strings.HasSuffix(d.Path, ".dat") || strings.HasSuffix(d.Path, ".u8") {
			t.Fatalf("read index file %s", d.Path)
		}
		if d.SHA256 != fileSHA(t, d.Path) {
			t.Fatalf("digest of %s wrong", d.Path)
		}
	}
	if !slices.IsSorted(tx.Docs) {
		t.Fatal("document offsets not increasing")
	}
}

func TestSplitCookies(t *testing.T) {
	got := splitCookies([]byte("one\ntwo\n%\nthree\n%\n%\n"))
	if len(got) != 2 || string(got[0]) != "one\ntwo\n" || string(got[1]) != "three\n" {
		t.Fatalf("got %q", got)
	}
}

func TestGoSource(t *testing.T) {
	tx, err := GoSource("", 300_000)
	if err != nil {
		t.Skipf("%v", err)
	}
	if tx.Len() > 300_000 || len(tx.Docs) < 5 {
		t.Fatalf("%d bytes in %d files", tx.Len(), len(tx.Docs))
	}
	for k, s := range tx.Docs {
		e := tx.Len()
		if k+1 < len(tx.Docs) {
			e = tx.Docs[k+1]
		}
		if !bytes.Contains(tx.Bytes[s:e], []byte("package ")) {
			t.Fatalf("document %d is not a Go file", k)
		}
	}
	again, _ := GoSource("", 300_000)
	if again.Digests[0] != tx.Digests[0] {
		t.Fatal("digest not deterministic")
	}
}

func TestTextSplitAndWindows(t *testing.T) {
	tx := &Text{Name: "t", Bytes: []byte("aaaa bbbb cccc dddd "), Docs: []int{0, 5, 10, 15}}
	tr, va := tx.Split(0.3)
	if string(tr.Bytes) != "aaaa bbbb cccc " || string(va.Bytes) != "dddd " || !slices.Equal(va.Docs, []int{0}) {
		t.Fatalf("split %q | %q (docs %v)", tr.Bytes, va.Bytes, va.Docs)
	}
	one := &Text{Bytes: []byte("0123456789"), Docs: []int{0}}
	a, b := one.Split(0.2)
	if string(a.Bytes)+string(b.Bytes) != "0123456789" || len(b.Bytes) != 2 {
		t.Fatalf("single-document split %q | %q", a.Bytes, b.Bytes)
	}
	ws := one.Sample(rand.New(rand.NewPCG(5, 5)), 50, 4)
	ws2 := one.Sample(rand.New(rand.NewPCG(5, 5)), 50, 4)
	starts := map[byte]bool{}
	for i, w := range ws {
		if len(w) != 4 || !bytes.Contains(one.Bytes, w) || !bytes.Equal(w, ws2[i]) {
			t.Fatalf("window %d = %q", i, w)
		}
		starts[w[0]] = true
	}
	if len(starts) != 7 { // offsets 0..6 all drawn in 50 tries
		t.Fatalf("window starts %v, want all 7 offsets", starts)
	}
	ch := one.Chunks(3)
	toks := TokensTo(make([]int32, 9), ch)
	if len(ch) != 3 || string(ch[2]) != "678" || toks[8] != '8' || toks[0] != '0' {
		t.Fatalf("chunks %q tokens %v", ch, toks)
	}
}
