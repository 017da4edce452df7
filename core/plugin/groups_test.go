package plugin

import (
	"fmt"
	"testing"
)

func TestNewGroupsMatchesSample(t *testing.T) {
	g, err := NewGroups([][]int32{{1}, {2, 3}, {4}},
		[][][]int32{{{5}, {6, 6}}, {{7, 7, 7}, {1, 2, 3, 4}, {9}}, {{9}, {9, 7}}})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(g) != fmt.Sprint(sample()) {
		t.Errorf("NewGroups = %v, want %v", g, sample())
	}
	if _, err := NewGroups([][]int32{{1}}, [][][]int32{{{5}}}); err == nil {
		t.Error("accepted a group of one candidate")
	}
	p, err := Pairs([][]int32{{1}, {}}, [][]int32{{2}, {}}, [][]int32{{3, 4}, {5}})
	if err != nil || p.Len() != 2 || p.Candidates() != 4 || fmt.Sprint(p.CandOff) != "[0 1 3 3 4]" {
		t.Errorf("Pairs = %+v, %v", p, err)
	}
}

func TestPick(t *testing.T) {
	g := sample() // groups of 2, 3 and 2 candidates
	chosen, rejected, err := Pick(g, []float64{0.2, 0.8, 1, 3, 2, 5, 5})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(chosen) != "[1 3 5]" || fmt.Sprint(rejected) != "[0 2 6]" {
		t.Errorf("chosen %v rejected %v, want [1 3 5] [0 2 6]", chosen, rejected)
	}
	if _, _, err := Pick(g, []float64{1}); err == nil {
		t.Error("accepted 1 score for 7 candidates")
	}
}
