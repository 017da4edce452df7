package train

import (
	"context"
	"testing"
)

// BenchmarkLoopOverhead measures what the loop adds to each step: an empty
// step with the metrics of a real one, logged to a file every step, with
// progress off. Compare with the step itself (an MLP step is milliseconds).
func BenchmarkLoopOverhead(b *testing.B) {
	for _, logged := range []bool{false, true} {
		name := "nofiles"
		if logged {
			name = "jsonl"
		}
		b.Run(name, func(b *testing.B) {
			m := Metrics{"loss": 0.123456789, "acc": 0.9, "lr": 1e-3}
			step := StepFunc(func(context.Context, int) (Metrics, error) { return m, nil })
			cfg := Config{Steps: b.N}
			if logged {
				cfg.Dir = b.TempDir()
			}
			b.ReportAllocs()
			b.ResetTimer()
			if _, err := Run(context.Background(), cfg, step, nil); err != nil {
				b.Fatal(err)
			}
		})
	}
}
