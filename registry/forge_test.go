package registry

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
)

// forge writes a signed artifact bypassing Publish's checks, as an attacker
// with write access to the registry could: its config is the manifest JSON
// in wasm (after the header).
func (c *Client) forge(ctx context.Context, repo Repo, wasm []byte, version string, k Key) (string, error) {
	return c.forgeRaw(ctx, repo, wasm, MediaTypeWasm, wasm[8:], version, k)
}

func (c *Client) forgeRaw(ctx context.Context, repo Repo, layer []byte, layerType string, cfg []byte, version string, k Key) (string, error) {
	cd, err := pushBlob(ctx, repo, MediaTypeConfig, cfg)
	if err != nil {
		return "", err
	}
	ld, err := pushBlob(ctx, repo, layerType, layer)
	if err != nil {
		return "", err
	}
	md, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "", oras.PackManifestOptions{ConfigDescriptor: &cd, Layers: []ocispec.Descriptor{ld}})
	if err != nil {
		return "", fmt.Errorf("forge: %w", err)
	}
	if err := c.sign(ctx, repo, md.Digest.String(), version, k); err != nil {
		return "", err
	}
	return md.Digest.String(), repo.Tag(ctx, md, version)
}
