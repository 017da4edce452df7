package registry

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/ablate-ml/ablate/sdk/abi"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/errdef"
)

// Media and artifact types, and annotation keys.
const (
	MediaTypeWasm         = "application/wasm"
	MediaTypeConfig       = "application/vnd.ablate.plugin.manifest.v1+json"
	ArtifactTypeSignature = "application/vnd.ablate.signature.v1"
	MediaTypeSignature    = "application/vnd.ablate.signature.v1+json"
	ArtifactTypeYank      = "application/vnd.ablate.yank.v1"
	MediaTypeYank         = "application/vnd.ablate.yank.v1+json"

	AnnotationKind        = "dev.ablate.plugin.kind"
	AnnotationABI         = "dev.ablate.plugin.abi"
	AnnotationName        = "dev.ablate.plugin.name"
	AnnotationVersion     = ocispec.AnnotationVersion
	AnnotationDescription = ocispec.AnnotationDescription
	AnnotationYankReason  = "dev.ablate.yank.reason"
)

// DefaultMaxSize bounds a module's size when Client.MaxSize is 0.
const DefaultMaxSize = 64 << 20

// maxMetaSize bounds manifests, configs, signatures and yank records.
const maxMetaSize = 1 << 20

// maxManifestSize bounds a plugin's JSON manifest at publish; its
// description is repeated in an annotation, so the OCI manifest stays far
// below maxMetaSize.
const maxManifestSize = 64 << 10

// Inspector reads a module's manifest (core/plugin provides one).
type Inspector interface {
	Inspect(ctx context.Context, wasm []byte) (abi.Manifest, error)
}

// Conformer runs the conformance kit for a module's kind
// (core/plugin/plugintest provides one).
type Conformer interface {
	Check(ctx context.Context, wasm []byte) error
}

// Client publishes to and pulls from a Backend, keeping pulled plugins in a
// local cache. The zero value publishes to and reads from the default local
// directory, without inspection (Publish then refuses: it needs an
// Inspector) and with no trusted keys.
type Client struct {
	// Backend is where plugins are published and pulled from; nil means Cache.
	Backend Backend
	// Cache keeps pulled plugins; a zero Root means DefaultLocalRoot().
	Cache Local
	// Trusted are the keys whose signatures make a plugin trusted.
	Trusted []TrustedKey
	// MaxSize bounds a module in bytes; 0 means DefaultMaxSize.
	MaxSize int64
	// Inspector reads a module's manifest; required by Publish, and when set
	// Pull checks that the module declares what its config says.
	Inspector Inspector
	// Conformer runs the conformance kit; required by Publish.
	Conformer Conformer
	// RequireSignature makes Pull refuse a plugin that no trusted key signed.
	RequireSignature bool
}

// Artifact is one published plugin version.
type Artifact struct {
	Name       string
	Version    string
	Digest     string // the OCI manifest's digest: what is signed and pinned
	WasmDigest string // "sha256:<hex>" of Wasm
	Wasm       []byte
	Manifest   abi.Manifest
	Signer     string // the trusted key whose signature verifies; "" for none
	SigErr     error  // why Signer is empty (ErrUnsigned, ErrSignature, ErrUntrusted)
	Yanked     bool
	YankReason string
	Source     string // the backend it came from
}

type signature struct {
	Digest    string `json:"digest"`
	Key       string `json:"key"`
	PublicKey string `json:"public_key"`
	Signature string `json:"signature"`
}

func (c *Client) cache() Local {
	if c.Cache.Root == "" {
		return Local{Root: DefaultLocalRoot()}
	}
	return c.Cache
}

func (c *Client) backend() Backend {
	if c.Backend == nil {
		return c.cache()
	}
	return c.Backend
}

func (c *Client) maxSize() int64 {
	if c.MaxSize <= 0 {
		return DefaultMaxSize
	}
	return c.MaxSize
}

func (c *Client) backendIsCache() bool {
	l, ok := c.backend().(Local)
	return ok && l.Root == c.cache().Root
}

// checkWasm checks size and the module header.
func (c *Client) checkWasm(what string, wasm []byte) error {
	if int64(len(wasm)) > c.maxSize() {
		return fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrTooLarge, what, len(wasm), c.maxSize())
	}
	if len(wasm) < 8 || !bytes.Equal(wasm[:8], []byte{0, 'a', 's', 'm', 1, 0, 0, 0}) {
		return fmt.Errorf("%w: %s does not start with the wasm header \\0asm version 1", ErrNotWasm, what)
	}
	return nil
}

// Publish checks wasm (size, header, manifest, ABI, name, version,
// conformance), then pushes it as NAME:VERSION signed with key. name ""
// means the manifest's name. Publishing the same bytes again is a no-op
// (the signature is refreshed); different bytes under a published version
// are refused with ErrExists. Nothing is written unless every check passes.
func (c *Client) Publish(ctx context.Context, wasm []byte, key Key, name string) (Artifact, error) {
	if c.Inspector == nil || c.Conformer == nil {
		return Artifact{}, errors.New("registry: publish needs an Inspector and a Conformer")
	}
	if len(key.Private) != ed25519.PrivateKeySize {
		return Artifact{}, fmt.Errorf("%w: no private key to sign with", ErrKey)
	}
	if err := c.checkWasm("module", wasm); err != nil {
		return Artifact{}, err
	}
	m, err := c.Inspector.Inspect(ctx, wasm)
	if err != nil {
		return Artifact{}, fmt.Errorf("%w: %w", ErrArtifact, err)
	}
	if m.ABI != abi.Version {
		return Artifact{}, fmt.Errorf("%w: module %q declares ABI %d, this host speaks %d", ErrABI, m.Name, m.ABI, abi.Version)
	}
	if _, err := ParseVersion(m.Version); err != nil {
		return Artifact{}, fmt.Errorf("module %q: %w", m.Name, err)
	}
	if err := m.Validate(); err != nil {
		return Artifact{}, fmt.Errorf("%w: %w", ErrArtifact, err)
	}
	if name == "" {
		name = m.Name
	}
	if err := ValidateName(name); err != nil {
		return Artifact{}, err
	}
	if _, err := ParseVersion(m.Version); err != nil {
		return Artifact{}, fmt.Errorf("%s: %w", name, err)
	}
	cfg, err := json.Marshal(m)
	if err != nil {
		return Artifact{}, fmt.Errorf("registry: %w", err)
	}
	if len(cfg) > maxManifestSize {
		return Artifact{}, fmt.Errorf("%w: %s@%s plugin manifest is %d bytes, the limit is %d", ErrTooLarge, name, m.Version, len(cfg), maxManifestSize)
	}
	if err := c.Conformer.Check(ctx, wasm); err != nil {
		return Artifact{}, fmt.Errorf("%w: %s@%s: %w", ErrConformance, name, m.Version, err)
	}
	a := Artifact{Name: name, Version: m.Version, WasmDigest: digestOf(wasm), Wasm: wasm, Manifest: m, Source: c.backend().String()}

	// The one check that needs the registry: is this version taken?
	b := c.backend()
	if repo, err := b.Open(ctx, name, false); err == nil {
		old, err := c.fetch(ctx, repo, name, m.Version, "", false)
		switch {
		case err == nil && old.WasmDigest != a.WasmDigest:
			return Artifact{}, fmt.Errorf("%w: %s@%s is %s, this module is %s", ErrExists, name, m.Version, old.WasmDigest, a.WasmDigest)
		case err == nil:
			a.Digest = old.Digest
			if err := c.sign(ctx, repo, a.Digest, m.Version, key); err != nil {
				return Artifact{}, err
			}
			return c.withSignature(ctx, repo, a), nil
		case !errors.Is(err, ErrNotFound):
			return Artifact{}, err
		}
	} else if !errors.Is(err, ErrNotFound) {
		return Artifact{}, err
	}

	repo, err := b.Open(ctx, name, true)
	if err != nil {
		return Artifact{}, err
	}
	cfgDesc, err := pushBlob(ctx, repo, MediaTypeConfig, cfg)
	if err != nil {
		return Artifact{}, err
	}
	wasmDesc, err := pushBlob(ctx, repo, MediaTypeWasm, wasm)
	if err != nil {
		return Artifact{}, err
	}
	wasmDesc.Annotations = map[string]string{ocispec.AnnotationTitle: lastSegment(name) + ".wasm"}
	md, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{
		ConfigDescriptor: &cfgDesc,
		Layers:           []ocispec.Descriptor{wasmDesc},
		ManifestAnnotations: map[string]string{
			AnnotationName:        name,
			AnnotationKind:        string(m.Kind),
			AnnotationABI:         fmt.Sprint(m.ABI),
			AnnotationVersion:     m.Version,
			AnnotationDescription: m.Description,
		},
	})
	if err != nil {
		return Artifact{}, fmt.Errorf("registry: push %s@%s: %w", name, m.Version, err)
	}
	a.Digest = md.Digest.String()
	// Signature first, version tag last: a version is never visible unsigned.
	if err := c.sign(ctx, repo, a.Digest, m.Version, key); err != nil {
		return Artifact{}, err
	}
	if err := repo.Tag(ctx, md, m.Version); err != nil {
		return Artifact{}, fmt.Errorf("registry: tag %s@%s: %w", name, m.Version, err)
	}
	return c.withSignature(ctx, repo, a), nil
}

func lastSegment(name string) string {
	return name[strings.LastIndex(name, "/")+1:]
}

func digestOf(b []byte) string { return content.NewDescriptorFromBytes("", b).Digest.String() }

// pushBlob pushes b unless the target already has it.
func pushBlob(ctx context.Context, t oras.Target, mediaType string, b []byte) (ocispec.Descriptor, error) {
	d := content.NewDescriptorFromBytes(mediaType, b)
	ok, err := t.Exists(ctx, d)
	if err != nil {
		return d, fmt.Errorf("registry: %w", err)
	}
	if ok {
		return d, nil
	}
	if err := t.Push(ctx, d, bytes.NewReader(b)); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return d, fmt.Errorf("registry: push blob %s: %w", d.Digest, err)
	}
	return d, nil
}

func (c *Client) sign(ctx context.Context, repo Repo, digest, version string, key Key) error {
	sig := ed25519.Sign(key.Private, []byte(digest))
	payload, err := json.Marshal(signature{
		Digest:    digest,
		Key:       key.Name,
		PublicKey: base64.StdEncoding.EncodeToString(key.Private.Public().(ed25519.PublicKey)),
		Signature: base64.StdEncoding.EncodeToString(sig),
	})
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return pushSide(ctx, repo, ArtifactTypeSignature, MediaTypeSignature, payload, sigTag(version), nil)
}

// pushSide pushes a small record manifest (signature or yank) and tags it.
func pushSide(ctx context.Context, repo Repo, artifactType, mediaType string, payload []byte, tag string, ann map[string]string) error {
	ld, err := pushBlob(ctx, repo, mediaType, payload)
	if err != nil {
		return err
	}
	md, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, artifactType, oras.PackManifestOptions{
		Layers:              []ocispec.Descriptor{ld},
		ManifestAnnotations: ann,
	})
	if err != nil {
		return fmt.Errorf("registry: push %s: %w", tag, err)
	}
	if err := repo.Tag(ctx, md, tag); err != nil {
		return fmt.Errorf("registry: tag %s: %w", tag, err)
	}
	return nil
}

// fetchVerified fetches desc's bytes, checking size and digest.
func fetchVerified(ctx context.Context, repo Repo, desc ocispec.Descriptor, limit int64, what string) ([]byte, error) {
	if desc.Size < 0 || desc.Size > limit {
		return nil, fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrTooLarge, what, desc.Size, limit)
	}
	b, err := content.FetchAll(ctx, repo, desc)
	if err != nil {
		if errors.Is(err, content.ErrMismatchedDigest) || errors.Is(err, content.ErrTrailingData) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: %s (%s): %w", ErrDigest, what, desc.Digest, err)
		}
		if errors.Is(err, errdef.ErrNotFound) {
			return nil, fmt.Errorf("%w: %s (%s)", ErrNotFound, what, desc.Digest)
		}
		return nil, fmt.Errorf("registry: fetch %s: %w", what, err)
	}
	return b, nil
}

// fetchMeta resolves reference (a tag or digest) and fetches its manifest.
func fetchMeta(ctx context.Context, repo Repo, reference, what string) (ocispec.Descriptor, ocispec.Manifest, error) {
	var m ocispec.Manifest
	desc, err := repo.Resolve(ctx, reference)
	if err != nil {
		if errors.Is(err, errdef.ErrNotFound) || isNameUnknown(err) {
			return desc, m, fmt.Errorf("%w: %s", ErrNotFound, what)
		}
		return desc, m, fmt.Errorf("registry: resolve %s: %w", what, err)
	}
	if desc.MediaType != ocispec.MediaTypeImageManifest {
		return desc, m, fmt.Errorf("%w: %s is a %q, not an OCI image manifest", ErrArtifact, what, desc.MediaType)
	}
	b, err := fetchVerified(ctx, repo, desc, maxMetaSize, what+" manifest")
	if err != nil {
		return desc, m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return desc, m, fmt.Errorf("%w: %s manifest: %w", ErrArtifact, what, err)
	}
	return desc, m, nil
}

// fetch reads name@version into memory and checks it: by its version tag
// when digest is "", else by digest (a pin). inspect runs the Inspector
// (when set) over the module; the cache, whose content was inspected when
// it was pulled and is checked against the pinned digest, skips it.
func (c *Client) fetch(ctx context.Context, repo Repo, name, version, digest string, inspect bool) (Artifact, error) {
	what := name + "@" + version
	ref := version
	if digest != "" {
		ref = digest
	}
	desc, m, err := fetchMeta(ctx, repo, ref, what)
	if err != nil {
		return Artifact{}, err
	}
	if m.Config.MediaType != MediaTypeConfig {
		return Artifact{}, fmt.Errorf("%w: %s has config %q, not an ablate plugin manifest (%s)", ErrArtifact, what, m.Config.MediaType, MediaTypeConfig)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != MediaTypeWasm {
		types := make([]string, len(m.Layers))
		for i, l := range m.Layers {
			types[i] = l.MediaType
		}
		return Artifact{}, fmt.Errorf("%w: %s must have one %s layer, has %v", ErrNotWasm, what, MediaTypeWasm, types)
	}
	cfg, err := fetchVerified(ctx, repo, m.Config, maxMetaSize, what+" config")
	if err != nil {
		return Artifact{}, err
	}
	var head struct {
		ABI int `json:"abi"`
	}
	if err := json.Unmarshal(cfg, &head); err != nil {
		return Artifact{}, fmt.Errorf("%w: %s config: %w", ErrArtifact, what, err)
	}
	if head.ABI != abi.Version {
		return Artifact{}, fmt.Errorf("%w: %s declares ABI %d, this host speaks %d", ErrABI, what, head.ABI, abi.Version)
	}
	pm, err := abi.ParseManifest(cfg)
	if err != nil {
		return Artifact{}, fmt.Errorf("%w: %s config: %w", ErrArtifact, what, err)
	}
	if pm.Version != version {
		return Artifact{}, fmt.Errorf("%w: %s (%s) says version %s in its manifest", ErrArtifact, what, ref, pm.Version)
	}
	wasm, err := fetchVerified(ctx, repo, m.Layers[0], c.maxSize(), what+" module")
	if err != nil {
		return Artifact{}, err
	}
	if err := c.checkWasm(what, wasm); err != nil {
		return Artifact{}, err
	}
	if inspect && c.Inspector != nil {
		im, err := c.Inspector.Inspect(ctx, wasm)
		if err != nil {
			return Artifact{}, fmt.Errorf("%w: %s: %w", ErrArtifact, what, err)
		}
		if im.ABI != abi.Version {
			return Artifact{}, fmt.Errorf("%w: %s module declares ABI %d, this host speaks %d", ErrABI, what, im.ABI, abi.Version)
		}
		if im.Kind != pm.Kind || im.Version != pm.Version || im.Name != pm.Name {
			return Artifact{}, fmt.Errorf("%w: %s module declares %s %s@%s, its config says %s %s@%s", ErrArtifact, what, im.Kind, im.Name, im.Version, pm.Kind, pm.Name, pm.Version)
		}
	}
	return Artifact{
		Name: name, Version: pm.Version, Digest: desc.Digest.String(), WasmDigest: digestOf(wasm),
		Wasm: wasm, Manifest: pm,
	}, nil
}

// withSignature fills Signer/SigErr and the yank state of a.
func (c *Client) withSignature(ctx context.Context, repo Repo, a Artifact) Artifact {
	a.Signer, a.SigErr = c.verifySig(ctx, repo, a.Name, a.Version, a.Digest)
	a.Yanked, a.YankReason = yanked(ctx, repo, a.Version)
	return a
}

func (c *Client) verifySig(ctx context.Context, repo Repo, name, version, digest string) (string, error) {
	what := name + "@" + version
	_, m, err := fetchMeta(ctx, repo, sigTag(version), what+" signature")
	if errors.Is(err, ErrNotFound) {
		return "", fmt.Errorf("%w: %s has no %s tag", ErrUnsigned, what, sigTag(version))
	}
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrSignature, what, err)
	}
	if m.ArtifactType != ArtifactTypeSignature || len(m.Layers) != 1 || m.Layers[0].MediaType != MediaTypeSignature {
		return "", fmt.Errorf("%w: %s: %s is not an ablate signature", ErrSignature, what, sigTag(version))
	}
	b, err := fetchVerified(ctx, repo, m.Layers[0], maxMetaSize, what+" signature")
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrSignature, what, err)
	}
	var s signature
	if err := json.Unmarshal(b, &s); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrSignature, what, err)
	}
	pub, err1 := base64.StdEncoding.DecodeString(s.PublicKey)
	sig, err2 := base64.StdEncoding.DecodeString(s.Signature)
	if err1 != nil || err2 != nil || len(pub) != ed25519.PublicKeySize {
		return "", fmt.Errorf("%w: %s: malformed signature record", ErrSignature, what)
	}
	if s.Digest != digest || !ed25519.Verify(pub, []byte(digest), sig) {
		return "", fmt.Errorf("%w: %s: the signature by key %q does not match digest %s", ErrSignature, what, s.Key, digest)
	}
	for _, k := range c.Trusted {
		if k.Public.Equal(ed25519.PublicKey(pub)) {
			return k.Name, nil
		}
	}
	return "", fmt.Errorf("%w: %s is signed by key %q (%s), which is not in the trusted keys", ErrUntrusted, what, s.Key, s.PublicKey)
}

func yanked(ctx context.Context, repo Repo, version string) (bool, string) {
	_, m, err := fetchMeta(ctx, repo, yankTag(version), version+" yank")
	if err != nil {
		return false, ""
	}
	return true, m.Annotations[AnnotationYankReason]
}

// Version is one published version of a plugin.
type Version struct {
	Version string
	Yanked  bool
}

// Versions lists name's published versions, highest first.
func (c *Client) Versions(ctx context.Context, name string) ([]Version, error) {
	repo, err := c.backend().Open(ctx, name, false)
	if err != nil {
		return nil, err
	}
	return versions(ctx, repo, name)
}

func versions(ctx context.Context, repo Repo, name string) ([]Version, error) {
	var tags []string
	if err := repo.Tags(ctx, "", func(t []string) error { tags = append(tags, t...); return nil }); err != nil {
		if errors.Is(err, errdef.ErrNotFound) || isNameUnknown(err) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, name)
		}
		return nil, fmt.Errorf("registry: tags of %s: %w", name, err)
	}
	set := map[string]bool{}
	for _, t := range tags {
		set[t] = true
	}
	var vs []*semver.Version
	for _, t := range tags {
		if v, err := ParseVersion(t); err == nil {
			vs = append(vs, v)
		}
	}
	sort.Sort(sort.Reverse(semver.Collection(vs)))
	out := make([]Version, len(vs))
	for i, v := range vs {
		out[i] = Version{Version: v.Original(), Yanked: set[yankTag(v.Original())]}
	}
	return out, nil
}

// pick returns the highest unyanked version in vs matching rng ("" is any
// release).
func pick(name, rng string, vs []Version) (string, error) {
	r := rng
	if r == "" {
		r = "*"
	}
	cons, err := semver.NewConstraint(r)
	if err != nil {
		return "", fmt.Errorf("%w: range %q of %s: %w", ErrVersion, rng, name, err)
	}
	var all []string
	for _, v := range vs {
		sv, err := semver.StrictNewVersion(v.Version)
		if err != nil {
			continue
		}
		label := v.Version
		if v.Yanked {
			label += " (yanked)"
		}
		all = append(all, label)
		if !v.Yanked && cons.Check(sv) {
			return v.Version, nil
		}
	}
	if len(all) == 0 {
		return "", fmt.Errorf("%w: %s has no published versions", ErrRange, name)
	}
	return "", fmt.Errorf("%w %s@%s; published: %s", ErrRange, name, r, strings.Join(all, ", "))
}

// Resolve picks the version of ref.Name that ref.Range selects: the highest
// matching version that is not yanked.
func (c *Client) Resolve(ctx context.Context, ref Ref) (string, error) {
	vs, err := c.Versions(ctx, ref.Name)
	if err != nil {
		return "", err
	}
	return pick(ref.Name, ref.Range, vs)
}

// Pull resolves ref on the backend, fetches and checks the plugin in memory,
// verifies its signature (refusing an unverified one when RequireSignature
// is set), and only then copies it into the cache.
func (c *Client) Pull(ctx context.Context, ref Ref) (Artifact, error) {
	if err := ValidateName(ref.Name); err != nil {
		return Artifact{}, err
	}
	repo, err := c.backend().Open(ctx, ref.Name, false)
	if err != nil {
		return Artifact{}, err
	}
	vs, err := versions(ctx, repo, ref.Name)
	if err != nil {
		return Artifact{}, err
	}
	v, err := pick(ref.Name, ref.Range, vs)
	if err != nil {
		return Artifact{}, err
	}
	return c.pullVersion(ctx, repo, ref.Name, v, "")
}

// pullVersion fetches name@version (at digest when not empty), checks it and
// caches it.
func (c *Client) pullVersion(ctx context.Context, repo Repo, name, version, digest string) (Artifact, error) {
	a, err := c.fetch(ctx, repo, name, version, digest, true)
	if err != nil {
		return Artifact{}, err
	}
	a.Source = c.backend().String()
	a = c.withSignature(ctx, repo, a)
	if c.RequireSignature && a.Signer == "" {
		return Artifact{}, a.SigErr
	}
	if !c.backendIsCache() {
		if err := c.store(ctx, repo, a); err != nil {
			return Artifact{}, err
		}
	}
	return a, nil
}

// store copies a (already fetched and checked) and its signature into the
// cache.
func (c *Client) store(ctx context.Context, src Repo, a Artifact) error {
	dst, err := c.cache().Open(ctx, a.Name, true)
	if err != nil {
		return err
	}
	desc, err := src.Resolve(ctx, a.Digest)
	if err != nil {
		return fmt.Errorf("registry: cache %s@%s: %w", a.Name, a.Version, err)
	}
	if err := oras.CopyGraph(ctx, src, dst, desc, oras.DefaultCopyGraphOptions); err != nil {
		return fmt.Errorf("registry: cache %s@%s: %w", a.Name, a.Version, err)
	}
	if err := dst.Tag(ctx, desc, a.Version); err != nil {
		return fmt.Errorf("registry: cache %s@%s: %w", a.Name, a.Version, err)
	}
	if a.SigErr != nil && errors.Is(a.SigErr, ErrUnsigned) {
		return nil
	}
	sd, err := src.Resolve(ctx, sigTag(a.Version))
	if err != nil {
		return fmt.Errorf("registry: cache %s@%s signature: %w", a.Name, a.Version, err)
	}
	if err := oras.CopyGraph(ctx, src, dst, sd, oras.DefaultCopyGraphOptions); err != nil {
		return fmt.Errorf("registry: cache %s@%s signature: %w", a.Name, a.Version, err)
	}
	if err := dst.Tag(ctx, sd, sigTag(a.Version)); err != nil {
		return fmt.Errorf("registry: cache %s@%s signature: %w", a.Name, a.Version, err)
	}
	return nil
}

// Verify fetches name@version and checks its digests and its signature
// against the trusted keys; it returns the artifact and the signature error
// (nil when a trusted key signed it).
func (c *Client) Verify(ctx context.Context, name, version string) (Artifact, error) {
	if _, err := ParseVersion(version); err != nil {
		return Artifact{}, err
	}
	repo, err := c.backend().Open(ctx, name, false)
	if err != nil {
		return Artifact{}, err
	}
	a, err := c.fetch(ctx, repo, name, version, "", true)
	if err != nil {
		return Artifact{}, err
	}
	a.Source = c.backend().String()
	a = c.withSignature(ctx, repo, a)
	return a, a.SigErr
}

// Yank marks name@version yanked with a reason. The version stays
// pullable by pin; ranges skip it.
func (c *Client) Yank(ctx context.Context, name, version, reason string) error {
	if _, err := ParseVersion(version); err != nil {
		return err
	}
	if strings.TrimSpace(reason) == "" {
		return fmt.Errorf("registry: yank %s@%s: a reason is required", name, version)
	}
	repo, err := c.backend().Open(ctx, name, false)
	if err != nil {
		return err
	}
	if _, err := repo.Resolve(ctx, version); err != nil {
		return fmt.Errorf("%w: %s@%s", ErrNotFound, name, version)
	}
	payload, err := json.Marshal(map[string]string{"version": version, "reason": reason})
	if err != nil {
		return fmt.Errorf("registry: %w", err)
	}
	return pushSide(ctx, repo, ArtifactTypeYank, MediaTypeYank, payload, yankTag(version),
		map[string]string{AnnotationYankReason: reason})
}

// Entry is one search result: a plugin's newest unyanked version.
type Entry struct {
	Name        string
	Version     string
	Kind        string
	Description string
	Versions    []Version
}

// Search lists plugins whose name, kind or description contains text
// (case-insensitive; "" matches all), of kind when kind is not "". It reads
// the registry's catalogue; where there is none, text must be an exact name.
func (c *Client) Search(ctx context.Context, text, kind string) ([]Entry, error) {
	b := c.backend()
	names, err := b.Names(ctx)
	if err != nil {
		// Registries without a catalogue (GHCR) can still be asked for
		// one exact name.
		if ValidateName(text) != nil {
			return nil, fmt.Errorf("%w (without a catalogue, search for an exact name)", err)
		}
		names = []string{text}
	}
	text = strings.ToLower(text)
	var out []Entry
	for _, n := range names {
		repo, err := b.Open(ctx, n, false)
		if err != nil {
			continue
		}
		vs, err := versions(ctx, repo, n)
		if err != nil || len(vs) == 0 {
			continue
		}
		e := Entry{Name: n, Versions: vs}
		e.Version = vs[0].Version
		for _, v := range vs {
			if !v.Yanked {
				e.Version = v.Version
				break
			}
		}
		if _, m, err := fetchMeta(ctx, repo, e.Version, n+"@"+e.Version); err == nil {
			e.Kind = m.Annotations[AnnotationKind]
			e.Description = m.Annotations[AnnotationDescription]
		}
		if kind != "" && e.Kind != kind {
			continue
		}
		hay := strings.ToLower(n + " " + e.Kind + " " + e.Description)
		if text != "" && !strings.Contains(hay, text) {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}
