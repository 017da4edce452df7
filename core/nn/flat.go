package nn

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// WriteFlat writes the values of params, in order, as little-endian
// float64 to path, atomically: a reader sees the old file or the whole new
// one, never a part. It is the compact format studies use to cache trained
// models between runs; Save writes the self-describing safetensors format.
func WriteFlat(path string, params [][]float64) error {
	n := 0
	for _, p := range params {
		n += len(p)
	}
	buf := make([]byte, 0, 8*n)
	for _, p := range params {
		for _, v := range p {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadFlat reads a file WriteFlat wrote into params, in order. It fails,
// changing nothing, when the file's size does not match the parameters.
func ReadFlat(path string, params [][]float64) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	n := 0
	for _, p := range params {
		n += len(p)
	}
	if len(b) != 8*n {
		return fmt.Errorf("%s: %d bytes, want %d for %d parameters", path, len(b), 8*n, n)
	}
	for _, p := range params {
		for i := range p {
			p[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
		}
	}
	return nil
}
