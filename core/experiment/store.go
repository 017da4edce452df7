package experiment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/BurntSushi/toml"
)

// Run states as recorded in status.json, and as derived by the store.
const (
	StateRunning     = "running"
	StateFailed      = "failed"
	StateDone        = "done"
	StateInterrupted = "interrupted" // recorded running, but its claim is stale
	StateNone        = ""            // nothing recorded
)

// Files of a run directory.
const (
	FileMeta    = "run.json"
	FileConfig  = "config.toml"
	FileLock    = "plugins.lock"
	FileStatus  = "status.json"
	FileMetrics = "metrics.jsonl"
	FileSummary = "summary.json"
	FileLog     = "log"
	FileClaim   = "claim"
	DirPlots    = "plots"
)

// Store is a results root shared by any number of processes, on one host or
// several (over a shared file system): runs/<study>/<id>/. A process claims a
// run by creating its claim file exclusively, refreshes the file's time while
// it works, and removes it when done. A claim whose process is gone (same
// host, pid not alive) or whose time is older than ClaimTTL is stale and may
// be taken over.
type Store struct {
	Root     string
	Hostname string        // this host's name in claims; "" means os.Hostname()
	ClaimTTL time.Duration // 0 means 2 minutes
}

// Meta is run.json: what a run is, for listing and comparison.
type Meta struct {
	ID    string      `json:"id"`
	Study string      `json:"study"`
	Sweep string      `json:"sweep"`
	File  string      `json:"file"`
	Index int         `json:"index"`
	Seed  int64       `json:"seed"`
	Axes  []AxisValue `json:"axes"`
	Host  string      `json:"host_version"`
	// StudyVersion is the study's Version, if it has one.
	StudyVersion string `json:"study_version,omitempty"`
}

// Status is status.json.
type Status struct {
	State    string    `json:"state"`
	Error    string    `json:"error,omitempty"`
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	Seconds  float64   `json:"seconds,omitempty"`
}

// Claim is the content of a claim file.
type Claim struct {
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"`
}

// Record is one run directory as found in the store.
type Record struct {
	Dir     string
	Meta    Meta
	Status  Status
	State   string // Status.State, or StateInterrupted
	Summary map[string]any
}

func (s *Store) host() string {
	if s.Hostname != "" {
		return s.Hostname
	}
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

func (s *Store) ttl() time.Duration {
	if s.ClaimTTL > 0 {
		return s.ClaimTTL
	}
	return 2 * time.Minute
}

// Dir is the directory of a run.
func (s *Store) Dir(r *Run) string { return filepath.Join(s.Root, r.Study, r.Short()) }

// readStatus reads status.json; a missing file is StateNone.
func readStatus(dir string) (Status, error) {
	var st Status
	b, err := os.ReadFile(filepath.Join(dir, FileStatus))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("experiment: %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("experiment: %s: %w", filepath.Join(dir, FileStatus), err)
	}
	return st, nil
}

// done says whether dir holds a finished run: status done and a summary.
func done(dir string) bool {
	st, err := readStatus(dir)
	if err != nil || st.State != StateDone {
		return false
	}
	_, err = os.Stat(filepath.Join(dir, FileSummary))
	return err == nil
}

// State returns the recorded state of a run in the store.
func (s *Store) State(r *Run) string {
	dir := s.Dir(r)
	st, err := readStatus(dir)
	if err != nil {
		return StateFailed
	}
	return s.derive(dir, st)
}

func (s *Store) derive(dir string, st Status) string {
	if st.State == StateDone && !done(dir) {
		return StateInterrupted
	}
	if st.State != StateRunning {
		return st.State
	}
	c, err := readClaim(dir)
	if err != nil || s.stale(dir, c) {
		return StateInterrupted
	}
	return StateRunning
}

func readClaim(dir string) (Claim, error) {
	var c Claim
	b, err := os.ReadFile(filepath.Join(dir, FileClaim))
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("experiment: claim %s: %w", dir, err)
	}
	return c, nil
}

// stale says whether a claim may be taken over.
func (s *Store) stale(dir string, c Claim) bool {
	if c.Host == s.host() && c.PID > 0 && !alive(c.PID) {
		return true
	}
	fi, err := os.Stat(filepath.Join(dir, FileClaim))
	if err != nil {
		return true
	}
	return time.Since(fi.ModTime()) > s.ttl()
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// ErrClaimed says another live process holds a run.
var ErrClaimed = errors.New("experiment: run claimed by another process")

// claim takes the run directory's claim, taking over a stale one. The
// returned release removes it; heartbeat refreshes it.
func (s *Store) claim(dir string) (release func(), heartbeat func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("experiment: %w", err)
	}
	p := filepath.Join(dir, FileClaim)
	me, _ := json.Marshal(Claim{Host: s.host(), PID: os.Getpid(), Since: time.Now().UTC()})
	for attempt := 0; attempt < 3; attempt++ {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.Write(me)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(p)
				return nil, nil, fmt.Errorf("experiment: claim: %w", werr)
			}
			release = func() { os.Remove(p) }
			heartbeat = func() { now := time.Now(); os.Chtimes(p, now, now) }
			return release, heartbeat, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, nil, fmt.Errorf("experiment: claim: %w", err)
		}
		c, rerr := readClaim(dir)
		if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			// A claim being written right now reads empty; give it a moment.
			time.Sleep(20 * time.Millisecond)
			c, rerr = readClaim(dir)
		}
		if rerr == nil && !s.stale(dir, c) {
			return nil, nil, fmt.Errorf("%w (%s pid %d since %s)", ErrClaimed, c.Host, c.PID, c.Since.Format(time.RFC3339))
		}
		if errors.Is(rerr, fs.ErrNotExist) {
			continue // released meanwhile
		}
		if err := s.takeOver(dir, p); err != nil {
			return nil, nil, err
		}
	}
	return nil, nil, fmt.Errorf("%w (contended)", ErrClaimed)
}

// takeOver removes a stale claim under a second, exclusive "takeover" lock,
// so that two processes that both saw it stale cannot remove a fresh claim
// the other has just made.
func (s *Store) takeOver(dir, p string) error {
	lock := p + ".takeover"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if fi, serr := os.Stat(lock); serr == nil && time.Since(fi.ModTime()) > s.ttl() {
			os.Remove(lock) // left by a process killed mid-takeover
		}
		return fmt.Errorf("%w (being taken over)", ErrClaimed)
	}
	f.Close()
	defer os.Remove(lock)
	c, err := readClaim(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil // released meanwhile
	case err != nil:
		// Unreadable: its writer died between creating and writing it, or
		// is still writing. Only an old one is taken over.
		if fi, serr := os.Stat(p); serr == nil && time.Since(fi.ModTime()) < min(s.ttl(), 10*time.Second) {
			return fmt.Errorf("%w (claim being written)", ErrClaimed)
		}
	case !s.stale(dir, c):
		return fmt.Errorf("%w (%s pid %d)", ErrClaimed, c.Host, c.PID)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("experiment: removing stale claim: %w", err)
	}
	return nil
}

// writeJSON writes v as indented JSON, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("experiment: %s: %w", path, err)
	}
	return writeAtomic(path, append(b, '\n'))
}

// ConfigTOML renders a run as a one-run experiment file: running it again
// computes the same run (same identity).
func ConfigTOML(r *Run) ([]byte, error) {
	var m map[string]any
	if _, err := toml.Decode(string(r.Config), &m); err != nil {
		return nil, fmt.Errorf("experiment: canonical settings: %w", err)
	}
	m["study"] = r.Study
	m["name"] = r.Sweep
	m["seeds"] = []int64{r.Seed}
	if len(r.Plugins) > 0 {
		ps := map[string]any{}
		for _, p := range r.Plugins {
			t := map[string]any{"use": p.Use, "trust": p.Trust}
			if len(p.Params) > 0 {
				t["params"] = p.Params
			}
			ps[p.Slot] = t
		}
		m["plugins"] = ps
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# ablate run %s (%s, %s)\n", r.ID, r.Sweep, r.Label())
	if err := toml.NewEncoder(&buf).Encode(m); err != nil {
		return nil, fmt.Errorf("experiment: config: %w", err)
	}
	return buf.Bytes(), nil
}

// LockTOML renders plugins.lock: each plugin's slot, kind, reference,
// source and digest.
func LockTOML(r *Run) ([]byte, error) {
	type entry struct {
		Slot   string `toml:"slot"`
		Kind   string `toml:"kind"`
		Use    string `toml:"use"`
		Source string `toml:"source"`
		Digest string `toml:"digest"`
		Trust  string `toml:"trust"`
	}
	var l struct {
		Plugin []entry `toml:"plugin"`
	}
	for _, p := range r.Plugins {
		l.Plugin = append(l.Plugin, entry{p.Slot, p.Kind, p.Use, p.Source, p.Digest, p.Trust})
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(l); err != nil {
		return nil, fmt.Errorf("experiment: plugins.lock: %w", err)
	}
	return buf.Bytes(), nil
}

// List reads every run directory under the root, sorted by study, sweep
// and index. Unreadable directories are skipped and reported in the error,
// after the readable ones are returned.
func (s *Store) List() ([]Record, error) {
	var out []Record
	var errs []error
	studies, err := os.ReadDir(s.Root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	for _, st := range studies {
		if !st.IsDir() {
			continue
		}
		runs, err := os.ReadDir(filepath.Join(s.Root, st.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, r := range runs {
			if !r.IsDir() {
				continue
			}
			dir := filepath.Join(s.Root, st.Name(), r.Name())
			rec, err := s.Read(dir)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			out = append(out, rec)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Meta, out[j].Meta
		if a.Study != b.Study {
			return a.Study < b.Study
		}
		if a.Sweep != b.Sweep {
			return a.Sweep < b.Sweep
		}
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		return a.ID < b.ID
	})
	return out, errors.Join(errs...)
}

// Read reads one run directory.
func (s *Store) Read(dir string) (Record, error) {
	rec := Record{Dir: dir}
	b, err := os.ReadFile(filepath.Join(dir, FileMeta))
	if err != nil {
		return rec, fmt.Errorf("experiment: %w", err)
	}
	if err := json.Unmarshal(b, &rec.Meta); err != nil {
		return rec, fmt.Errorf("experiment: %s: %w", filepath.Join(dir, FileMeta), err)
	}
	rec.Status, err = readStatus(dir)
	if err != nil {
		return rec, err
	}
	rec.State = s.derive(dir, rec.Status)
	if rec.State == StateDone {
		b, err := os.ReadFile(filepath.Join(dir, FileSummary))
		if err != nil {
			return rec, fmt.Errorf("experiment: %w", err)
		}
		if err := json.Unmarshal(b, &rec.Summary); err != nil {
			return rec, fmt.Errorf("experiment: %s: %w", filepath.Join(dir, FileSummary), err)
		}
	}
	return rec, nil
}

// Find returns the run whose directory name or ID starts with prefix, or
// an error when none or several do.
func (s *Store) Find(prefix string) (Record, error) {
	if p := filepath.Join(prefix, FileMeta); fileExists(p) {
		return s.Read(prefix)
	}
	recs, err := s.List()
	if err != nil && len(recs) == 0 {
		return Record{}, err
	}
	var hits []Record
	for _, r := range recs {
		if strings.HasPrefix(r.Meta.ID, prefix) {
			hits = append(hits, r)
		}
	}
	switch len(hits) {
	case 0:
		return Record{}, fmt.Errorf("experiment: no run %q under %s", prefix, s.Root)
	case 1:
		return hits[0], nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.Meta.ID[:12]
	}
	return Record{}, fmt.Errorf("experiment: run %q is ambiguous: %s", prefix, strings.Join(ids, ", "))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// Metrics reads a run's metrics.jsonl: one map per line, "step" included.
// The strings "NaN", "+Inf" and "-Inf" become those floats.
func Metrics(dir string) ([]map[string]float64, error) {
	b, err := os.ReadFile(filepath.Join(dir, FileMetrics))
	if err != nil {
		return nil, fmt.Errorf("experiment: %w", err)
	}
	var out []map[string]float64
	for i, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal(line, &raw); err != nil {
			// a run killed mid-line leaves a torn last line: stop there
			return out, fmt.Errorf("experiment: %s line %d: %w", filepath.Join(dir, FileMetrics), i+1, err)
		}
		m := make(map[string]float64, len(raw))
		for k, v := range raw {
			switch x := v.(type) {
			case float64:
				m[k] = x
			case string:
				if f, err := strconv.ParseFloat(x, 64); err == nil {
					m[k] = f
				}
			}
		}
		out = append(out, m)
	}
	return out, nil
}
