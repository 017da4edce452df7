package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDataCommand(t *testing.T) {
	t.Setenv("ABLATE_DATA", t.TempDir())
	t.Setenv("GOROOT", t.TempDir()) // no Opticks, no Go sources there
	var out, errOut bytes.Buffer
	err := runData(context.Background(), &env{stdout: &out, stderr: &errOut}, nil)
	if err == nil || !strings.Contains(err.Error(), "2 data set(s) missing") {
		t.Fatalf("err = %v with two corpora missing; stdout %q", err, out.String())
	}
	for _, want := range []string{"opticks        missing", "go-source      missing", "data: opticks not found; looked in:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	err = runData(context.Background(), &env{stdout: &out, stderr: &errOut}, []string{"extra"})
	if _, ok := err.(*usageError); !ok {
		t.Errorf("extra argument: err = %v, want a usage error", err)
	}
}
