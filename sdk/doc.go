// Package sdk is the Go guest SDK for ablate plugins: a plugin is a main
// package, built with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o plugin.wasm .
//
// that registers exactly one implementation from an init function, with one
// of Judge, Bias, Discount or Estimator, and has an empty main. (A
// c-shared wasip1 module is a reactor: the host runs its _initialize, which
// runs the package inits, and never main.)
//
// Registration takes the plugin's Info, a parameter struct holding the
// defaults, and the kind's function. The struct's exported fields with a
// json tag are the plugin's parameters; their Go types give the manifest
// types (float: number, int: integer, bool, string, slices of those) and a
// doc tag documents each. The host checks the parameters a study passes
// against the manifest, and the SDK decodes them into a copy of the defaults
// (unknown keys are errors) and calls its Validate method when it has one.
//
// A judge, in full:
//
//	package main
//
//	import "github.com/ablate-ml/ablate/sdk"
//
//	type params struct {
//		Sign float64 `json:"sign" doc:"+1 prefers longer completions, -1 shorter"`
//	}
//
//	func init() {
//		sdk.Judge(sdk.Info{Name: "length", Version: "1.0.0", Description: "prefers by length"},
//			params{Sign: -1},
//			func(p params, g sdk.Groups, out []float64) error {
//				for c := range out {
//					out[c] = p.Sign * float64(len(g.Cand(c)))
//				}
//				return nil
//			})
//	}
//
//	func main() {}
//
// Inside a kind function, Rand and Random read the call's deterministic
// random stream, Debugf/Infof/Warnf/Errorf write to the run log under the
// plugin's name, and a judge may call LogProb to score sequences with a host
// model the study names. An error returned by the kind function (or a panic)
// becomes the call's error on the host, with its message.
//
// Input slices alias memory the host wrote for this call: read them during
// the call, never keep them. Output slices (out) have exactly the length the
// ABI gives and must be filled completely.
//
// The wire format behind this package is sdk/ABI.md; its names and numbers
// are in package sdk/abi, shared with the host. The package has one piece of
// package-level state, the registered plugin: a WebAssembly module is a
// singleton and holds exactly one. Outside GOOS=wasip1 the package builds so
// that plugin code compiles natively, but there is no host: Rand panics,
// LogProb fails and logs go to stderr.
package sdk
