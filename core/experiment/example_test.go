package experiment_test

import (
	"context"
	"fmt"

	"github.com/ablate-ml/ablate/core/experiment"
)

// width is a minimal study: one setting, no plugins.
type width struct{}

type widthSettings struct {
	Model struct {
		Hidden int `toml:"hidden"`
	} `toml:"model"`
}

func (width) Name() string  { return "width" }
func (width) Settings() any { s := &widthSettings{}; s.Model.Hidden = 64; return s }
func (width) Run(ctx context.Context, env *experiment.RunEnv) error {
	env.Summary("hidden", float64(env.Settings.(*widthSettings).Model.Hidden))
	return nil
}

func ExampleFile_Plan() {
	src := `study = "width"
seeds = [1, 2]
[sweep.grid]
"model.hidden" = [32, 128]
`
	f, err := experiment.Decode("w.toml", []byte(src), []string{"seeds=[7]"})
	if err != nil {
		fmt.Println(err)
		return
	}
	reg, _ := experiment.NewRegistry(width{})
	p, err := f.Plan(context.Background(), experiment.Env{Studies: reg, Host: "example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range p.Runs {
		fmt.Println(r.Index, r.Label())
	}
	// Output:
	// 0 model.hidden=32 seed=7
	// 1 model.hidden=128 seed=7
}

func ExampleDecodeError() {
	src := `study = "width"
[model]
hidden = "wide"
depth = 3
`
	f, _ := experiment.Decode("w.toml", []byte(src), nil)
	reg, _ := experiment.NewRegistry(width{})
	_, err := f.Plan(context.Background(), experiment.Env{Studies: reg})
	fmt.Println(err)
	// Output:
	// experiment: 2 problems:
	//   w.toml:3: model.hidden: want an integer, got string "wide"
	//   w.toml:4: model.depth: unknown key (known here: hidden)
}
