package train_test

import (
	"context"
	"fmt"
	"os"

	"github.com/ablate-ml/ablate/core/train"
)

func ExampleRun() {
	dir, _ := os.MkdirTemp("", "run")
	defer os.RemoveAll(dir)
	w := 0.0 // minimise (w-3)^2 by gradient descent
	step := train.StepFunc(func(ctx context.Context, step int) (train.Metrics, error) {
		w -= 0.25 * 2 * (w - 3)
		return train.Metrics{"loss": (w - 3) * (w - 3), "w": w}, nil
	})
	eval := train.Eval{Name: "check", Every: 2, Run: func(ctx context.Context, step int) (train.Metrics, error) {
		return train.Metrics{"error": w - 3}, nil
	}}
	res, err := train.Run(context.Background(), train.Config{Steps: 4, Dir: dir, Evals: []train.Eval{eval}}, step, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Done, res.Last["w"])
	recs, _ := train.ReadLog(dir + "/" + train.LogFile)
	for _, r := range recs {
		fmt.Println(r.Kind, r.Name, r.Step, r.Metrics)
	}
	// Output:
	// 4 2.8125
	// train  1 map[loss:2.25 w:1.5]
	// train  2 map[loss:0.5625 w:2.25]
	// eval check 2 map[error:-0.75]
	// train  3 map[loss:0.140625 w:2.625]
	// train  4 map[loss:0.03515625 w:2.8125]
	// eval check 4 map[error:-0.1875]
}
