package data

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Text is a byte-level corpus: the bytes of one or more documents laid end
// to end, with the offset where each document starts.
type Text struct {
	Name    string
	Bytes   []byte
	Docs    []int    // start offset of each document; Docs[0] == 0
	Digests []Digest // the files read
}

// Len returns the number of bytes.
func (t *Text) Len() int { return len(t.Bytes) }

// OpticksPath returns the path of Isaac Newton's Opticks in a Go toolchain.
func OpticksPath(goroot string) string {
	return filepath.Join(goroot, "src", "testdata", "Isaac.Newton-Opticks.txt")
}

// Opticks loads Isaac Newton's Opticks (Project Gutenberg, 567 KB), which
// every Go toolchain ships at src/testdata/Isaac.Newton-Opticks.txt. An empty
// goroot means GOROOT().
func Opticks(goroot string) (*Text, error) {
	if goroot == "" {
		goroot = GOROOT()
	}
	p := OpticksPath(goroot)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, &NotFoundError{Dataset: "opticks", Looked: []string{p + ": " + err.Error()},
			Hint: "it ships with every Go toolchain; set $GOROOT to one (go env GOROOT)"}
	}
	return &Text{Name: "opticks", Bytes: b, Docs: []int{0}, Digests: []Digest{digestBytes(p, b)}}, nil
}

func digestBytes(path string, b []byte) Digest {
	s := sha256.Sum256(b)
	return Digest{Path: path, SHA256: hex.EncodeToString(s[:])}
}

// FortuneFiles returns the plain-text fortune files in dir, sorted: regular
// files only (no .dat or .u8 indexes, no symbolic links, no directories).
func FortuneFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if !e.Type().IsRegular() || strings.HasSuffix(n, ".dat") || strings.HasSuffix(n, ".u8") || strings.HasPrefix(n, ".") {
			continue
		}
		out = append(out, filepath.Join(dir, n))
	}
	sort.Strings(out)
	return out, nil
}

// FindFortunes returns the directory of Debian's fortune files: dir alone
// if given, else $ABLATE_DATA/fortunes, then /usr/share/games/fortunes.
func FindFortunes(dir string) (string, error) {
	var cands []string
	if dir != "" {
		cands = []string{dir}
	} else {
		if e := os.Getenv(EnvData); e != "" {
			cands = append(cands, filepath.Join(e, "fortunes"))
		} else {
			cands = append(cands, "")
		}
		cands = append(cands, FortunesDir)
	}
	nf := &NotFoundError{Dataset: "fortunes", Hint: "get it with: apt-get install fortunes (Debian)"}
	for _, d := range cands {
		if d == "" {
			nf.Looked = append(nf.Looked, "$"+EnvData+" (unset)")
			continue
		}
		files, err := FortuneFiles(d)
		if err == nil && len(files) > 0 {
			return d, nil
		}
		why := "no plain-text fortune files"
		if err != nil {
			why = err.Error()
		}
		nf.Looked = append(nf.Looked, d+": "+why)
	}
	return "", nf
}

// Fortunes loads Debian's fortune cookies: every plain-text file of the
// directory FindFortunes(dir) returns, in name order, each cookie a
// document. The "%" lines separating cookies are dropped; each cookie keeps
// its own text and final newline.
func Fortunes(dir string) (*Text, error) {
	d, err := FindFortunes(dir)
	if err != nil {
		return nil, err
	}
	files, err := FortuneFiles(d)
	if err != nil {
		return nil, fmt.Errorf("data: fortunes: %w", err)
	}
	t := &Text{Name: "fortunes"}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("data: fortunes: %w", err)
		}
		t.Digests = append(t.Digests, digestBytes(f, b))
		for _, c := range splitCookies(b) {
			t.Docs = append(t.Docs, len(t.Bytes))
			t.Bytes = append(t.Bytes, c...)
		}
	}
	return t, nil
}

// splitCookies splits a fortune file at its "%" lines, dropping empty cookies.
func splitCookies(b []byte) [][]byte {
	var out [][]byte
	var cur []byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), len(b)+1)
	flush := func() {
		if len(bytes.TrimSpace(cur)) > 0 {
			out = append(out, cur)
		}
		cur = nil
	}
	for sc.Scan() {
		line := sc.Bytes()
		if string(line) == "%" {
			flush()
			continue
		}
		cur = append(cur, line...)
		cur = append(cur, '\n')
	}
	flush()
	return out
}

// GoSource loads the Go standard library's sources, GOROOT/src/**/*.go in
// lexical path order, skipping testdata and vendor directories, each file a
// document, stopping before the file that would take the corpus past limit
// bytes (limit <= 0: no limit). An empty goroot means GOROOT(). Its single
// Digest covers every path and content read, in order.
func GoSource(goroot string, limit int) (*Text, error) {
	if goroot == "" {
		goroot = GOROOT()
	}
	root := filepath.Join(goroot, "src")
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, &NotFoundError{Dataset: "go-source", Looked: []string{root},
			Hint: "it ships with every Go toolchain; set $GOROOT to one (go env GOROOT)"}
	}
	t := &Text{Name: "go-source"}
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if n := e.Name(); n == "testdata" || n == "vendor" {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if limit > 0 && len(t.Bytes)+len(b) > limit {
			return fs.SkipAll
		}
		rel, _ := filepath.Rel(root, p)
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.ToSlash(rel), len(b))
		h.Write(b)
		t.Docs = append(t.Docs, len(t.Bytes))
		t.Bytes = append(t.Bytes, b...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("data: go-source: %w", err)
	}
	if len(t.Docs) == 0 {
		return nil, fmt.Errorf("data: go-source: no .go file under %s fits in %d bytes", root, limit)
	}
	t.Digests = []Digest{{Path: filepath.Join(root, "**", "*.go"), SHA256: hex.EncodeToString(h.Sum(nil))}}
	return t, nil
}

// LoadText loads a named corpus: "opticks", "fortunes" or "go-source" (the
// whole standard library; use GoSource for a size limit). dir is the
// fortunes directory or the GOROOT; empty means the default.
func LoadText(name, dir string) (*Text, error) {
	switch name {
	case "opticks":
		return Opticks(dir)
	case "fortunes":
		return Fortunes(dir)
	case "go-source", "go":
		return GoSource(dir, 0)
	}
	return nil, fmt.Errorf("data: unknown text corpus %q (want opticks, fortunes or go-source)", name)
}

// Split cuts the corpus in two contiguous parts: the first holds about
// 1-validFrac of the bytes, the second the rest. With several documents the
// cut falls on the first document start at or after the byte position, so
// no document is shared. It panics if validFrac is outside [0, 1].
func (t *Text) Split(validFrac float64) (train, valid *Text) {
	if !(validFrac >= 0 && validFrac <= 1) {
		panic(fmt.Sprintf("data: Text.Split with validFrac %v outside [0, 1]", validFrac))
	}
	cut := int(float64(len(t.Bytes))*(1-validFrac) + 0.5)
	if len(t.Docs) > 1 {
		k := sort.SearchInts(t.Docs, cut)
		cut = len(t.Bytes)
		if k < len(t.Docs) {
			cut = t.Docs[k]
		}
	}
	return t.slice("/train", 0, cut), t.slice("/valid", cut, len(t.Bytes))
}

func (t *Text) slice(suffix string, lo, hi int) *Text {
	s := &Text{Name: t.Name + suffix, Bytes: t.Bytes[lo:hi:hi], Digests: t.Digests}
	for _, d := range t.Docs {
		if d >= lo && d < hi {
			s.Docs = append(s.Docs, d-lo)
		}
	}
	if len(s.Docs) == 0 || s.Docs[0] != 0 {
		s.Docs = append([]int{0}, s.Docs...)
	}
	return s
}

// Sample returns b windows of length bytes starting at uniform random
// offsets drawn from rng. The windows are views into t.Bytes. It panics if
// the corpus is shorter than length.
func (t *Text) Sample(rng *rand.Rand, b, length int) [][]byte {
	if length <= 0 || length > len(t.Bytes) {
		panic(fmt.Sprintf("data: Text.Sample of %d-byte windows from %d bytes", length, len(t.Bytes)))
	}
	out := make([][]byte, b)
	for i := range out {
		s := rng.IntN(len(t.Bytes) - length + 1)
		out[i] = t.Bytes[s : s+length : s+length]
	}
	return out
}

// Chunks returns the corpus cut into consecutive non-overlapping windows of
// length bytes, dropping a short tail: the windows to evaluate on.
func (t *Text) Chunks(length int) [][]byte {
	if length <= 0 {
		panic(fmt.Sprintf("data: Text.Chunks with length %d", length))
	}
	var out [][]byte
	for s := 0; s+length <= len(t.Bytes); s += length {
		out = append(out, t.Bytes[s:s+length:s+length])
	}
	return out
}

// TokensTo writes the windows' bytes as int32 tokens into dst, row after
// row, and returns the filled prefix. It panics if dst is too short.
func TokensTo(dst []int32, windows [][]byte) []int32 {
	n := 0
	for _, w := range windows {
		n += len(w)
	}
	if len(dst) < n {
		panic(fmt.Sprintf("data: TokensTo: dst has %d elements, windows need %d", len(dst), n))
	}
	k := 0
	for _, w := range windows {
		for _, c := range w {
			dst[k] = int32(c)
			k++
		}
	}
	return dst[:n]
}
