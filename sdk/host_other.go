//go:build !wasip1

package sdk

import (
	"errors"
	"fmt"
	"os"

	"github.com/ablate-ml/ablate/sdk/abi"
)

// Outside WebAssembly there is no host: logs go to stderr, the random
// stream and logprob are unavailable. This lets plugin code compile and its
// pure parts be tested natively.

func hostLog(level int32, msg string) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", abi.LevelName(level), msg)
}

func hostRandom(b []byte) {
	panic("sdk: the random stream exists only under the ablate host (GOOS=wasip1)")
}

func hostLogProb(model string, ctxTok, ctxOff, contTok, contOff []int32, out []float64) error {
	return errors.New("sdk: logprob exists only under the ablate host (GOOS=wasip1)")
}
