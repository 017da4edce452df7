package nn

import (
	"bytes"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to Load: it must not panic, and whatever it
// accepts must survive a Save/Load round trip unchanged.
func FuzzLoad(f *testing.F) {
	var buf bytes.Buffer
	p := NewParam[float32]("a.w", 2, 2)
	p.Data[1] = 1.5
	if err := Save(&buf, []*Param[float32]{p, NewParam[float32]("b", 1)}, map[string]string{"k": "v"}); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(header(`{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, 8))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		set, meta, err := Load[float64](b)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Save(&out, set.Params(), meta); err != nil {
			t.Fatalf("save of a loaded file: %v", err)
		}
		again, _, err := Load[float64](out.Bytes())
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		if again.Len() != set.Len() {
			t.Fatalf("reload has %d tensors, want %d", again.Len(), set.Len())
		}
		for i, q := range again.Params() {
			r := set.Params()[i]
			if q.Name != r.Name || len(q.Data) != len(r.Data) {
				t.Fatalf("tensor %d: %q/%d vs %q/%d", i, q.Name, len(q.Data), r.Name, len(r.Data))
			}
			for j := range q.Data {
				if q.Data[j] != r.Data[j] && q.Data[j] == q.Data[j] {
					t.Fatalf("%s[%d] = %v, want %v", q.Name, j, q.Data[j], r.Data[j])
				}
			}
		}
	})
}
