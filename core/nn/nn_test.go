package nn

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestPathAndSetOrder(t *testing.T) {
	if got := Path("enc", "block0", "", "attn", "q", "weight"); got != "enc.block0.attn.q.weight" {
		t.Fatalf("Path = %q", got)
	}
	var s Set[float32]
	if err := s.Add(NewParam[float32]("z.w", 2), NewParam[float32]("a.b", 1), NewParam[float32]("m", 3)); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range s.Params() {
		names = append(names, p.Name)
	}
	if strings.Join(names, ",") != "a.b,m,z.w" {
		t.Errorf("order %v, want sorted", names)
	}
	if err := s.Add(NewParam[float32]("m", 1)); err == nil || !strings.Contains(err.Error(), `"m"`) {
		t.Errorf("duplicate: err = %v", err)
	}
	if s.Get("m").Shape[0] != 3 {
		t.Error("Get")
	}
}

func TestInitStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// 200x300 = 60000 draws: the sample sd is within 2% of the target with
	// overwhelming probability (relative sd error ~ 1/sqrt(2n) = 0.3%).
	cases := []struct {
		scheme Init
		sd     float64
	}{
		{Normal, 0.02},
		{He, math.Sqrt(2.0 / 200)},
		{Glorot, math.Sqrt(6.0/500) / math.Sqrt(3)}, // uniform(±a) has sd a/sqrt(3)
	}
	for _, c := range cases {
		p := NewParam[float64]("w", 200, 300)
		Fill(p, c.scheme, rng)
		var s, ss, mx float64
		for _, x := range p.Data {
			s += x
			ss += x * x
			mx = math.Max(mx, math.Abs(x))
		}
		n := float64(len(p.Data))
		sd := math.Sqrt(ss/n - (s/n)*(s/n))
		if math.Abs(sd/c.sd-1) > 0.02 || math.Abs(s/n) > 0.05*c.sd {
			t.Errorf("scheme %d: mean %g sd %g, want 0 and %g", c.scheme, s/n, sd, c.sd)
		}
		if c.scheme == Glorot && mx > math.Sqrt(6.0/500) {
			t.Errorf("glorot: |x| %g beyond bound", mx)
		}
	}
	p := NewParam[float32]("b", 4)
	p.Data[0] = 1
	Fill(p, Zeros, rng)
	if p.Data[0] != 0 {
		t.Error("zeros")
	}
}

func TestSafetensorsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, f32 := range []bool{true, false} {
		var buf bytes.Buffer
		var err error
		want := map[string][]float64{}
		if f32 {
			a, b := NewParam[float32]("enc.w", 2, 3), NewParam[float32]("enc.b", 3)
			Fill(a, He, rng)
			Fill(b, Normal, rng)
			for _, p := range []*Param[float32]{a, b} {
				for _, x := range p.Data {
					want[p.Name] = append(want[p.Name], float64(x))
				}
			}
			err = Save(&buf, []*Param[float32]{a, b}, map[string]string{"step": "7"})
		} else {
			a := NewParam[float64]("x", 5)
			Fill(a, He, rng)
			want["x"] = append([]float64{}, a.Data...)
			err = Save(&buf, []*Param[float64]{a}, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		raw := buf.Bytes()
		hl := binary.LittleEndian.Uint64(raw)
		if f32 && !bytes.Contains(raw[8:8+hl], []byte(`"dtype":"F32"`)) {
			t.Errorf("header %s lacks F32", raw[8:8+hl])
		}
		// sorted names: enc.b's bytes come first
		if f32 && !bytes.Contains(raw[8:8+hl], []byte(`"enc.b":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}`)) {
			t.Errorf("header %s: enc.b not first", raw[8:8+hl])
		}
		set, meta, err := Load[float64](raw)
		if err != nil {
			t.Fatal(err)
		}
		if f32 && meta["step"] != "7" {
			t.Errorf("meta %v", meta)
		}
		for name, w := range want {
			p := set.Get(name)
			if p == nil {
				t.Fatalf("missing %q", name)
			}
			for i := range w {
				if p.Data[i] != w[i] {
					t.Errorf("%s[%d] = %v, want %v", name, i, p.Data[i], w[i])
				}
			}
		}
	}
}

func header(js string, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	b = append(b, js...)
	return append(b, make([]byte, data)...)
}

func TestSafetensorsRejects(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"short", []byte{1, 2}, "truncated"},
		{"header past end", header(`{}`, 0)[:9], "truncated"},
		{"bad json", header(`{"a":`, 0), "header JSON"},
		{"dtype", header(`{"a":{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}`, 1), "unsupported dtype"},
		{"out of range", header(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4), "out of range"},
		{"shape size", header(`{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), "needs 12 bytes"},
		{"huge shape", header(`{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}`, 0), "larger than"},
		{"overlap", header(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, 12), "overlap"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := Load[float32](c.b)
			if !errors.Is(err, ErrSafetensors) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want ErrSafetensors mentioning %q", err, c.want)
			}
		})
	}
}
