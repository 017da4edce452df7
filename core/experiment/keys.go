package experiment

import (
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
)

// keyString renders a key path the way TOML writes it: bare parts as they
// are, other parts quoted, joined by dots.
func keyString(parts []string) string { return toml.Key(parts).String() }

// parseKey splits a dotted TOML key ("a.b", `a."b.c"`, `'x y'.z`) into parts.
func parseKey(s string) ([]string, error) {
	p := &scanner{src: s}
	parts, err := p.key()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.src) {
		return nil, fmt.Errorf("unexpected %q after key", p.src[p.i:])
	}
	return parts, nil
}

// positions maps each key of a TOML document (as keyString of its full path;
// elements of arrays of tables are numbered "a.0.b") to the 1-based line where
// it is defined. It runs only on documents the toml package has already
// parsed, and gives up quietly on anything it does not understand: a missing
// position only costs an error message its line number.
func positions(src string) map[string]int {
	p := &scanner{src: src, line: 1}
	out := map[string]int{}
	counts := map[string]int{}
	var table []string
	defer func() { _ = recover() }() // a position table is best effort
	for last := -1; ; {
		p.skipBlank()
		if p.i >= len(p.src) || p.i == last {
			return out
		}
		last = p.i
		switch {
		case strings.HasPrefix(p.src[p.i:], "[["):
			p.i += 2
			k, err := p.key()
			if err != nil {
				return out
			}
			p.space()
			if !strings.HasPrefix(p.src[p.i:], "]]") {
				return out
			}
			p.i += 2
			ks := keyString(k)
			n := counts[ks]
			counts[ks] = n + 1
			table = append(append([]string{}, k...), fmt.Sprint(n))
			setPos(out, k, p.line)
			setPos(out, table, p.line)
		case p.src[p.i] == '[':
			p.i++
			k, err := p.key()
			if err != nil {
				return out
			}
			p.space()
			if p.i >= len(p.src) || p.src[p.i] != ']' {
				return out
			}
			p.i++
			table = k
			setPos(out, k, p.line)
		default:
			if !p.keyValue(table, out) {
				return out
			}
		}
	}
}

// setPos records the line of every prefix of k not yet known.
func setPos(out map[string]int, k []string, line int) {
	for i := 1; i <= len(k); i++ {
		s := keyString(k[:i])
		if _, ok := out[s]; !ok {
			out[s] = line
		}
	}
}

type scanner struct {
	src  string
	i    int
	line int
}

func (p *scanner) space() {
	for p.i < len(p.src) && (p.src[p.i] == ' ' || p.src[p.i] == '\t') {
		p.i++
	}
}

// skipBlank skips spaces, newlines and comments.
func (p *scanner) skipBlank() {
	for p.i < len(p.src) {
		switch c := p.src[p.i]; {
		case c == ' ' || c == '\t' || c == '\r':
			p.i++
		case c == '\n':
			p.i++
			p.line++
		case c == '#':
			for p.i < len(p.src) && p.src[p.i] != '\n' {
				p.i++
			}
		default:
			return
		}
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// key reads a dotted key.
func (p *scanner) key() ([]string, error) {
	var parts []string
	for {
		p.space()
		if p.i >= len(p.src) {
			return nil, fmt.Errorf("missing key")
		}
		switch c := p.src[p.i]; {
		case c == '"' || c == '\'':
			s, err := p.str()
			if err != nil {
				return nil, err
			}
			parts = append(parts, s)
		case isBare(c):
			j := p.i
			for p.i < len(p.src) && isBare(p.src[p.i]) {
				p.i++
			}
			parts = append(parts, p.src[j:p.i])
		default:
			return nil, fmt.Errorf("unexpected %q in key", c)
		}
		p.space()
		if p.i < len(p.src) && p.src[p.i] == '.' {
			p.i++
			continue
		}
		return parts, nil
	}
}

// str reads a single-line basic or literal string and returns its value.
func (p *scanner) str() (string, error) {
	q := p.src[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), nil
		case c == '\n':
			return "", fmt.Errorf("unterminated string")
		case c == '\\' && q == '"' && p.i+1 < len(p.src):
			p.i++
			switch e := p.src[p.i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'u', 'U':
				n := 4
				if e == 'U' {
					n = 8
				}
				if p.i+n >= len(p.src) {
					return "", fmt.Errorf("bad escape")
				}
				var r rune
				if _, err := fmt.Sscanf(p.src[p.i+1:p.i+1+n], "%x", &r); err != nil {
					return "", fmt.Errorf("bad escape")
				}
				b.WriteRune(r)
				p.i += n
			default:
				b.WriteByte(e)
			}
			p.i++
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", fmt.Errorf("unterminated string")
}

// keyValue reads `key = value` inside table, recording positions.
func (p *scanner) keyValue(table []string, out map[string]int) bool {
	k, err := p.key()
	if err != nil {
		return false
	}
	p.space()
	if p.i >= len(p.src) || p.src[p.i] != '=' {
		return false
	}
	p.i++
	full := append(append([]string{}, table...), k...)
	setPos(out, full, p.line)
	p.space()
	return p.value(full, out)
}

// value skips one value, recording the keys of inline tables it contains.
func (p *scanner) value(at []string, out map[string]int) bool {
	if p.i >= len(p.src) {
		return false
	}
	switch c := p.src[p.i]; c {
	case '"', '\'':
		q := strings.Repeat(string(c), 3)
		if strings.HasPrefix(p.src[p.i:], q) {
			p.i += 3
			for p.i < len(p.src) {
				if p.src[p.i] == '\\' && c == '"' {
					if p.i+1 < len(p.src) && p.src[p.i+1] == '\n' {
						p.line++
					}
					p.i += 2
					continue
				}
				if strings.HasPrefix(p.src[p.i:], q) {
					p.i += 3
					for p.i < len(p.src) && p.src[p.i] == c { // up to two extra quotes belong to the string
						p.i++
					}
					return true
				}
				if p.src[p.i] == '\n' {
					p.line++
				}
				p.i++
			}
			return false
		}
		_, err := p.str()
		return err == nil
	case '[':
		p.i++
		for n, last := 0, -1; ; n++ {
			p.skipBlank()
			if p.i >= len(p.src) || p.i == last {
				return false
			}
			last = p.i
			if p.src[p.i] == ']' {
				p.i++
				return true
			}
			if !p.value(append(append([]string{}, at...), fmt.Sprint(n)), out) {
				return false
			}
			p.skipBlank()
			if p.i < len(p.src) && p.src[p.i] == ',' {
				p.i++
			}
		}
	case '{':
		p.i++
		for last := -1; ; {
			p.skipBlank()
			if p.i >= len(p.src) || p.i == last {
				return false
			}
			last = p.i
			if p.src[p.i] == '}' {
				p.i++
				return true
			}
			if !p.keyValue(at, out) {
				return false
			}
			p.skipBlank()
			if p.i < len(p.src) && p.src[p.i] == ',' {
				p.i++
			}
		}
	default:
		for p.i < len(p.src) && !strings.ContainsRune(",]}\n# \t\r", rune(p.src[p.i])) {
			p.i++
		}
		return true
	}
}
