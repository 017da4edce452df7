package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/ablate-ml/ablate/core/tensor"
)

// versionInfo is what `ablate version` reports.
type versionInfo struct {
	Ablate, Go, Wazero, BLAS string
}

func currentVersion() versionInfo {
	v := versionInfo{Ablate: "(devel)", Go: runtime.Version(), Wazero: "unknown", BLAS: tensor.Backend}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v.Ablate = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && v.Ablate == "(devel)" && len(s.Value) >= 12 {
				v.Ablate = "(devel) " + s.Value[:12]
			}
		}
		for _, d := range bi.Deps {
			if d.Path == "github.com/tetratelabs/wazero" {
				v.Wazero = d.Version
			}
		}
	}
	return v
}

func runVersion(_ context.Context, e *env, args []string) error {
	if len(args) != 0 {
		return usagef("version takes no arguments")
	}
	v := currentVersion()
	fmt.Fprintf(e.stdout, "ablate %s\ngo     %s\nwazero %s\nblas   %s\n", v.Ablate, v.Go, v.Wazero, v.BLAS)
	return nil
}
