package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ablate-ml/ablate/core/data"
)

// runData implements `ablate data`: where each data set is, or how to get it.
func runData(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("data", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	digests := fs.Bool("digests", false, "read every data set and print the SHA-256 of its files' contents")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: ablate data [-digests]")
		fmt.Fprintln(e.stderr, "\nLists where each data set was found ($"+data.EnvData+" overrides), or how to get it.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("data: unexpected argument %q", fs.Arg(0))
	}
	return printData(ctx, e.stdout, *digests)
}

func printData(ctx context.Context, w io.Writer, digests bool) error {
	var missing []error
	for _, l := range data.Locate() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if l.Err != nil {
			fmt.Fprintf(w, "%-14s missing\n", l.Name)
			missing = append(missing, l.Err)
			continue
		}
		fmt.Fprintf(w, "%-14s %s\n", l.Name, l.Path)
		if digests {
			ds, err := data.Load(l.Name)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "%-14s sha256 %s (%d files)\n", "", data.FingerprintContent(ds), len(ds))
		}
	}
	if len(missing) > 0 {
		fmt.Fprintln(w)
		for _, err := range missing {
			fmt.Fprintln(w, err)
		}
		return fmt.Errorf("%d data set(s) missing: %w", len(missing), errors.Join(missing...))
	}
	return nil
}
