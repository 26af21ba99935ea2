package bench

import (
	"encoding/json"
	"math"
	"testing"
)

func TestFloatJSON(t *testing.T) {
	in := []Float{0, 1.5, -2.25, 48.123456789, Float(math.Inf(1)), Float(math.Inf(-1)), Float(math.NaN())}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[0,1.5,-2.25,48.123456789,"inf","-inf","nan"]`; string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var out []Float
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if !(out[i] == in[i] || math.IsNaN(float64(in[i])) && math.IsNaN(float64(out[i]))) {
			t.Errorf("%d: %v became %v", i, in[i], out[i])
		}
	}
	if err := json.Unmarshal([]byte(`"bad"`), &out[0]); err == nil {
		t.Error(`"bad" accepted`)
	}
	if got := Float(math.Inf(1)).Format(2); got != "inf" {
		t.Errorf("Format(inf) = %q", got)
	}
	if got := Float(3.14159).Format(2); got != "3.14" {
		t.Errorf("Format(3.14159) = %q", got)
	}
}
