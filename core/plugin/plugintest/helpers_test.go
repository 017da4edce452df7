package plugintest

import (
	"testing"

	sdkplugintest "github.com/ablate-ml/ablate/sdk/plugintest"
)

func buildBad(t *testing.T) string { return sdkplugintest.Build(t, "../testdata/bad") }
