package ood

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ablate-ml/ablate/core/nn"
	"github.com/ablate-ml/ablate/core/tensor"
)

// flowKey identifies a trained flow: everything that decides its
// parameters, the build's matrix products included (builds sum in different
// orders, so a flow trained by one is not the flow another would train).
// Runs that differ only in how the flow is evaluated (OOD sets, B,
// estimator) share it.
func flowKey(s *Settings, seed int64, version string) string {
	b, _ := json.Marshal(struct {
		V     string
		In    string
		Train int
		Model any
		Opt   any
		Seed  int64
		BLAS  string
	}{version, s.Data.In, s.Data.Train, modelKey(s), struct {
		Steps, Batch int
		LR, Clip     float64
	}{s.Train.Steps, s.Train.Batch, s.Train.LR, s.Train.Clip}, seed, tensor.Backend})
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
	if err := nn.WriteFlat(path, f.Params()); err != nil {
		return fmt.Errorf("ood: save flow: %w", err)
	}
	return nil
}

// loadParams reads parameters saveParams wrote into f; it fails, saying
// so, when the file's size does not match f.
func loadParams(path string, f Model) error {
	if err := nn.ReadFlat(path, f.Params()); err != nil {
		return fmt.Errorf("ood: load flow: %w", err)
	}
	return nil
}
