package sdk

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/ablate-ml/ablate/sdk/abi"
)

type testParams struct {
	Rate   float64   `json:"rate" doc:"flip rate"`
	Steps  int64     `json:"steps" doc:"schedule length"`
	On     bool      `json:"on" doc:"switch"`
	Shape  string    `json:"shape" doc:"linear or cosine"`
	Tokens []int32   `json:"tokens" doc:"rewarded tokens"`
	Ws     []float64 `json:"ws" doc:"weights"`
	Hidden int       `json:"-"`
}

func (p testParams) Validate() error {
	if p.Rate < 0 || p.Rate > 1 {
		return errors.New("test: rate out of [0, 1]")
	}
	return nil
}

func TestBuildManifest(t *testing.T) {
	m, err := BuildManifest(Info{Name: "t", Version: "1.2.3", Description: "d"}, abi.KindBias,
		testParams{Rate: 0.1, Steps: 10, Shape: "linear", Ws: []float64{0.5}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	want := `{"abi":1,"name":"t","kind":"bias","version":"1.2.3","description":"d","params":[` +
		`{"name":"rate","type":"number","default":0.1,"doc":"flip rate"},` +
		`{"name":"steps","type":"integer","default":10,"doc":"schedule length"},` +
		`{"name":"on","type":"boolean","default":false,"doc":"switch"},` +
		`{"name":"shape","type":"string","default":"linear","doc":"linear or cosine"},` +
		`{"name":"tokens","type":"integers","default":[],"doc":"rewarded tokens"},` +
		`{"name":"ws","type":"numbers","default":[0.5],"doc":"weights"}]}`
	if string(b) != want {
		t.Errorf("manifest\n got %s\nwant %s", b, want)
	}
	if _, err := abi.ParseManifest(b); err != nil {
		t.Errorf("the host's parser refuses it: %v", err)
	}
	_, err = BuildManifest(Info{Name: "t", Version: "1.0.0"}, abi.KindJudge, struct {
		M map[string]int `json:"m"`
	}{})
	if err == nil || !strings.Contains(err.Error(), "parameter m: type map[string]int is not a parameter type") {
		t.Errorf("map parameter: err = %v", err)
	}
	if _, err := BuildManifest(Info{Name: "Bad Name", Version: "1.0.0"}, abi.KindJudge, nil); err == nil {
		t.Error("accepted a bad name")
	}
}

func TestDecode(t *testing.T) {
	def := testParams{Rate: 0.1, Shape: "linear"}
	p, err := decode(def, []byte(`{"rate":0.5,"tokens":[3,4]}`))
	if err != nil || p.Rate != 0.5 || p.Shape != "linear" || len(p.Tokens) != 2 {
		t.Errorf("decode = %+v, %v", p, err)
	}
	if def.Rate != 0.1 {
		t.Error("decode changed the defaults")
	}
	if _, err := decode(def, []byte(`{"rat":0.5}`)); err == nil || !strings.Contains(err.Error(), `unknown field "rat"`) {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := decode(def, []byte(`{"rate":2}`)); err == nil || !strings.Contains(err.Error(), "rate out of [0, 1]") {
		t.Errorf("Validate not called: %v", err)
	}
	if p, err := decode(def, nil); err != nil || p.Rate != 0.1 {
		t.Errorf("empty params: %+v, %v", p, err)
	}
}

func TestGroups(t *testing.T) {
	g := Groups{PromptTok: []int32{1, 2}, PromptOff: []int32{0, 2}, CandTok: []int32{3, 4, 5}, CandOff: []int32{0, 1, 3}, GroupOff: []int32{0, 2}}
	if g.Len() != 1 || g.Candidates() != 2 || len(g.Cand(1)) != 2 || g.Prompt(0)[1] != 2 {
		t.Errorf("accessors wrong on %+v", g)
	}
}
