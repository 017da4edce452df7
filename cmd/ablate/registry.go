package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/ablate-ml/ablate/core/experiment"
	"github.com/ablate-ml/ablate/core/plugin"
	"github.com/ablate-ml/ablate/core/plugin/plugintest"
	"github.com/ablate-ml/ablate/registry"
	"github.com/ablate-ml/ablate/sdk/abi"
)

// hostInspector reads a module's manifest by loading it under the host.
type hostInspector struct{}

func (hostInspector) Inspect(ctx context.Context, wasm []byte) (abi.Manifest, error) {
	p, err := plugin.Load(ctx, wasm, plugin.Config{MaxInstances: 1})
	if err != nil {
		return abi.Manifest{}, err
	}
	defer p.Close(ctx)
	return p.Manifest(), nil
}

// kitConformer runs the conformance kit (core/plugin/plugintest) on a module.
type kitConformer struct{}

func (kitConformer) Check(ctx context.Context, wasm []byte) error {
	f, err := os.CreateTemp("", "ablate-publish-*.wasm")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(wasm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	r := plugintest.Check(ctx, f.Name())
	if r.Failed() {
		return fmt.Errorf("conformance kit:\n%s", strings.ReplaceAll(r.String(), f.Name(), "module"))
	}
	return nil
}

// registryFlags are the flags every registry command shares.
type registryFlags struct {
	registry *string
	cache    *string
	keys     *string
	maxSize  *int64
}

func addRegistryFlags(fs *flag.FlagSet, registryFlag string) registryFlags {
	return registryFlags{
		registry: fs.String(registryFlag, os.Getenv("ABLATE_REGISTRY"), "registry: a directory (OCI layouts) or host[:port][/prefix] (env ABLATE_REGISTRY; default "+registry.DefaultLocalRoot()+")"),
		cache:    fs.String("cache", "", "local cache of pulled plugins (default "+registry.DefaultLocalRoot()+")"),
		keys:     fs.String("keys", registry.DefaultTrustedKeysPath(), "trusted keys file, one `NAME BASE64-PUBLIC-KEY` per line (env ABLATE_TRUSTED_KEYS)"),
		maxSize:  fs.Int64("max-size", registry.DefaultMaxSize, "largest module accepted, in bytes"),
	}
}

func (f registryFlags) client() (*registry.Client, error) {
	b, err := registry.OpenBackend(*f.registry)
	if err != nil {
		return nil, err
	}
	cache := registry.Local{Root: *f.cache}
	if cache.Root == "" {
		cache.Root = registry.DefaultLocalRoot()
	}
	keys, err := registry.ReadTrustedKeys(*f.keys)
	if err != nil {
		return nil, err
	}
	return &registry.Client{Backend: b, Cache: cache, Trusted: keys, MaxSize: *f.maxSize, Inspector: hostInspector{}, Conformer: kitConformer{}}, nil
}

// runKey implements `ablate key gen [--name NAME] [--out FILE] [--trust]`.
func runKey(_ context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "gen" {
		return usagef("usage: ablate key gen [--name NAME] [--out FILE] [--trust]")
	}
	fs := flag.NewFlagSet("key gen", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	user := os.Getenv("USER")
	if user == "" {
		user = "me"
	}
	name := fs.String("name", user, "key name, shown to those who verify")
	out := fs.String("out", "", "private key file (default <config>/ablate/keys/NAME.key)")
	trust := fs.Bool("trust", false, "also add the public key to the trusted keys file")
	keys := fs.String("keys", registry.DefaultTrustedKeysPath(), "trusted keys file")
	if err := fs.Parse(args[1:]); err != nil {
		return usagef("%v", err)
	}
	k, err := registry.GenerateKey(*name, rand.Reader)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = filepath.Join(filepath.Dir(registry.DefaultTrustedKeysPath()), "keys", *name+".key")
	}
	if err := registry.WriteKey(path, k); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "private key: %s (keep it; mode 0600)\n", path)
	fmt.Fprintf(e.stdout, "public key:  %s\n", k.Public())
	if *trust {
		if err := os.MkdirAll(filepath.Dir(*keys), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(*keys, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintln(f, k.Public()); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "trusted:     added to %s\n", *keys)
	} else {
		fmt.Fprintln(e.stdout, "users add the public key line to their trusted keys file ("+registry.DefaultTrustedKeysPath()+")")
	}
	return nil
}

// runPublish implements `ablate publish FILE.wasm [--to REG] [--name NAME] --key KEY`.
func runPublish(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	rf := addRegistryFlags(fs, "to")
	keyFile := fs.String("key", "", "private key file from `ablate key gen` (required)")
	name := fs.String("name", "", "registry name, e.g. estimator/kde (default: the manifest's name)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *keyFile == "" {
		return usagef("usage: ablate publish FILE.wasm [--to REGISTRY] [--name NAME] --key KEYFILE")
	}
	k, err := registry.ReadKey(*keyFile)
	if err != nil {
		return err
	}
	wasm, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	c, err := rf.client()
	if err != nil {
		return err
	}
	a, err := c.Publish(ctx, wasm, k, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "published %s@%s (%s) to %s\n", a.Name, a.Version, a.Manifest.Kind, a.Source)
	fmt.Fprintf(e.stdout, "  digest  %s\n  module  %s\n  signed  by %s\n", a.Digest, a.WasmDigest, k.Name)
	return nil
}

// runPull implements `ablate pull NAME@RANGE`.
func runPull(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("pull", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	rf := addRegistryFlags(fs, "registry")
	req := fs.Bool("require-signature", false, "refuse a plugin no trusted key signed")
	out := fs.String("o", "", "also write the module to this file")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: ablate pull NAME[@RANGE] [--registry REG] [--require-signature] [-o FILE]")
	}
	ref, err := registry.ParseRef(pos[0])
	if err != nil {
		return err
	}
	c, err := rf.client()
	if err != nil {
		return err
	}
	c.RequireSignature = *req
	a, err := c.Pull(ctx, ref)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "pulled %s@%s (%s) from %s into %s\n", a.Name, a.Version, a.Manifest.Kind, a.Source, c.Cache.Root)
	fmt.Fprintf(e.stdout, "  digest  %s\n  module  %s\n  %s\n", a.Digest, a.WasmDigest, sigLine(a))
	if a.Yanked {
		fmt.Fprintf(e.stderr, "warning: %s@%s is yanked: %s\n", a.Name, a.Version, a.YankReason)
	}
	if *out != "" {
		return os.WriteFile(*out, a.Wasm, 0o644)
	}
	return nil
}

func sigLine(a registry.Artifact) string {
	if a.Signer != "" {
		return "signed  by trusted key " + a.Signer + " (may run trusted)"
	}
	return "signed  NOT VERIFIED: " + a.SigErr.Error() + " (runs guarded)"
}

// runSearch implements `ablate search [TEXT] [--kind K]`.
func runSearch(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	rf := addRegistryFlags(fs, "registry")
	kind := fs.String("kind", "", "only plugins of this kind (judge, bias, discount, estimator)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("usage: ablate search [TEXT] [--kind KIND] [--registry REG]")
	}
	c, err := rf.client()
	if err != nil {
		return err
	}
	hits, err := c.Search(ctx, strings.Join(pos, ""), *kind)
	if err != nil {
		return err
	}
	if len(hits) == 0 {
		fmt.Fprintf(e.stdout, "no plugins match in %s\n", c.Backend)
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tKIND\tVERSIONS\tDESCRIPTION")
	for _, h := range hits {
		var vs []string
		for _, v := range h.Versions {
			s := v.Version
			if v.Yanked {
				s += "(yanked)"
			}
			vs = append(vs, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.Name, h.Version, h.Kind, strings.Join(vs, ","), h.Description)
	}
	return tw.Flush()
}

// runVerify implements `ablate verify NAME@VERSION`.
func runVerify(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	rf := addRegistryFlags(fs, "registry")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || !strings.Contains(pos[0], "@") {
		return usagef("usage: ablate verify NAME@VERSION [--registry REG] [--keys FILE]")
	}
	name, version, _ := strings.Cut(pos[0], "@")
	c, err := rf.client()
	if err != nil {
		return err
	}
	a, err := c.Verify(ctx, name, version)
	if a.Digest == "" {
		return err
	}
	fmt.Fprintf(e.stdout, "%s@%s in %s\n  digest  %s (content checked)\n  module  %s\n  %s\n", a.Name, a.Version, a.Source, a.Digest, a.WasmDigest, sigLine(a))
	if a.Yanked {
		fmt.Fprintf(e.stdout, "  yanked  %s\n", a.YankReason)
	}
	return err
}

// runYank implements `ablate yank NAME@VERSION --reason TEXT`.
func runYank(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("yank", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	rf := addRegistryFlags(fs, "registry")
	reason := fs.String("reason", "", "why (required); shown to everyone who still pins it")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || !strings.Contains(pos[0], "@") || *reason == "" {
		return usagef("usage: ablate yank NAME@VERSION --reason TEXT [--registry REG]")
	}
	name, version, _ := strings.Cut(pos[0], "@")
	c, err := rf.client()
	if err != nil {
		return err
	}
	if err := c.Yank(ctx, name, version, *reason); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "yanked %s@%s in %s: ranges skip it; pins keep it, with a warning\n", name, version, c.Backend)
	return nil
}

// registryResolver resolves `registry:name@range` for experiment files with
// the registry in $ABLATE_REGISTRY (default: the local directory), pinning
// in ablate.lock beside the experiment. A plugin may run trusted only when
// a trusted key signed it. Warnings (yanked pins) go to warn.
func registryResolver(warn io.Writer) experiment.Resolver {
	var r *registry.Resolver
	var setupErr error
	b, err := registry.OpenBackend(os.Getenv("ABLATE_REGISTRY"))
	if err != nil {
		setupErr = err
	} else {
		keys, err := registry.ReadTrustedKeys(registry.DefaultTrustedKeysPath())
		if err != nil {
			setupErr = err
		}
		r = &registry.Resolver{Client: &registry.Client{Backend: b, Trusted: keys, Inspector: hostInspector{}}, Warn: warn}
	}
	return experiment.ResolverFunc(func(ctx context.Context, ref experiment.PluginRef) (experiment.Resolved, error) {
		if setupErr != nil {
			return experiment.Resolved{}, setupErr
		}
		res, err := r.Resolve(ctx, ref.BaseDir, ref.Name, abi.Kind(ref.Kind))
		if err != nil {
			return experiment.Resolved{}, err
		}
		return experiment.Resolved{Source: res.Source, Digest: res.Digest, Wasm: res.Wasm, MayTrust: res.Trusted}, nil
	})
}
