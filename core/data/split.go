package data

import (
	"fmt"
	"iter"
	"math/rand/v2"
)

// SplitIndices shuffles 0..n-1 with rng and cuts the permutation in two: the
// first round(frac*n) indices, then the rest. The same rng state gives the
// same split. It panics if frac is outside [0, 1].
func SplitIndices(n int, frac float64, rng *rand.Rand) (a, b []int) {
	if !(frac >= 0 && frac <= 1) {
		panic(fmt.Sprintf("data: SplitIndices with frac %v outside [0, 1]", frac))
	}
	perm := rng.Perm(n)
	k := int(frac*float64(n) + 0.5)
	return perm[:k], perm[k:]
}

// Split cuts the set in two at random (see SplitIndices), naming the parts
// name+"/a" and name+"/b".
func (d *Images) Split(frac float64, rng *rand.Rand) (a, b *Images) {
	ia, ib := SplitIndices(d.N, frac, rng)
	return d.Subset(d.Name+"/a", ia), d.Subset(d.Name+"/b", ib)
}

// Batches describes how to cut N examples into mini-batches. The zero value
// of the options is sequential order, keeping a short final batch.
type Batches struct {
	N, Size  int
	Shuffle  bool   // a fresh permutation each epoch, from (Seed, epoch)
	Seed     uint64 // used only when Shuffle is set
	DropLast bool   // skip an epoch's final batch when it is short
}

// Batcher yields batches of example indices, epoch after epoch, without end.
// Its whole state is (epoch, offset): the permutation of epoch e is a pure
// function of (Seed, e), so a checkpoint stores two integers and Seek
// restores the exact stream.
type Batcher struct {
	cfg    Batches
	epoch  int
	offset int
	perm   []int
}

// NewBatcher returns a Batcher at epoch 0, offset 0. It panics if N or Size
// is not positive, or if DropLast leaves no batch (Size > N).
func NewBatcher(cfg Batches) *Batcher {
	if cfg.N <= 0 || cfg.Size <= 0 {
		panic(fmt.Sprintf("data: NewBatcher with N %d, Size %d", cfg.N, cfg.Size))
	}
	if cfg.DropLast && cfg.Size > cfg.N {
		panic(fmt.Sprintf("data: NewBatcher with DropLast and Size %d > N %d yields no batch", cfg.Size, cfg.N))
	}
	b := &Batcher{cfg: cfg}
	b.Seek(0, 0)
	return b
}

// EpochOrder returns the order of examples in epoch e: 0..N-1, or the
// permutation drawn from a PCG seeded with (Seed, e).
func (cfg Batches) EpochOrder(e int) []int {
	if !cfg.Shuffle {
		return Range(0, cfg.N)
	}
	return rand.New(rand.NewPCG(cfg.Seed, uint64(e))).Perm(cfg.N)
}

// PerEpoch returns the number of batches in one epoch.
func (cfg Batches) PerEpoch() int {
	if cfg.DropLast {
		return cfg.N / cfg.Size
	}
	return (cfg.N + cfg.Size - 1) / cfg.Size
}

// Next returns the next batch of indices. The slice is a view the caller
// must not modify; it stays valid after later calls.
func (b *Batcher) Next() []int {
	n := b.cfg.N
	if b.offset >= n || (b.cfg.DropLast && b.offset+b.cfg.Size > n) {
		b.Seek(b.epoch+1, 0)
	}
	end := min(b.offset+b.cfg.Size, n)
	batch := b.perm[b.offset:end:end]
	b.offset = end
	return batch
}

// Position returns the epoch and the offset within it of the next batch.
func (b *Batcher) Position() (epoch, offset int) { return b.epoch, b.offset }

// Seek moves to offset within epoch, as returned by Position.
func (b *Batcher) Seek(epoch, offset int) {
	if b.perm == nil || epoch != b.epoch {
		b.perm = b.cfg.EpochOrder(epoch)
	}
	b.epoch, b.offset = epoch, offset
}

// Epoch returns the batches of epoch e in order, as an iterator.
func (cfg Batches) Epoch(e int) iter.Seq[[]int] {
	return func(yield func([]int) bool) {
		order := cfg.EpochOrder(e)
		for lo := 0; lo < cfg.N; lo += cfg.Size {
			hi := min(lo+cfg.Size, cfg.N)
			if cfg.DropLast && hi-lo < cfg.Size {
				return
			}
			if !yield(order[lo:hi:hi]) {
				return
			}
		}
	}
}

// Consecutive iterates over 0..n-1 in batches of size (the last may be
// short): the order evaluation and the OOD study's consecutive batches use.
func Consecutive(n, size int) iter.Seq[[]int] {
	return Batches{N: n, Size: size}.Epoch(0)
}
