package plugin

import (
	"context"
	"testing"

	"github.com/ablate-ml/ablate/sdk/abi"
)

func TestJudgeRoundTrip(t *testing.T) {
	ctx := context.Background()
	p := mustLoad(t, "judge", Config{Kind: abi.KindJudge, Params: map[string]any{"sign": 1}})
	if p.Name() != "test-judge" || p.Manifest().Kind != abi.KindJudge {
		t.Fatalf("name %q kind %q", p.Name(), p.Manifest().Kind)
	}
	if got, want := string(p.Params()), `{"sign":1,"noise":0,"say":""}`; got != want {
		t.Errorf("params %s, want %s", got, want)
	}
	j, err := NewJudge(p)
	if err != nil {
		t.Fatal(err)
	}
	g := sample()
	out := make([]float64, g.Candidates())
	if err := j.Judge(ctx, out, g); err != nil {
		t.Fatal(err)
	}
	for c := range out {
		if want := float64(g.CandOff[c+1] - g.CandOff[c]); out[c] != want {
			t.Errorf("score[%d] = %v, want %v", c, out[c], want)
		}
	}
}
