package rackbeat

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Class says what a caller can do about a failed request. The values mirror
// the connector contract's error classes so the flows treat Rackbeat and the
// channels alike.
type Class string

// The classes of failure. Retryable and RateLimited are worth trying again
// later; the others are not until something changes.
const (
	// Retryable: a server error, a dropped connection or a malformed answer.
	// For a POST it may mean the request was applied: look the object up
	// before creating it again.
	Retryable Class = "retryable"
	// RateLimited: Rackbeat answered 429 and the client ran out of retries or
	// the wait it asked for was too long; RetryAfter says when to come back.
	RateLimited Class = "rate_limited"
	// Invalid: Rackbeat refused the request as it stands (400, 422); Fields
	// names what to fix.
	Invalid Class = "invalid"
	// NotFound: the object does not exist (404, 410).
	NotFound Class = "not_found"
	// Conflict: the object already exists or is in a state that forbids the
	// change (409, or a 422 saying a unique value "has already been taken").
	Conflict Class = "conflict"
	// Unauthenticated: the API token is missing, wrong, revoked or lacks the
	// permission (401, 403).
	Unauthenticated Class = "unauthenticated"
)

// Error is every failure of a request the client made. Use errors.As to get
// at it; Error() is one line that names the operation and the object and
// never contains the API token.
type Error struct {
	// Op names the operation and its object, e.g. `create order for "Shopify #1042"`.
	Op string
	// Status is the HTTP status, or 0 when no answer arrived.
	Status int
	Class  Class
	// Message is Rackbeat's own message, or a description of the transport failure.
	Message string
	// Fields holds Laravel-style validation errors: field path → messages.
	Fields map[string][]string
	// RetryAfter is how long Rackbeat asked us to wait (429, 503), if it said.
	RetryAfter time.Duration
	// Err is the transport or decoding error underneath, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("rackbeat: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "%d ", e.Status)
	}
	b.WriteString(e.detail())
	switch e.Class {
	case Unauthenticated:
		b.WriteString(" (check the Rackbeat API token and its permissions)")
	case RateLimited:
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
		}
	}
	return b.String()
}

func (e *Error) detail() string {
	if len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, k+": "+strings.Join(e.Fields[k], ", "))
		}
		return strings.Join(parts, "; ")
	}
	if e.Message != "" {
		return e.Message
	}
	if e.Status != 0 {
		return strings.ToLower(http.StatusText(e.Status))
	}
	return "request failed"
}

// Unwrap gives the transport or decoding error underneath, if any.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed.
func (e *Error) Temporary() bool { return e.Class == Retryable || e.Class == RateLimited }

// ClassOf returns the Class of err if it is (or wraps) an *Error, and "" otherwise.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ""
}

// IsNotFound reports whether err says the object does not exist.
func IsNotFound(err error) bool { return ClassOf(err) == NotFound }

// classify maps an HTTP status (and, for 422, the validation messages) to a Class.
func classify(status int, fields map[string][]string) Class {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return Unauthenticated
	case status == http.StatusNotFound || status == http.StatusGone:
		return NotFound
	case status == http.StatusConflict:
		return Conflict
	case status == http.StatusTooManyRequests:
		return RateLimited
	case status == http.StatusRequestTimeout || status >= 500:
		return Retryable
	case status == http.StatusUnprocessableEntity:
		// Laravel's unique rule says "has already been taken": the object
		// exists, which a caller heals differently from a bad value.
		for _, msgs := range fields {
			for _, m := range msgs {
				if strings.Contains(strings.ToLower(m), "already been taken") {
					return Conflict
				}
			}
		}
		return Invalid
	default:
		return Invalid
	}
}

// decodeErrorBody reads a Laravel-style error answer, tolerating the shapes
// seen in the wild: errors as a map of lists, a map of strings, or absent.
func decodeErrorBody(body []byte) (string, map[string][]string) {
	var raw struct {
		Message json.RawMessage `json:"message"`
		Error   json.RawMessage `json:"error"`
		Errors  json.RawMessage `json:"errors"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return shortText(body), nil
	}
	msg := textOf(raw.Message)
	if msg == "" {
		msg = textOf(raw.Error)
	}
	var byField map[string]json.RawMessage
	_ = json.Unmarshal(raw.Errors, &byField) // Errors that are not a map carry no field names.
	var fields map[string][]string
	for k, v := range byField {
		var list []string
		if err := json.Unmarshal(v, &list); err != nil {
			if s := textOf(v); s != "" {
				list = []string{s}
			}
		}
		if len(list) == 0 {
			continue
		}
		if fields == nil {
			fields = map[string][]string{}
		}
		fields[k] = list
	}
	return msg, fields
}

// textOf renders a JSON scalar as text; objects and arrays come back compact.
func textOf(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	return string(v)
}

// shortText keeps an unparseable body readable in one log line.
func shortText(body []byte) string {
	s := strings.Join(strings.Fields(string(body)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
