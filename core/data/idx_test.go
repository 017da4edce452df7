package data

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// encodeIDX writes vals as an IDX array of type t and shape dims, the
// encoder written from the format's description, independent of ReadIDX.
func encodeIDX(t IDXType, dims []int, vals []float64) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, byte(t), byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	for _, v := range vals {
		switch t {
		case IDXUint8:
			b.WriteByte(uint8(v))
		case IDXInt8:
			b.WriteByte(byte(int8(v)))
		case IDXInt16:
			binary.Write(&b, binary.BigEndian, int16(v))
		case IDXInt32:
			binary.Write(&b, binary.BigEndian, int32(v))
		case IDXFloat32:
			binary.Write(&b, binary.BigEndian, float32(v))
		case IDXFloat64:
			binary.Write(&b, binary.BigEndian, v)
		}
	}
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func TestIDXRoundTrip(t *testing.T) {
	vals := map[IDXType][]float64{
		IDXUint8:   {0, 1, 127, 128, 254, 255},
		IDXInt8:    {-128, -1, 0, 1, 100, 127},
		IDXInt16:   {-32768, -300, 0, 7, 1000, 32767},
		IDXInt32:   {-2147483648, -70000, 0, 1, 65536, 2147483647},
		IDXFloat32: {-1.5, 0, 0.25, 1 << 40, float64(float32(math.Pi)), -7},
		IDXFloat64: {-1e-300, 0, math.Pi, math.E, 1e300, -2},
	}
	for typ, vs := range vals {
		for _, compressed := range []bool{false, true} {
			name := typ.String()
			if compressed {
				name += "/gzip"
			}
			t.Run(name, func(t *testing.T) {
				raw := encodeIDX(typ, []int{2, 3}, vs)
				if compressed {
					raw = gz(raw)
				}
				x, err := ReadIDX(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				if x.Type != typ || len(x.Dims) != 2 || x.Dims[0] != 2 || x.Dims[1] != 3 || x.Len() != 6 {
					t.Fatalf("got %s%v with %d elements", x.Type, x.Dims, x.Len())
				}
				for i, v := range vs {
					if got := x.Float64(i); got != v {
						t.Errorf("element %d = %v, want %v", i, got, v)
					}
				}
			})
		}
	}
}

func TestIDXHeaderErrors(t *testing.T) {
	good := encodeIDX(IDXUint8, []int{2, 2}, []float64{1, 2, 3, 4})
	for _, c := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "reading magic"},
		{"bad magic", append([]byte{1, 0}, good[2:]...), "does not start with 00 00"},
		{"unknown type", append([]byte{0, 0, 0x0A}, good[3:]...), "unknown element type 0x0a"},
		{"zero dims", []byte{0, 0, 8, 0}, "zero dimensions"},
		{"short dims", good[:9], "reading 2 dimension sizes"},
		{"truncated data", good[:len(good)-1], "uint8[2 2] wants 4 data bytes, stream has 3"},
		{"trailing", append(append([]byte{}, good...), 9), "trailing bytes after 4 data bytes"},
		{"truncated gzip", gz(good)[:20], "unexpected EOF"},
		{"huge", encodeIDX(IDXFloat64, []int{1 << 20, 1 << 20}, nil), "announce more than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "data: idx: ") {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
			if c.name != "truncated gzip" && !errors.Is(err, ErrIDX) {
				t.Fatalf("err = %v does not wrap ErrIDX", err)
			}
		})
	}
}

func TestWriteIDX(t *testing.T) {
	want := encodeIDX(IDXInt32, []int{2, 1}, []float64{-5, 70000})
	x, err := ReadIDX(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteIDX(&b, x); err != nil || !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("WriteIDX: %v, bytes %x, want %x", err, b.Bytes(), want)
	}
	x.Data = x.Data[:7]
	if err := WriteIDX(&b, x); err == nil || !strings.Contains(err.Error(), "needs 8 data bytes, have 7") {
		t.Fatalf("short data: err = %v", err)
	}
}

func TestReadIDXFileDigest(t *testing.T) {
	raw := gz(encodeIDX(IDXUint8, []int{3}, []float64{7, 8, 9}))
	p := filepath.Join(t.TempDir(), "x-labels-idx1-ubyte.gz")
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	x, d, err := ReadIDXFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if d.Path != p || d.SHA256 != hex.EncodeToString(sum[:]) || x.Data[2] != 9 {
		t.Fatalf("digest %+v, data %v", d, x.Data)
	}
	if _, _, err := ReadIDXFile(p + ".missing"); err == nil || !strings.Contains(err.Error(), p+".missing") {
		t.Fatalf("missing file: err = %v", err)
	}
}

func TestFingerprint(t *testing.T) {
	a := []Digest{{"/x/a", "11"}, {"/x/b", "22"}}
	b := []Digest{{"/y/b", "22"}, {"/y/a", "11"}}
	if FingerprintContent(a) != FingerprintContent(b) {
		t.Fatal("content fingerprint depends on order or paths")
	}
	if Fingerprint(a) == Fingerprint(b) {
		t.Fatal("path fingerprint ignores paths")
	}
	if FingerprintContent(a) == FingerprintContent(a[:1]) {
		t.Fatal("fingerprint ignores a file")
	}
	// sha256 of "11\n22\n", computed independently.
	want := sha256.Sum256([]byte("11\n22\n"))
	if FingerprintContent(b) != hex.EncodeToString(want[:]) {
		t.Fatal("content fingerprint is not sha256 of the sorted lines")
	}
}

// FuzzReadIDX checks that no input makes the reader panic or over-read, and
// that whatever it accepts re-encodes to the same bytes.
func FuzzReadIDX(f *testing.F) {
	f.Add(encodeIDX(IDXUint8, []int{2, 2}, []float64{1, 2, 3, 4}))
	f.Add(encodeIDX(IDXFloat64, []int{1}, []float64{math.Pi}))
	f.Add(gz(encodeIDX(IDXInt16, []int{3}, []float64{-1, 0, 1})))
	f.Add([]byte{0, 0, 8, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ReadIDX(bytes.NewReader(in))
		if err != nil {
			return
		}
		if len(x.Data) != x.Len()*x.Type.Size() {
			t.Fatalf("data length %d for %d elements", len(x.Data), x.Len())
		}
		if len(in) >= 2 && in[0] == 0x1f && in[1] == 0x8b {
			return // compressed: the gzip framing is not reproduced
		}
		var b bytes.Buffer
		if err := WriteIDX(&b, x); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), in) {
			t.Fatalf("re-encoding differs from the input")
		}
	})
}
