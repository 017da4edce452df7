package plugin

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tetratelabs/wazero"
)

// BenchmarkCallEmpty is the cost of one call into the guest that does no
// work (ablate_abi_version), on one held instance.
func BenchmarkCallEmpty(b *testing.B) {
	for _, trust := range []Trust{Trusted, Guarded} {
		b.Run(trust.String(), func(b *testing.B) {
			ctx := context.Background()
			p := mustLoad(b, "judge", Config{Trust: trust})
			inst, err := p.get(ctx, "bench")
			if err != nil {
				b.Fatal(err)
			}
			defer p.put(inst)
			fn := inst.fns["ablate_abi_version"]
			b.ResetTimer()
			for b.Loop() {
				if _, err := fn.Call(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJudgeEmptyBatch is the whole typed call path with nothing to do:
// pool, alloc, call, status, free.
func BenchmarkJudgeEmptyBatch(b *testing.B) {
	for _, trust := range []Trust{Trusted, Guarded} {
		b.Run(trust.String(), func(b *testing.B) {
			j, _ := NewJudge(mustLoad(b, "judge", Config{Trust: trust}))
			g := Groups{PromptOff: []int32{0}, CandOff: []int32{0}, GroupOff: []int32{0}}
			ctx := context.Background()
			for b.Loop() {
				if err := j.Judge(ctx, nil, g); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompile compiles a Go plugin (about 4 MB) with no cache, and
// from a warm disk cache into a fresh runtime.
func BenchmarkCompile(b *testing.B) {
	ctx := context.Background()
	wasm := wasmOf(b, "judge")
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			r := wazero.NewRuntime(ctx)
			if _, err := r.CompileModule(ctx, wasm); err != nil {
				b.Fatal(err)
			}
			r.Close(ctx)
		}
	})
	b.Run("cached", func(b *testing.B) {
		dir := b.TempDir()
		compile := func() {
			cache, err := wazero.NewCompilationCacheWithDir(dir)
			if err != nil {
				b.Fatal(err)
			}
			r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cache))
			if _, err := r.CompileModule(ctx, wasm); err != nil {
				b.Fatal(err)
			}
			r.Close(ctx)
			cache.Close(ctx)
		}
		compile() // warm the cache
		b.ResetTimer()
		for b.Loop() {
			compile()
		}
	})
}

// BenchmarkInstantiate makes and initialises one instance (_initialize,
// then ablate_init with the parameters).
func BenchmarkInstantiate(b *testing.B) {
	ctx := context.Background()
	p := mustLoad(b, "judge", Config{Trust: Trusted})
	for b.Loop() {
		inst, err := p.instantiate(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.init(ctx, inst); err != nil {
			b.Fatal(err)
		}
		inst.mod.Close(ctx)
	}
}

// BenchmarkEstimatorScore scores 10,000 x 40 with the test estimator (a
// diagonal normal) natively in Go and as a plugin: the ratio is the host's
// overhead (copying 3.2 MB in, 80 KB out) plus wazero's code quality.
func BenchmarkEstimatorScore(b *testing.B) {
	const n, d, m = 1000, 40, 10000
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := make([]float64, n*d), make([]float64, m*d)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for i := range y {
		y[i] = rng.NormFloat64()
	}
	out := make([]float64, m)
	b.Run("native", func(b *testing.B) {
		mean, vr := make([]float64, d), make([]float64, d)
		for j := range d {
			for i := range n {
				mean[j] += x[i*d+j] / n
			}
			for i := range n {
				vr[j] += (x[i*d+j] - mean[j]) * (x[i*d+j] - mean[j]) / (n - 1)
			}
		}
		for b.Loop() {
			for i := range m {
				s := 0.0
				for j := range d {
					r := y[i*d+j] - mean[j]
					s += -0.5*r*r/vr[j] - 0.5*math.Log(2*math.Pi*vr[j])
				}
				out[i] = s
			}
		}
	})
	for _, trust := range []Trust{Trusted, Guarded} {
		b.Run("plugin-"+trust.String(), func(b *testing.B) {
			ctx := context.Background()
			e, _ := NewEstimator(mustLoad(b, "estimator", Config{Trust: trust}))
			if err := e.Fit(ctx, x, n, d); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := e.Score(ctx, out, y, m, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
