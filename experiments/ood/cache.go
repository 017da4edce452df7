package ood

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// flowKey identifies a trained flow: everything that decides its
// parameters. Runs that differ only in how the flow is evaluated (OOD
// sets, B, estimator) share it.
func flowKey(s *Settings, seed int64, version string) string {
	b, _ := json.Marshal(struct {
		V     string
		In    string
		Train int
		Model any
		Opt   any
		Seed  int64
	}{version, s.Data.In, s.Data.Train, modelKey(s), struct {
		Steps, Batch int
		LR, Clip     float64
	}{s.Train.Steps, s.Train.Batch, s.Train.LR, s.Train.Clip}, seed})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

// modelKey is the model's part of flowKey; a flow's spelling predates the
// VAE and is kept so that cached flows stay valid.
func modelKey(s *Settings) any {
	if s.Model.Kind == "vae" {
		return struct {
			Kind           string
			Hidden, Latent int
			Alpha          float64
		}{s.Model.Kind, s.Model.Hidden, s.Model.Latent, s.Model.Alpha}
	}
	return struct {
		Couplings, Hidden int
		Alpha             float64
	}{s.Model.Couplings, s.Model.Hidden, s.Model.Alpha}
}

// flowCacheDir is where trained flows are kept between runs.
func flowCacheDir() (string, error) {
	if d := os.Getenv("ABLATE_OOD_CACHE"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("ood: flow cache: %w", err)
	}
	return filepath.Join(d, "ablate", "ood-flows"), nil
}

// saveParams writes the flow's parameters, little-endian float64,
// atomically.
func saveParams(path string, f Model) error {
	buf := make([]byte, 0, 8*f.NumParams())
	for _, p := range f.Params() {
		for _, v := range p {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("ood: save flow: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".flow-*")
	if err != nil {
		return fmt.Errorf("ood: save flow: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf); err != nil {
		tmp.Close()
		return fmt.Errorf("ood: save flow: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("ood: save flow: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("ood: save flow: %w", err)
	}
	return nil
}

// loadParams reads parameters saveParams wrote into f; it fails, saying
// so, when the file's size does not match f.
func loadParams(path string, f Model) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("ood: load flow: %w", err)
	}
	if len(b) != 8*f.NumParams() {
		return fmt.Errorf("ood: load flow %s: %d bytes, want %d for %d parameters", path, len(b), 8*f.NumParams(), f.NumParams())
	}
	for _, p := range f.Params() {
		for i := range p {
			p[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
		}
	}
	return nil
}
