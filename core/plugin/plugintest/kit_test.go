package plugintest

import (
	"context"
	"strings"
	"testing"
)

// The kit passes the host's own test plugins.
func TestKitPassesGoodPlugins(t *testing.T) {
	for _, dir := range []string{"judge", "bias", "discount", "estimator"} {
		t.Run(dir, func(t *testing.T) { RunDir(t, "../testdata/"+dir) })
	}
}

// The kit catches a judge that writes NaN and one that traps; both are
// the bad test plugin, whose misbehaviour is triggered by prompt token 13
// (the kit's golden pair starts with it).
func TestKitCatchesBadPlugins(t *testing.T) {
	for _, mode := range []string{"nan", "exit-mid-batch"} {
		t.Run(mode, func(t *testing.T) {
			path := buildBad(t)
			r := Check(context.Background(), path, WithParams(map[string]any{"mode": mode}))
			if !r.Failed() {
				t.Fatalf("the kit passed a %s judge:\n%s", mode, r)
			}
			if !strings.Contains(r.String(), "FAIL judge: one pair") {
				t.Errorf("report does not name a judge check:\n%s", r)
			}
		})
	}
}
