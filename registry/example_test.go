package registry_test

import (
	"fmt"

	"github.com/ablate-ml/ablate/registry"
)

func ExampleParseRef() {
	for _, s := range []string{"estimator/kde@^1.2", "judge/length", "../etc@1.0.0", "Estimator/KDE"} {
		ref, err := registry.ParseRef(s)
		if err != nil {
			fmt.Println("refused:", err)
			continue
		}
		fmt.Printf("name %s, range %q\n", ref.Name, ref.Range)
	}
	// Output:
	// name estimator/kde, range "^1.2"
	// name judge/length, range ""
	// refused: registry: invalid name "../etc": contains ".."
	// refused: registry: invalid name "Estimator/KDE": segment "Estimator" is not lowercase [a-z0-9][a-z0-9._-]*
}
