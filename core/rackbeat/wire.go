package rackbeat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// num writes a decimal as a bare JSON number with every digit kept.
// decimal.Decimal on its own writes a quoted string (unless a process-wide
// switch is flipped, which would change every other package's JSON too).
type num decimal.Decimal

func (n num) MarshalJSON() ([]byte, error) { return []byte(decimal.Decimal(n).String()), nil }

func numOf(d *decimal.Decimal) *num {
	if d == nil {
		return nil
	}
	n := num(*d)
	return &n
}

// Time is a Rackbeat timestamp. It reads RFC 3339 as well as the
// "2006-01-02 15:04:05" form Laravel answers sometimes use, and null.
type Time struct{ time.Time }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// UnmarshalJSON reads the layouts above; an empty string or null is the zero time.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp %s: %w", b, err)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			t.Time = v
			return nil
		}
	}
	return fmt.Errorf("timestamp %q is in no known layout", s)
}

// MarshalJSON writes RFC 3339, or null for the zero time.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(t.Format(time.RFC3339))
}

// Text is a string that Rackbeat may also send as a number or a boolean
// (custom field values, webhook keys); it keeps the JSON text of scalars.
type Text string

// UnmarshalJSON accepts a string, a number, a boolean or null.
func (t *Text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*t = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text(s)
	case b[0] == '{' || b[0] == '[':
		return fmt.Errorf("expected a scalar, got %.20s", b)
	default:
		*t = Text(b)
	}
	return nil
}

// Ref is a reference to another object by its number, as Rackbeat nests them
// ({"number":1,"name":…}). Rackbeat sends some references as a bare number;
// Ref reads both.
type Ref struct {
	Number int64  `json:"number"`
	Name   string `json:"name,omitempty"`
}

// UnmarshalJSON reads {"number":…} or a bare number.
func (r *Ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*r = Ref{}
		return nil
	}
	if b[0] != '{' {
		n, err := flexInt(b)
		if err != nil {
			return err
		}
		*r = Ref{Number: n}
		return nil
	}
	var raw struct {
		Number json.RawMessage `json:"number"`
		ID     json.RawMessage `json:"id"`
		Name   string          `json:"name"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	v := raw.Number
	if len(v) == 0 {
		v = raw.ID
	}
	n, err := flexInt(v)
	if err != nil {
		return err
	}
	*r = Ref{Number: n, Name: raw.Name}
	return nil
}

// unwrap returns the object inside a single-object answer such as
// {"product":{…}}: the value at key, or the only object-valued member, or
// the answer itself when it is not wrapped.
func unwrap(body json.RawMessage, key string) (json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, err
	}
	if v, ok := top[key]; ok {
		return v, nil
	}
	var only json.RawMessage
	n := 0
	for _, v := range top {
		if t := bytes.TrimSpace(v); len(t) > 0 && t[0] == '{' {
			only = v
			n++
		}
	}
	if n == 1 && len(top) == 1 {
		return only, nil
	}
	return body, nil
}

// quote names an object in an error message.
func quote(s string) string { return fmt.Sprintf("%q", s) }

// trimmed reports whether s has content.
func trimmed(s string) bool { return strings.TrimSpace(s) != "" }
