package registry

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// privateKeyHeader starts a private key file: "ablate-ed25519-private NAME BASE64-SEED".
const privateKeyHeader = "ablate-ed25519-private"

// Key is a named signing key.
type Key struct {
	Name    string
	Private ed25519.PrivateKey
}

// Public returns the trusted-keys line for k: "NAME BASE64-PUBLIC-KEY".
func (k Key) Public() string {
	return k.Name + " " + base64.StdEncoding.EncodeToString(k.Private.Public().(ed25519.PublicKey))
}

// GenerateKey makes a key from rand (crypto/rand.Reader in the CLI; a
// seeded reader in tests).
func GenerateKey(name string, rand io.Reader) (Key, error) {
	if err := validKeyName(name); err != nil {
		return Key{}, err
	}
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return Key{}, fmt.Errorf("registry: generate key: %w", err)
	}
	return Key{Name: name, Private: priv}, nil
}

func validKeyName(name string) error {
	if name == "" || strings.ContainsAny(name, " \t\r\n#") || len(name) > 64 {
		return fmt.Errorf("%w: key name %q must be 1-64 characters with no spaces or '#'", ErrKey, name)
	}
	return nil
}

// MarshalPrivate returns the private key file's contents.
func (k Key) MarshalPrivate() []byte {
	return []byte(privateKeyHeader + " " + k.Name + " " + base64.StdEncoding.EncodeToString(k.Private.Seed()) + "\n")
}

// WriteKey writes the private key to path (mode 0600), refusing to overwrite.
func WriteKey(path string, k Key) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("registry: key %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("registry: key %s: %w", path, err)
	}
	if _, err := f.Write(k.MarshalPrivate()); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("registry: key %s: %w", path, err)
	}
	return f.Close()
}

// ReadKey reads a private key file written by WriteKey.
func ReadKey(path string) (Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("registry: key: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 3 || f[0] != privateKeyHeader {
		return Key{}, fmt.Errorf("%w: %s is not an ablate private key (%q NAME BASE64)", ErrKey, path, privateKeyHeader)
	}
	seed, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil || len(seed) != ed25519.SeedSize {
		return Key{}, fmt.Errorf("%w: %s: the seed is not %d bytes of base64", ErrKey, path, ed25519.SeedSize)
	}
	return Key{Name: f[1], Private: ed25519.NewKeyFromSeed(seed)}, nil
}

// TrustedKey is one line of the trusted keys file.
type TrustedKey struct {
	Name   string
	Public ed25519.PublicKey
}

// DefaultTrustedKeysPath is $ABLATE_TRUSTED_KEYS or
// <os.UserConfigDir>/ablate/trusted_keys.
func DefaultTrustedKeysPath() string {
	if v := os.Getenv("ABLATE_TRUSTED_KEYS"); v != "" {
		return v
	}
	d, err := os.UserConfigDir()
	if err != nil {
		d = "."
	}
	return filepath.Join(d, "ablate", "trusted_keys")
}

// ParseTrustedKeys parses "NAME BASE64-PUBLIC-KEY" lines; blank lines and
// lines starting with '#' are skipped. file names the source in errors.
func ParseTrustedKeys(file string, b []byte) ([]TrustedKey, error) {
	var keys []TrustedKey
	sc := bufio.NewScanner(bytes.NewReader(b))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		f := strings.Fields(s)
		if len(f) != 2 {
			return nil, fmt.Errorf("%w: %s:%d: want \"NAME BASE64-PUBLIC-KEY\"", ErrKey, file, line)
		}
		pub, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: %s:%d: key %q is not %d bytes of base64", ErrKey, file, line, f[0], ed25519.PublicKeySize)
		}
		keys = append(keys, TrustedKey{Name: f[0], Public: pub})
	}
	return keys, sc.Err()
}

// ReadTrustedKeys reads the trusted keys file; a missing file is no keys.
func ReadTrustedKeys(path string) ([]TrustedKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry: trusted keys: %w", err)
	}
	return ParseTrustedKeys(path, b)
}
