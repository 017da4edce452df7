package nn

import "testing"

func TestDenseView(t *testing.T) {
	p := NewParam[float32]("w", 2, 3)
	d := p.Dense()
	if d.Rows() != 2 || d.Cols() != 3 {
		t.Fatalf("shape %v", d.Shape)
	}
	d.Data[4] = 7
	if p.Data[4] != 7 {
		t.Error("Dense is not a view")
	}
	q := ParamFromDense("v", d)
	q.Data[0] = 1
	if p.Data[0] != 1 || q.Shape[1] != 3 {
		t.Error("ParamFromDense is not a view")
	}
}
