package api

import (
	"encoding/json"
	"testing"
)

func TestOreAcceptsWholeNumbersWrittenAsDecimals(t *testing.T) {
	for in, want := range map[string]Ore{`0.0`: 0, `150`: 150, `150.00`: 150, `null`: 0, `-25`: -25} {
		var o Ore
		if err := json.Unmarshal([]byte(in), &o); err != nil || o != want {
			t.Errorf("%s read as %d (%v), want %d", in, o, err, want)
		}
	}
	for _, in := range []string{`1.5`, `"12"`, `1e400`} {
		var o Ore
		if err := json.Unmarshal([]byte(in), &o); err == nil {
			t.Errorf("%s read as %d øre; a fraction of an øre or a non-number must be refused", in, o)
		}
	}
}
