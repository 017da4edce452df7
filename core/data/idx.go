package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
)

// IDXType is the element type code of an IDX file, the third byte of its
// magic number.
type IDXType byte

// The IDX element types.
const (
	IDXUint8   IDXType = 0x08
	IDXInt8    IDXType = 0x09
	IDXInt16   IDXType = 0x0B
	IDXInt32   IDXType = 0x0C
	IDXFloat32 IDXType = 0x0D
	IDXFloat64 IDXType = 0x0E
)

// Size returns the element size in bytes, or 0 for an unknown type.
func (t IDXType) Size() int {
	switch t {
	case IDXUint8, IDXInt8:
		return 1
	case IDXInt16:
		return 2
	case IDXInt32, IDXFloat32:
		return 4
	case IDXFloat64:
		return 8
	}
	return 0
}

func (t IDXType) String() string {
	switch t {
	case IDXUint8:
		return "uint8"
	case IDXInt8:
		return "int8"
	case IDXInt16:
		return "int16"
	case IDXInt32:
		return "int32"
	case IDXFloat32:
		return "float32"
	case IDXFloat64:
		return "float64"
	}
	return fmt.Sprintf("unknown(0x%02x)", byte(t))
}

// maxIDXBytes bounds the payload a header may announce, so a corrupt header
// cannot make the reader allocate without limit.
const maxIDXBytes = 1 << 32

// preallocIDX is the most ReadIDX allocates before the data arrives.
const preallocIDX = 16 << 20

// IDX is a decoded IDX array: its element type, its dimensions, and its
// elements as stored (big-endian), Data having exactly prod(Dims)*Type.Size()
// bytes.
type IDX struct {
	Type IDXType
	Dims []int
	Data []byte
}

// Len returns the number of elements.
func (x *IDX) Len() int { return len(x.Data) / x.Type.Size() }

// Float64 decodes element i as a float64, whatever the type.
func (x *IDX) Float64(i int) float64 {
	s := x.Type.Size()
	b := x.Data[i*s : (i+1)*s]
	switch x.Type {
	case IDXUint8:
		return float64(b[0])
	case IDXInt8:
		return float64(int8(b[0]))
	case IDXInt16:
		return float64(int16(binary.BigEndian.Uint16(b)))
	case IDXInt32:
		return float64(int32(binary.BigEndian.Uint32(b)))
	case IDXFloat32:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
	default:
		return math.Float64frombits(binary.BigEndian.Uint64(b))
	}
}

// ErrIDX is wrapped by every error about a malformed IDX stream.
var ErrIDX = errors.New("malformed IDX data")

// ReadIDX decodes one IDX array from r, gzip-compressed or not (detected
// from the first two bytes). It checks that the magic number starts with
// two zero bytes, that the type code is known, that there is at least one
// dimension, and that the data holds exactly the elements the dimensions
// announce: a short stream and trailing bytes are both errors.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil {
		return nil, fmt.Errorf("data: idx: reading magic: %w: %w", ErrIDX, noEOF(err))
	}
	var src io.Reader = br
	if head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("data: idx: gzip header: %w", err)
		}
		defer zr.Close()
		src = zr
	}
	var magic [4]byte
	if _, err := io.ReadFull(src, magic[:]); err != nil {
		return nil, fmt.Errorf("data: idx: reading magic: %w: %w", ErrIDX, noEOF(err))
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("data: idx: magic % x does not start with 00 00: %w", magic, ErrIDX)
	}
	x := &IDX{Type: IDXType(magic[2])}
	if x.Type.Size() == 0 {
		return nil, fmt.Errorf("data: idx: unknown element type 0x%02x in magic % x (known: 08 09 0b 0c 0d 0e): %w", magic[2], magic, ErrIDX)
	}
	nd := int(magic[3])
	if nd == 0 {
		return nil, fmt.Errorf("data: idx: zero dimensions in magic % x: %w", magic, ErrIDX)
	}
	dims := make([]byte, 4*nd)
	if _, err := io.ReadFull(src, dims); err != nil {
		return nil, fmt.Errorf("data: idx: reading %d dimension sizes: %w: %w", nd, ErrIDX, noEOF(err))
	}
	total := uint64(x.Type.Size())
	for i := 0; i < nd; i++ {
		d := binary.BigEndian.Uint32(dims[4*i:])
		x.Dims = append(x.Dims, int(d))
		total *= uint64(d)
		if total > maxIDXBytes {
			return nil, fmt.Errorf("data: idx: dimensions %v announce more than %d bytes: %w", x.Dims, uint64(maxIDXBytes), ErrIDX)
		}
	}
	// Grow the buffer as bytes arrive rather than trusting the header's
	// size: a corrupt or hostile header costs no more memory than the data.
	buf := bytes.NewBuffer(make([]byte, 0, min(total, preallocIDX)))
	if n, err := io.CopyN(buf, src, int64(total)); err != nil {
		return nil, fmt.Errorf("data: idx: %s%v wants %d data bytes, stream has %d: %w: %w", x.Type, x.Dims, total, n, ErrIDX, noEOF(err))
	}
	x.Data = buf.Bytes()
	if cap(x.Data)-len(x.Data) > len(x.Data)/8 { // keep memory at the data's size
		x.Data = append(make([]byte, 0, len(x.Data)), x.Data...)
	}
	var extra [1]byte
	if n, _ := io.ReadFull(src, extra[:]); n > 0 {
		return nil, fmt.Errorf("data: idx: trailing bytes after %d data bytes of %s%v: %w", total, x.Type, x.Dims, ErrIDX)
	}
	return x, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: inside an IDX array, an end
// of stream is always premature.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Digest identifies a file read by a loader: its path and the SHA-256 of its
// bytes as stored on disk (compressed, if it was).
type Digest struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// ReadIDXFile reads an IDX file (gzip or plain) and returns it with the
// digest of the file's bytes.
func ReadIDXFile(path string) (*IDX, Digest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Digest{}, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	x, err := ReadIDX(io.TeeReader(f, h))
	if err != nil {
		return nil, Digest{}, fmt.Errorf("%w (file %s)", err, path)
	}
	// Hash whatever the decoder left unread (gzip trailer, buffered tail).
	if _, err := io.Copy(h, f); err != nil {
		return nil, Digest{}, fmt.Errorf("data: reading %s: %w", path, err)
	}
	return x, Digest{Path: path, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Fingerprint combines digests into one hex SHA-256, independent of their
// order: the digest of the sorted "sha256  path" lines. Paths count, so the
// same bytes read from another place give another fingerprint only if the
// caller passes paths; use FingerprintContent to ignore where files live.
func Fingerprint(ds []Digest) string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.SHA256 + "  " + d.Path + "\n"
	}
	return sumLines(lines)
}

// FingerprintContent combines only the files' contents: the same data found
// in another directory (a module cache elsewhere) gives the same value.
func FingerprintContent(ds []Digest) string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.SHA256 + "\n"
	}
	return sumLines(lines)
}

func sumLines(lines []string) string {
	slices.Sort(lines)
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// WriteIDX writes x in the IDX format (uncompressed). It returns an error
// if x is inconsistent: an unknown type, no or too many dimensions, or data
// whose length does not match the dimensions.
func WriteIDX(w io.Writer, x *IDX) error {
	if x.Type.Size() == 0 {
		return fmt.Errorf("data: write idx: unknown element type 0x%02x", byte(x.Type))
	}
	if len(x.Dims) == 0 || len(x.Dims) > 255 {
		return fmt.Errorf("data: write idx: %d dimensions, want 1 to 255", len(x.Dims))
	}
	n := x.Type.Size()
	for _, d := range x.Dims {
		if d < 0 || uint64(d) > math.MaxUint32 {
			return fmt.Errorf("data: write idx: dimension %d out of range in %v", d, x.Dims)
		}
		n *= d
	}
	if n != len(x.Data) {
		return fmt.Errorf("data: write idx: %s%v needs %d data bytes, have %d", x.Type, x.Dims, n, len(x.Data))
	}
	head := []byte{0, 0, byte(x.Type), byte(len(x.Dims))}
	for _, d := range x.Dims {
		head = binary.BigEndian.AppendUint32(head, uint32(d))
	}
	if _, err := w.Write(head); err != nil {
		return fmt.Errorf("data: write idx: %w", err)
	}
	if _, err := w.Write(x.Data); err != nil {
		return fmt.Errorf("data: write idx: %w", err)
	}
	return nil
}
