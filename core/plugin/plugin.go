package plugin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// Plugin is a loaded, checked module with a pool of instances. It is safe
// for concurrent use. Close releases it.
type Plugin struct {
	name     string
	digest   string
	cfg      Config
	manifest abi.Manifest
	params   []byte

	rt       wazero.Runtime
	compiled wazero.CompiledModule
	exports  []string
	imports  []string

	logMu sync.Mutex // serialises writes to cfg.Log

	tokens chan struct{} // one per instance that may exist
	mu     sync.Mutex
	idle   []*instance
	closed bool
}

// instance is one module instance; it runs one call at a time.
type instance struct {
	mod      api.Module
	fns      map[string]api.Function
	stateGen uint64 // the estimator state generation it holds
	out, err *lineWriter
}

// DefaultCacheDir is $XDG_CACHE_HOME/ablate/wazero (os.UserCacheDir), or
// a directory under os.TempDir when there is no user cache directory.
func DefaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "ablate", "wazero")
}

// Digest returns "sha256:<hex>" of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// LoadFile reads path and loads it; the plugin's label before its manifest
// is read is the file's base name.
func LoadFile(ctx context.Context, path string, cfg Config) (*Plugin, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("plugin: %w", err)
	}
	return load(ctx, b, cfg, strings.TrimSuffix(filepath.Base(path), ".wasm"))
}

// Load checks and compiles wasm, instantiates a first instance and
// initialises it with the parameters. See the package doc for the checks.
func Load(ctx context.Context, wasm []byte, cfg Config) (*Plugin, error) {
	return load(ctx, wasm, cfg, "plugin")
}

// load labels the plugin label until its manifest names it.
func load(ctx context.Context, wasm []byte, cfg Config, label string) (*Plugin, error) {
	p := &Plugin{name: cfg.Name, digest: Digest(wasm), cfg: cfg}
	if p.name == "" {
		p.name = label
	}
	if p.cfg.Timeout <= 0 {
		p.cfg.Timeout = DefaultTimeout
	}
	if p.cfg.MemoryLimitPages == 0 {
		p.cfg.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if p.cfg.MaxInstances <= 0 {
		p.cfg.MaxInstances = runtime.GOMAXPROCS(0)
	}
	if p.cfg.Log == nil {
		p.cfg.Log = io.Discard
	}
	if cfg.Digest != "" {
		want := strings.ToLower(cfg.Digest)
		if !strings.HasPrefix(want, "sha256:") {
			want = "sha256:" + want
		}
		if want != p.digest {
			return nil, p.loadErr("load", fmt.Errorf("%w: pinned %s, the module is %s", ErrDigest, want, p.digest))
		}
	}
	if err := p.compile(ctx, wasm); err != nil {
		return nil, err
	}
	inst, err := p.firstInstance(ctx)
	if err != nil {
		p.rt.Close(ctx)
		return nil, err
	}
	p.tokens = make(chan struct{}, p.cfg.MaxInstances)
	p.tokens <- struct{}{} // the first instance's
	p.put(inst)
	return p, nil
}

func (p *Plugin) loadErr(call string, err error) error {
	return &Error{Plugin: p.name, Digest: p.digest, Call: call, Err: err}
}

// signatures of every export and import of the ABI: params, then results.
var signatures = map[string][2][]api.ValueType{
	abi.ExportABIVersion: {nil, {api.ValueTypeI32}},
	abi.ExportAlloc:      {{api.ValueTypeI32}, {api.ValueTypeI32}},
	abi.ExportFree:       {{api.ValueTypeI32}, nil},
	abi.ExportManifest:   {nil, {api.ValueTypeI64}},
	abi.ExportInit:       {{api.ValueTypeI32, api.ValueTypeI32}, {api.ValueTypeI32}},
	abi.ExportError:      {nil, {api.ValueTypeI64}},
	abi.ExportJudge:      {i32n(7), {api.ValueTypeI32}},
	abi.ExportBias:       {i32n(8), {api.ValueTypeI32}},
	abi.ExportDiscount: {{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32,
		api.ValueTypeI64, api.ValueTypeI32}, {api.ValueTypeI32}},
	abi.ExportFit:   {i32n(3), {api.ValueTypeI32}},
	abi.ExportScore: {i32n(4), {api.ValueTypeI32}},
	abi.ExportSave:  {nil, {api.ValueTypeI64}},
	abi.ExportLoad:  {i32n(2), {api.ValueTypeI32}},
}

func i32n(n int) []api.ValueType {
	v := make([]api.ValueType, n)
	for i := range v {
		v[i] = api.ValueTypeI32
	}
	return v
}

func sigString(params, results []api.ValueType) string {
	s := func(v []api.ValueType) string {
		n := make([]string, len(v))
		for i, t := range v {
			n[i] = api.ValueTypeName(t)
		}
		return strings.Join(n, ", ")
	}
	return "(" + s(params) + ") -> (" + s(results) + ")"
}

func (p *Plugin) checkExports(names []string) error {
	defs := p.compiled.ExportedFunctions()
	for _, name := range names {
		d, ok := defs[name]
		if !ok {
			return p.loadErr("load", fmt.Errorf("%w: %s", ErrMissingExport, name))
		}
		want := signatures[name]
		if !slices.Equal(d.ParamTypes(), want[0]) || !slices.Equal(d.ResultTypes(), want[1]) {
			return p.loadErr("load", fmt.Errorf("%w: %s is %s, want %s", ErrSignature, name,
				sigString(d.ParamTypes(), d.ResultTypes()), sigString(want[0], want[1])))
		}
	}
	return nil
}

func (p *Plugin) compile(ctx context.Context, wasm []byte) error {
	rc := wazero.NewRuntimeConfig().
		WithMemoryLimitPages(p.cfg.MemoryLimitPages).
		WithCloseOnContextDone(p.cfg.Trust == Guarded)
	if !p.cfg.NoCache {
		dir := p.cfg.CacheDir
		if dir == "" {
			dir = DefaultCacheDir()
		}
		cache, err := wazero.NewCompilationCacheWithDir(dir)
		if err != nil {
			return p.loadErr("load", fmt.Errorf("compilation cache %s: %w", dir, err))
		}
		rc = rc.WithCompilationCache(cache)
	}
	p.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	cm, err := p.rt.CompileModule(ctx, wasm)
	if err != nil {
		p.rt.Close(ctx)
		return p.loadErr("load", fmt.Errorf("%w: %w", ErrModule, err))
	}
	p.compiled = cm
	fail := func(err error) error { p.rt.Close(ctx); return err }
	for _, d := range cm.ImportedFunctions() {
		mod, name, _ := d.Import()
		p.imports = append(p.imports, mod+"."+name)
		switch mod {
		case abi.ModuleWASI:
		case abi.ModuleHost:
			if _, ok := hostSignatures[name]; !ok {
				return fail(p.loadErr("load", fmt.Errorf("%w: %s.%s: the host module %q has only log, random and logprob",
					ErrForbiddenImport, mod, name, abi.ModuleHost)))
			}
		default:
			return fail(p.loadErr("load", fmt.Errorf("%w: %s.%s: only modules %q and %q may be imported",
				ErrForbiddenImport, mod, name, abi.ModuleHost, abi.ModuleWASI)))
		}
	}
	for _, d := range cm.ImportedMemories() {
		mod, name, _ := d.Import()
		return fail(p.loadErr("load", fmt.Errorf("%w: memory %s.%s: a plugin must define its own memory", ErrForbiddenImport, mod, name)))
	}
	if _, ok := cm.ExportedMemories()["memory"]; !ok {
		return fail(p.loadErr("load", fmt.Errorf("%w: memory", ErrMissingExport)))
	}
	for name := range cm.ExportedFunctions() {
		p.exports = append(p.exports, name)
	}
	sort.Strings(p.exports)
	if err := p.checkExports(abi.CommonExports()); err != nil {
		return fail(err)
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, p.rt); err != nil {
		return fail(p.loadErr("load", err))
	}
	if err := p.instantiateHost(ctx); err != nil {
		return fail(p.loadErr("load", err))
	}
	return nil
}

// firstInstance makes the first instance and runs the load-time checks that
// need one: ABI version, manifest, kind, parameters, init.
func (p *Plugin) firstInstance(ctx context.Context) (*instance, error) {
	inst, err := p.instantiate(ctx)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*instance, error) { inst.mod.Close(ctx); return nil, err }
	res, err := p.callRaw(ctx, inst, abi.ExportABIVersion)
	if err != nil {
		return fail(err)
	}
	if v := int32(res[0]); v != abi.Version {
		return fail(p.loadErr(abi.ExportABIVersion, fmt.Errorf("%w: the module implements ABI %d, this host implements ABI %d",
			ErrABIVersion, v, abi.Version)))
	}
	res, err = p.callRaw(ctx, inst, abi.ExportManifest)
	if err != nil {
		return fail(err)
	}
	mb, err := p.readPacked(inst, res[0], abi.ExportManifest)
	if err != nil {
		return fail(err)
	}
	m, err := abi.ParseManifest(mb)
	if err != nil {
		if m.ABI != 0 && m.ABI != abi.Version {
			err = fmt.Errorf("%w: %w", ErrABIVersion, err)
		}
		return fail(p.loadErr(abi.ExportManifest, fmt.Errorf("%w: %w", ErrManifest, err)))
	}
	p.manifest = m
	if p.cfg.Name == "" {
		p.name = m.Name
	}
	if p.cfg.Kind != "" && m.Kind != p.cfg.Kind {
		return fail(p.loadErr("load", fmt.Errorf("%w: the module is a %s, loaded as a %s", ErrKind, m.Kind, p.cfg.Kind)))
	}
	if err := p.checkExports(m.Kind.Exports()); err != nil {
		return fail(err)
	}
	p.params, err = resolveParams(m, p.cfg.Params)
	if err != nil {
		return fail(p.loadErr("load", err))
	}
	if err := p.init(ctx, inst); err != nil {
		return fail(err)
	}
	return inst, nil
}

func (p *Plugin) instantiate(ctx context.Context) (*instance, error) {
	inst := &instance{
		out: &lineWriter{p: p},
		err: &lineWriter{p: p},
	}
	mc := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions(abi.ExportInitialize).
		WithStdout(inst.out).
		WithStderr(inst.err).
		WithRandSource(newStream(p.cfg.Seed, "wasi", nil))
	if p.cfg.Trust == Guarded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.Timeout)
		defer cancel()
	}
	ctx = context.WithValue(ctx, callKey{}, &callState{p: p, export: abi.ExportInitialize})
	mod, err := p.rt.InstantiateModule(ctx, p.compiled, mc)
	if err != nil {
		return nil, &TrapError{Plugin: p.name, Digest: p.digest, Export: abi.ExportInitialize, Cause: classify(err)}
	}
	inst.mod = mod
	inst.fns = map[string]api.Function{}
	for _, name := range p.exports {
		if _, ok := signatures[name]; ok {
			inst.fns[name] = mod.ExportedFunction(name)
		}
	}
	return inst, nil
}

// init runs ablate_init with the resolved parameters.
func (p *Plugin) init(ctx context.Context, inst *instance) error {
	ctx, cancel := p.callContext(ctx, abi.ExportInit, func() [][]byte { return [][]byte{p.params} })
	defer cancel()
	ptr, err := p.alloc(ctx, inst, uint32(len(p.params)))
	if err != nil {
		return err
	}
	defer p.free(ctx, inst, ptr)
	if !inst.mod.Memory().Write(ptr, p.params) {
		return p.outErr(abi.ExportAlloc, fmt.Errorf("%w: pointer %d + %d bytes is outside memory", ErrOutput, ptr, len(p.params)))
	}
	return p.status(ctx, inst, abi.ExportInit, uint64(ptr), uint64(len(p.params)))
}

// Name returns the plugin's label: Config.Name or the manifest's name.
func (p *Plugin) Name() string { return p.name }

// Digest returns "sha256:<hex>" of the module's bytes.
func (p *Plugin) Digest() string { return p.digest }

// Manifest returns the module's manifest.
func (p *Plugin) Manifest() abi.Manifest { return p.manifest }

// Params returns the JSON object passed to ablate_init: every parameter of
// the manifest, defaults filled in, in manifest order.
func (p *Plugin) Params() []byte { return slices.Clone(p.params) }

// Trust returns the plugin's trust level.
func (p *Plugin) Trust() Trust { return p.cfg.Trust }

// Exports and Imports list the module's function exports and imports
// ("module.name"), sorted.
func (p *Plugin) Exports() []string { return slices.Clone(p.exports) }

// Imports lists the module's function imports as "module.name".
func (p *Plugin) Imports() []string {
	v := slices.Clone(p.imports)
	sort.Strings(v)
	return slices.Compact(v)
}

// Close closes every instance and the runtime. Calls in flight fail.
func (p *Plugin) Close(ctx context.Context) error {
	p.mu.Lock()
	p.closed = true
	p.idle = nil
	p.mu.Unlock()
	return p.rt.Close(ctx)
}

// get takes an idle instance or makes one, waiting while MaxInstances are busy.
func (p *Plugin) get(ctx context.Context, export string) (*instance, error) {
	select {
	case p.tokens <- struct{}{}:
	case <-ctx.Done():
		return nil, &Error{Plugin: p.name, Digest: p.digest, Call: export, Err: ctx.Err()}
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.tokens
		return nil, &Error{Plugin: p.name, Digest: p.digest, Call: export, Err: ErrClosed}
	}
	if n := len(p.idle); n > 0 {
		inst := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return inst, nil
	}
	p.mu.Unlock()
	inst, err := p.instantiate(ctx)
	if err == nil {
		err = p.init(ctx, inst)
		if err != nil {
			inst.mod.Close(ctx)
		}
	}
	if err != nil {
		<-p.tokens
		return nil, err
	}
	return inst, nil
}

func (p *Plugin) put(inst *instance) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.idle = append(p.idle, inst)
	p.mu.Unlock()
	<-p.tokens
}

func (p *Plugin) discard(ctx context.Context, inst *instance) {
	inst.mod.Close(ctx)
	<-p.tokens
}

// do runs f on an instance from the pool; if f traps, the instance is
// closed instead of returned.
func (p *Plugin) do(ctx context.Context, export string, f func(*instance) error) error {
	inst, err := p.get(ctx, export)
	if err != nil {
		return err
	}
	err = f(inst)
	var te *TrapError
	if errors.As(err, &te) {
		p.discard(context.WithoutCancel(ctx), inst)
	} else {
		p.put(inst)
	}
	return err
}

// callContext bounds a call in Guarded mode and carries the call's state
// for the host functions.
func (p *Plugin) callContext(ctx context.Context, export string, inputs func() [][]byte) (context.Context, context.CancelFunc) {
	cancel := func() {}
	if p.cfg.Trust == Guarded {
		ctx, cancel = context.WithTimeout(ctx, p.cfg.Timeout)
	}
	return context.WithValue(ctx, callKey{}, &callState{p: p, export: export, inputs: inputs}), cancel
}

// callRaw calls an export; any error is a trap.
func (p *Plugin) callRaw(ctx context.Context, inst *instance, export string, args ...uint64) ([]uint64, error) {
	fn := inst.fns[export]
	if fn == nil {
		return nil, &Error{Plugin: p.name, Digest: p.digest, Call: export, Err: fmt.Errorf("%w: %s", ErrMissingExport, export)}
	}
	res, err := fn.Call(ctx, args...)
	inst.out.flush()
	inst.err.flush()
	if err != nil {
		return nil, &TrapError{Plugin: p.name, Digest: p.digest, Export: export, Cause: classify(err)}
	}
	return res, nil
}

// classify turns a wazero error into a cause that names the deadline.
func classify(err error) error {
	var ee *sys.ExitError
	if errors.As(err, &ee) {
		switch ee.ExitCode() {
		case sys.ExitCodeDeadlineExceeded:
			return fmt.Errorf("%w: %w", ErrDeadline, err)
		case sys.ExitCodeContextCanceled:
			return fmt.Errorf("call cancelled: %w", err)
		}
		return fmt.Errorf("module exited with code %d", ee.ExitCode())
	}
	if msg, _, ok := strings.Cut(err.Error(), "\nwasm stack trace:"); ok {
		return &trimmed{msg: msg, err: err}
	}
	return err
}

// trimmed prints an error's first line (a trap's message without wazero's
// wasm stack trace, which the guest's own stderr usually repeats better)
// and unwraps to the whole error.
type trimmed struct {
	msg string
	err error
}

func (t *trimmed) Error() string { return t.msg }
func (t *trimmed) Unwrap() error { return t.err }

// status calls a status-returning export and fetches the message on failure.
func (p *Plugin) status(ctx context.Context, inst *instance, export string, args ...uint64) error {
	res, err := p.callRaw(ctx, inst, export, args...)
	if err != nil {
		return err
	}
	if cs, ok := ctx.Value(callKey{}).(*callState); ok && cs.hostErr != nil {
		return &Error{Plugin: p.name, Digest: p.digest, Call: export, Err: cs.hostErr}
	}
	if int32(res[0]) == abi.StatusOK {
		return nil
	}
	return p.guestErr(ctx, inst, export, int32(res[0]))
}

func (p *Plugin) guestErr(ctx context.Context, inst *instance, export string, code int32) error {
	res, err := p.callRaw(ctx, inst, abi.ExportError)
	if err != nil {
		return err
	}
	msg, err := p.readPacked(inst, res[0], abi.ExportError)
	if err != nil {
		return err
	}
	m := strings.ToValidUTF8(string(msg), "?")
	if len(m) > 4096 {
		m = m[:4096] + "..."
	}
	if m == "" {
		m = fmt.Sprintf("status %d with no message", code)
	}
	return &Error{Plugin: p.name, Digest: p.digest, Call: export, Err: &GuestError{Message: m}}
}

// readPacked copies the bytes named by a packed ptr<<32|len result.
func (p *Plugin) readPacked(inst *instance, v uint64, export string) ([]byte, error) {
	ptr, n := abi.Unpack(v)
	b, ok := inst.mod.Memory().Read(ptr, n)
	if !ok {
		return nil, p.outErr(export, fmt.Errorf("%w: packed result points at %d + %d bytes, outside the %d bytes of memory",
			ErrOutput, ptr, n, inst.mod.Memory().Size()))
	}
	return slices.Clone(b), nil
}

func (p *Plugin) outErr(export string, err error) error {
	return &Error{Plugin: p.name, Digest: p.digest, Call: export, Err: err}
}

func (p *Plugin) alloc(ctx context.Context, inst *instance, size uint32) (uint32, error) {
	res, err := p.callRaw(ctx, inst, abi.ExportAlloc, uint64(size))
	if err != nil {
		return 0, err
	}
	ptr := uint32(res[0])
	if ptr == 0 {
		return 0, p.outErr(abi.ExportAlloc, fmt.Errorf("%w: ablate_alloc(%d) returned 0 (out of memory?)", ErrOutput, size))
	}
	if ptr%abi.Align != 0 {
		return 0, p.outErr(abi.ExportAlloc, fmt.Errorf("%w: ablate_alloc(%d) returned %d, not aligned to %d", ErrOutput, size, ptr, abi.Align))
	}
	if _, ok := inst.mod.Memory().Read(ptr, size); !ok {
		return 0, p.outErr(abi.ExportAlloc, fmt.Errorf("%w: ablate_alloc(%d) returned %d, outside the %d bytes of memory",
			ErrOutput, size, ptr, inst.mod.Memory().Size()))
	}
	return ptr, nil
}

func (p *Plugin) free(ctx context.Context, inst *instance, ptr uint32) {
	// A trap in free surfaces on the next call; the result is not needed.
	_, _ = p.callRaw(ctx, inst, abi.ExportFree, uint64(ptr))
}

// lineWriter prefixes every line with the plugin's name (read at write
// time: the first instance runs before the manifest names the plugin).
type lineWriter struct {
	p   *Plugin
	buf []byte
}

func (l *lineWriter) Write(b []byte) (int, error) {
	l.buf = append(l.buf, b...)
	for {
		i := slices.Index(l.buf, '\n')
		if i < 0 {
			break
		}
		l.line(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 64<<10 {
		l.flush()
	}
	return len(b), nil
}

func (l *lineWriter) flush() {
	if len(l.buf) > 0 {
		l.line(l.buf)
		l.buf = l.buf[:0]
	}
}

func (l *lineWriter) line(b []byte) {
	l.p.logMu.Lock()
	fmt.Fprintf(l.p.cfg.Log, "%s: %s\n", l.p.name, strings.ToValidUTF8(string(b), "?"))
	l.p.logMu.Unlock()
}
