package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/ablate-ml/ablate/core/autodiff"
	"github.com/ablate-ml/ablate/core/tensor"
)

// BenchmarkBlockStep is forward and backward of one pre-norm transformer
// block (width 64, 4 heads, RoPE, window 32) on 8 sequences of 64 tokens,
// float32, with a weighted-sum loss.
func BenchmarkBlockStep(b *testing.B) {
	const batch, seq, dim = 8, 64, 64
	rng := rand.New(rand.NewPCG(1, 1))
	blk := NewBlock[float32]("block0", BlockConfig{Attn: AttnConfig{Dim: dim, Heads: 4, Window: 32, RoPE: true}}, rng)
	params := blk.Params()
	x, r := tensor.New[float32](batch*seq, dim), tensor.New[float32](batch*seq, dim)
	for i := range x.Data {
		x.Data[i], r.Data[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
	}
	tp := autodiff.NewTape[float32]()
	step := func() {
		tp.Reset()
		autodiff.ZeroGrads(params)
		y := blk.Forward(tp, tp.Const(x), batch, seq)
		tp.Backward(tp.Sum(tp.Mul(y, tp.Const(r))))
	}
	step()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
}
