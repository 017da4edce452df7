package nn

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/ablate-ml/ablate/internal/atomicfile"
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
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, buf, 0o600)
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
