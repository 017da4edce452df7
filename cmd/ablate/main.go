// Command ablate runs machine-learning experiments whose moving parts are
// WebAssembly plugins. This package holds flags and wiring only.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand: a one-line summary and the function that runs it.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env carries the process's standard streams so commands are testable.
type env struct {
	stdout io.Writer
	stderr io.Writer
}

// commands lists every subcommand. Each lives in a file of its own name.
func commands() map[string]command {
	return map[string]command{
		"version": {"print the ablate, Go and wazero versions and the BLAS backend", runVersion},
		"data":    {"show where each data set is (or how to get it); -digests hashes them", runData},
		"run":     {"run an experiment file or its sweep: ablate run FILE [key=value...] [-j N] [--shard I/N]", runRun},
		"ls":      {"list the runs in the results root", runLs},
		"show":    {"show one run: its config, state, summary and files", runShow},
		"compare": {"compare runs over seeds (mean ± 95% CI) by sweep axis: text, md or csv", runCompare},
		"report":  {"write a self-contained HTML report of the results root", runReport},
		"plugin":  {"plugin tools: new KIND NAME, build DIR, test FILE.wasm, inspect FILE.wasm", runPlugin},
		"emit":    {"write a Slurm job array or Kubernetes Indexed Job running a sweep's shards", runEmit},
		"key":     {"signing keys: key gen [--name NAME] [--trust]", runKey},
		"publish": {"publish a plugin (conformance, then signed): publish FILE.wasm [--to REG] --key KEY", runPublish},
		"pull":    {"pull a plugin into the local cache: pull NAME@RANGE", runPull},
		"search":  {"search a registry: search [TEXT] [--kind KIND]", runSearch},
		"verify":  {"check a published plugin's digests and signature: verify NAME@VERSION", runVerify},
		"yank":    {"mark a version yanked (kept, skipped by ranges): yank NAME@VERSION --reason TEXT", runYank},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:])
	stop()
	os.Exit(code)
}

// errUsage marks an error caused by the command line; run exits 2 for it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

func run(ctx context.Context, e *env, args []string) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "ablate: unknown command %q\n\n", args[0])
		usage(e.stderr, cmds)
		return 2
	}
	if err := c.run(ctx, e, args[1:]); err != nil {
		fmt.Fprintf(e.stderr, "ablate %s: %v\n", args[0], err)
		if _, isUsage := err.(*usageError); isUsage {
			return 2
		}
		return 1
	}
	return 0
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: ablate COMMAND [ARGS]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
}
