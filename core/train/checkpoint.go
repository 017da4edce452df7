package train

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// ckptMagic opens every checkpoint file; the digit is the format version.
const ckptMagic = "ABLATECKPT1\n"

// ErrCorrupt is wrapped by errors about an unreadable checkpoint.
var ErrCorrupt = errors.New("corrupt checkpoint")

// Checkpoint is what a checkpoint file holds: the number of completed
// steps, the length of the metrics log at that point, and the model's state.
// EvalPending marks a run stopped during the evaluations due after Step:
// the log ends before them and a resumed run runs them first.
type Checkpoint struct {
	Step        int
	LogOffset   int64
	EvalPending bool
	State       []byte
}

// encode lays out: magic, step u64, log offset u64, flags u64 (bit 0:
// EvalPending), state length u64, state,
// then the SHA-256 of everything before it. Integers are little-endian.
func (c Checkpoint) encode() []byte {
	var b bytes.Buffer
	b.WriteString(ckptMagic)
	var n [8]byte
	flags := uint64(0)
	if c.EvalPending {
		flags |= 1
	}
	for _, v := range []uint64{uint64(c.Step), uint64(c.LogOffset), flags, uint64(len(c.State))} {
		binary.LittleEndian.PutUint64(n[:], v)
		b.Write(n[:])
	}
	b.Write(c.State)
	sum := sha256.Sum256(b.Bytes())
	b.Write(sum[:])
	return b.Bytes()
}

func decodeCheckpoint(path string, raw []byte) (Checkpoint, error) {
	bad := func(why string) (Checkpoint, error) {
		return Checkpoint{}, fmt.Errorf("train: checkpoint %s: %s: %w", path, why, ErrCorrupt)
	}
	head := len(ckptMagic) + 32
	if len(raw) < head+sha256.Size || string(raw[:len(ckptMagic)]) != ckptMagic {
		return bad("not an ablate checkpoint (bad magic or too short)")
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return bad("checksum mismatch")
	}
	u := func(i int) uint64 { return binary.LittleEndian.Uint64(raw[len(ckptMagic)+8*i:]) }
	c := Checkpoint{Step: int(u(0)), LogOffset: int64(u(1)), EvalPending: u(2)&1 != 0}
	if u(2)&^1 != 0 {
		return bad(fmt.Sprintf("unknown flags %#x", u(2)))
	}
	if n := u(3); n != uint64(len(body)-head) {
		return bad(fmt.Sprintf("state length %d, file holds %d", n, len(body)-head))
	}
	c.State = body[head:]
	return c, nil
}

// WriteCheckpoint writes c to path atomically.
func WriteCheckpoint(path string, c Checkpoint) error {
	return WriteFileAtomic(path, c.encode(), 0o644)
}

// ReadCheckpoint reads the checkpoint at path. A missing file is returned
// as an error satisfying errors.Is(err, os.ErrNotExist).
func ReadCheckpoint(path string) (Checkpoint, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("train: %w", err)
	}
	return decodeCheckpoint(path, raw)
}
