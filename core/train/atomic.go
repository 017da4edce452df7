package train

import (
	"fmt"
	"os"

	"github.com/ablate-ml/ablate/internal/atomicfile"
)

// WriteFileAtomic writes data to path so that path holds either its old
// contents or all of data, whatever happens: it writes a temporary file in
// the same directory, syncs it, renames it over path, and syncs the
// directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := atomicfile.Write(path, data, perm); err != nil {
		return fmt.Errorf("train: atomic write %s: %w", path, err)
	}
	return nil
}
