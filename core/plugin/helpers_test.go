package plugin

import (
	"bytes"
	"context"
	"os"
	"sync"
	"testing"

	"github.com/ablate-ml/ablate/sdk/plugintest"
)

// wasmOf builds testdata/<name> once per test binary and returns its bytes.
func wasmOf(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(plugintest.Build(t, "testdata/"+name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func mustLoad(t testing.TB, name string, cfg Config) *Plugin {
	t.Helper()
	p, err := Load(context.Background(), wasmOf(t, name), cfg)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

// sample is 3 groups: 2, 3 and 2 candidates of lengths 1..4.
func sample() Groups {
	return Groups{
		PromptTok: []int32{1, 2, 3, 4},
		PromptOff: []int32{0, 1, 3, 4},
		CandTok:   []int32{5, 6, 6, 7, 7, 7, 1, 2, 3, 4, 9, 9, 9, 7},
		CandOff:   []int32{0, 1, 3, 6, 10, 11, 12, 14},
		GroupOff:  []int32{0, 2, 5, 7},
	}
}
