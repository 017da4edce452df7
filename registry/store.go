package registry

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Repo is one plugin's repository: an oras target that lists its tags.
type Repo interface {
	oras.Target
	Tags(ctx context.Context, last string, fn func(tags []string) error) error
}

// Backend is where plugins live: a local layout directory or a remote OCI
// registry.
type Backend interface {
	// Open returns name's repository. With create false a missing repository
	// is ErrNotFound and nothing is created.
	Open(ctx context.Context, name string, create bool) (Repo, error)
	// Names lists the plugin names (the catalogue).
	Names(ctx context.Context) ([]string, error)
	// String says where the backend is, for messages and lockfiles.
	String() string
}

// Local is a directory of OCI image layouts, one per plugin name:
// <Root>/<name>/{oci-layout,index.json,blobs/}.
type Local struct{ Root string }

// DefaultLocalRoot is ~/.cache/ablate/registry (under os.UserCacheDir): the
// registry when none is named, and always the cache of pulled plugins.
func DefaultLocalRoot() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "ablate", "registry")
}

func (l Local) dir(name string) (string, error) {
	if err := ValidateName(name); err != nil {
		return "", err
	}
	for _, seg := range strings.Split(name, "/") {
		if seg == "blobs" || seg == "index.json" || seg == "oci-layout" {
			return "", fmt.Errorf("%w %q: segment %q is reserved in a layout directory", ErrName, name, seg)
		}
	}
	return filepath.Join(l.Root, filepath.FromSlash(name)), nil
}

// Open opens (or with create, makes) name's layout.
func (l Local) Open(ctx context.Context, name string, create bool) (Repo, error) {
	d, err := l.dir(name)
	if err != nil {
		return nil, err
	}
	if !create {
		if _, err := os.Stat(filepath.Join(d, "oci-layout")); err != nil {
			return nil, fmt.Errorf("%w: %s in %s", ErrNotFound, name, l.Root)
		}
	}
	s, err := oci.NewWithContext(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("registry: open %s: %w", d, err)
	}
	return s, nil
}

// Names walks Root for layouts.
func (l Local) Names(_ context.Context) ([]string, error) {
	var names []string
	err := filepath.WalkDir(l.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() && d.Name() == "blobs" {
			return fs.SkipDir
		}
		if !d.IsDir() && d.Name() == "oci-layout" {
			rel, err := filepath.Rel(l.Root, filepath.Dir(p))
			if err == nil && ValidateName(filepath.ToSlash(rel)) == nil {
				names = append(names, filepath.ToSlash(rel))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registry: list %s: %w", l.Root, err)
	}
	sort.Strings(names)
	return names, nil
}

func (l Local) String() string { return l.Root }

// Remote is an OCI distribution registry: Host ("127.0.0.1:5000",
// "ghcr.io") and an optional repository Prefix ("ablate"); plugin NAME is
// the repository Prefix/NAME. Plain HTTP is used for loopback hosts only.
type Remote struct {
	Host   string
	Prefix string
}

// ParseRemote parses "host[:port][/prefix]".
func ParseRemote(spec string) (Remote, error) {
	spec = strings.TrimPrefix(spec, "oci://")
	host, prefix, _ := strings.Cut(spec, "/")
	if host == "" {
		return Remote{}, fmt.Errorf("registry: remote %q has no host", spec)
	}
	if prefix != "" {
		if err := ValidateName(prefix); err != nil {
			return Remote{}, fmt.Errorf("registry: remote %q prefix: %w", spec, err)
		}
	}
	return Remote{Host: host, Prefix: prefix}, nil
}

func (r Remote) plainHTTP() bool {
	h := r.Host
	if hh, _, err := net.SplitHostPort(h); err == nil {
		h = hh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (r Remote) repoPath(name string) string {
	if r.Prefix == "" {
		return name
	}
	return r.Prefix + "/" + name
}

// Open returns the remote repository; with create false it checks that it
// has tags.
func (r Remote) Open(ctx context.Context, name string, create bool) (Repo, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	repo, err := remote.NewRepository(r.Host + "/" + r.repoPath(name))
	if err != nil {
		return nil, fmt.Errorf("registry: %s: %w", r, err)
	}
	repo.PlainHTTP = r.plainHTTP()
	if !create {
		err := repo.Tags(ctx, "", func([]string) error { return nil })
		if errors.Is(err, errdef.ErrNotFound) || isNameUnknown(err) {
			return nil, fmt.Errorf("%w: %s in %s", ErrNotFound, name, r)
		}
		if err != nil {
			return nil, fmt.Errorf("registry: %s: %w", r, err)
		}
	}
	return repo, nil
}

// isNameUnknown says whether a remote answered 404 (NAME_UNKNOWN,
// MANIFEST_UNKNOWN...).
func isNameUnknown(err error) bool {
	var er *errcode.ErrorResponse
	return errors.As(err, &er) && er.StatusCode == http.StatusNotFound
}

// Names lists the registry's catalogue under Prefix.
func (r Remote) Names(ctx context.Context) ([]string, error) {
	reg, err := remote.NewRegistry(r.Host)
	if err != nil {
		return nil, fmt.Errorf("registry: %s: %w", r, err)
	}
	reg.PlainHTTP = r.plainHTTP()
	var names []string
	err = reg.Repositories(ctx, "", func(repos []string) error {
		for _, p := range repos {
			n := p
			if r.Prefix != "" {
				var ok bool
				if n, ok = strings.CutPrefix(p, r.Prefix+"/"); !ok {
					continue
				}
			}
			if ValidateName(n) == nil {
				names = append(names, n)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registry: catalogue of %s: %w", r, err)
	}
	sort.Strings(names)
	return names, nil
}

func (r Remote) String() string {
	if r.Prefix == "" {
		return r.Host
	}
	return r.Host + "/" + r.Prefix
}

// IsLocalSpec reports whether a registry spec names a directory: it starts
// with "/", ".", "~" or "file:".
func IsLocalSpec(spec string) bool {
	return strings.HasPrefix(spec, "/") || strings.HasPrefix(spec, ".") ||
		strings.HasPrefix(spec, "~") || strings.HasPrefix(spec, "file:")
}

// OpenBackend turns a spec into a Backend: "" is the default local
// directory, a path (see IsLocalSpec) a local directory, anything else
// "host[:port][/prefix]" of a remote registry.
func OpenBackend(spec string) (Backend, error) {
	switch {
	case spec == "":
		return Local{Root: DefaultLocalRoot()}, nil
	case IsLocalSpec(spec):
		p := strings.TrimPrefix(spec, "file:")
		if rest, ok := strings.CutPrefix(p, "~"); ok {
			h, err := os.UserHomeDir()
			if err != nil {
				return nil, fmt.Errorf("registry: %s: %w", spec, err)
			}
			p = filepath.Join(h, rest)
		}
		return Local{Root: p}, nil
	default:
		r, err := ParseRemote(spec)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
}

var (
	_ Backend = Local{}
	_ Backend = Remote{}
	_ Repo    = (*oci.Store)(nil)
	_ Repo    = (*remote.Repository)(nil)
)
