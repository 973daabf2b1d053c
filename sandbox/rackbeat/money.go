package rackbeat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Decimal is a money amount or other decimal that travels as a JSON number,
// written exactly (never through float64) with at least two decimals, as
// Rackbeat's prices look. It also reads a quoted string, which some clients send.
type Decimal struct{ decimal.Decimal }

// Dec parses s, panicking on a malformed literal; for seeds and tests.
func Dec(s string) Decimal { return Decimal{decimal.RequireFromString(s)} }

// MarshalJSON writes the exact value as a JSON number.
func (d Decimal) MarshalJSON() ([]byte, error) {
	// Decide on the shortest exact form, not the stored exponent, so that a
	// value reads back and writes out the same after a snapshot.
	s := d.String()
	if i := strings.IndexByte(s, '.'); i < 0 || len(s)-i-1 <= 2 {
		return []byte(d.StringFixed(2)), nil
	}
	return []byte(s), nil
}

// UnmarshalJSON reads a JSON number or a quoted decimal.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	v, err := decimal.NewFromString(string(b))
	if err != nil {
		return fmt.Errorf("not a decimal number: %s", b)
	}
	d.Decimal = v
	return nil
}
