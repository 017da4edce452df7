package data

import (
	"os"
	"path/filepath"
)

// Location says where a named data set was found, or why it was not.
type Location struct {
	Name string
	Path string // the directory or file found; empty if Err is set
	Err  error  // a *NotFoundError naming every place looked
}

// Names returns the data sets Locate and Load know, images first.
func Names() []string {
	return []string{"mnist", "fashion-mnist", "opticks", "fortunes", "go-source"}
}

// Locate finds every data set in Names by the default search (no explicit
// directories), without reading the data.
func Locate() []Location {
	var out []Location
	for _, n := range Names() {
		l := Location{Name: n}
		switch n {
		case "mnist":
			l.Path, l.Err = FindMNIST("")
		case "fashion-mnist":
			l.Path, l.Err = FindFashionMNIST("")
		case "opticks":
			p := OpticksPath(GOROOT())
			if fileExists(p) {
				l.Path = p
			} else {
				l.Err = &NotFoundError{Dataset: n, Looked: []string{p},
					Hint: "it ships with every Go toolchain; set $GOROOT to one (go env GOROOT)"}
			}
		case "fortunes":
			l.Path, l.Err = FindFortunes("")
		case "go-source":
			p := filepath.Join(GOROOT(), "src")
			if st, err := os.Stat(p); err == nil && st.IsDir() {
				l.Path = p
			} else {
				l.Err = &NotFoundError{Dataset: n, Looked: []string{p},
					Hint: "it ships with every Go toolchain; set $GOROOT to one (go env GOROOT)"}
			}
		}
		out = append(out, l)
	}
	return out
}

// Load reads a named data set in full and returns the digests of the files
// read: the test split for image sets, the whole corpus for text.
func Load(name string) ([]Digest, error) {
	switch name {
	case "mnist", "fashion-mnist":
		d, err := LoadImages(name, Test, "")
		if err != nil {
			return nil, err
		}
		tr, err := LoadImages(name, Train, "")
		if err != nil {
			return nil, err
		}
		return append(tr.Digests, d.Digests...), nil
	}
	t, err := LoadText(name, "")
	if err != nil {
		return nil, err
	}
	return t.Digests, nil
}
