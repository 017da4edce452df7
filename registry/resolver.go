package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// Resolved is what a Resolver returns for one reference.
type Resolved struct {
	Source   string // "registry:name@version (digest) from SOURCE"
	Digest   string // "sha256:<hex>" of Wasm
	Wasm     []byte
	Manifest abi.Manifest
	Trusted  bool // signed by a trusted key: may run trusted
	Pin      Pin
}

// Resolver resolves `registry:name@range` references for experiments. The
// first resolution of a ref picks a version from the backend, pulls it into
// the cache and pins it in ablate.lock beside the experiment; later ones
// read the pin and take the module from the cache by digest, contacting the
// backend only when the cache lacks it. Safe for concurrent use.
type Resolver struct {
	Client *Client
	// Warn receives warnings (a pinned version that was yanked); nil
	// discards them.
	Warn io.Writer
	// YankCheck bounds the registry round trip that asks whether a pinned
	// version served from the cache was yanked since; 0 means
	// DefaultYankCheck, a negative value skips the check (fully offline).
	YankCheck time.Duration
	mu        sync.Mutex
}

// DefaultYankCheck is Resolver.YankCheck's default.
const DefaultYankCheck = 2 * time.Second

// Resolve resolves ref ("name@range") for an experiment in dir, whose slot
// wants kind ("" for any).
func (r *Resolver) Resolve(ctx context.Context, dir, ref string, kind abi.Kind) (Resolved, error) {
	pr, err := ParseRef(ref)
	if err != nil {
		return Resolved{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	lock, err := ReadLock(dir)
	if err != nil {
		return Resolved{}, err
	}
	var a Artifact
	pin, pinned := lock.Find(ref)
	if pinned {
		if pin.Name != pr.Name {
			return Resolved{}, fmt.Errorf("%w: %s pins %s, not %s", ErrLock, ref, pin.Name, pr.Name)
		}
		a, err = r.pinned(ctx, pin)
		if err != nil {
			return Resolved{}, err
		}
	} else {
		a, err = r.Client.Pull(ctx, pr)
		if err != nil {
			return Resolved{}, err
		}
		pin = Pin{Ref: ref, Name: a.Name, Version: a.Version, Digest: a.Digest, WasmDigest: a.WasmDigest, Source: a.Source}
	}
	if kind != "" && a.Manifest.Kind != kind {
		return Resolved{}, fmt.Errorf("%w: %s is a %s plugin, the slot wants a %s", ErrKind, ref, a.Manifest.Kind, kind)
	}
	if !pinned {
		lock.Plugins = append(lock.Plugins, pin)
		if err := WriteLock(dir, lock); err != nil {
			return Resolved{}, err
		}
	}
	if a.Yanked && r.Warn != nil {
		fmt.Fprintf(r.Warn, "registry: warning: %s@%s (pinned in %s) was yanked: %s\n", a.Name, a.Version, LockFile, a.YankReason)
	}
	return Resolved{
		Source:   fmt.Sprintf("registry:%s@%s (%s) from %s", a.Name, a.Version, a.Digest, pin.Source),
		Digest:   a.WasmDigest,
		Wasm:     a.Wasm,
		Manifest: a.Manifest,
		Trusted:  a.Signer != "",
		Pin:      pin,
	}, nil
}

// pinned returns the pinned artifact: from the cache when it has it, else
// from the backend (then cached).
func (r *Resolver) pinned(ctx context.Context, pin Pin) (Artifact, error) {
	c := r.Client
	cache := c.cache()
	var a Artifact
	var err error
	if repo, oerr := cache.Open(ctx, pin.Name, false); oerr == nil {
		a, err = c.fetch(ctx, repo, pin.Name, pin.Version, pin.Digest, false)
		if err == nil {
			a.Source = pin.Source
			a = c.withSignature(ctx, repo, a)
			// The backend may know of a later yank; ask, but never need it.
			if !c.backendIsCache() && r.YankCheck >= 0 {
				wait := r.YankCheck
				if wait == 0 {
					wait = DefaultYankCheck
				}
				yctx, cancel := context.WithTimeout(ctx, wait)
				if brepo, berr := c.backend().Open(yctx, pin.Name, false); berr == nil {
					if y, why := yanked(yctx, brepo, pin.Version); y {
						a.Yanked, a.YankReason = y, why
					}
				}
				cancel()
			}
		} else if !errors.Is(err, ErrNotFound) {
			return Artifact{}, fmt.Errorf("cached %s@%s: %w", pin.Name, pin.Version, err)
		}
	}
	if a.Wasm == nil {
		repo, err := c.backend().Open(ctx, pin.Name, false)
		if err != nil {
			return Artifact{}, fmt.Errorf("pinned %s@%s is not in the cache %s and the registry failed: %w", pin.Name, pin.Version, cache, err)
		}
		a, err = c.pullVersion(ctx, repo, pin.Name, pin.Version, pin.Digest)
		if err != nil {
			return Artifact{}, err
		}
	}
	if c.RequireSignature && a.Signer == "" {
		return Artifact{}, a.SigErr
	}
	if a.WasmDigest != pin.WasmDigest {
		return Artifact{}, fmt.Errorf("%w: %s@%s module is %s, %s pins %s", ErrDigest, pin.Name, pin.Version, a.WasmDigest, LockFile, pin.WasmDigest)
	}
	return a, nil
}
