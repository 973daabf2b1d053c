package sdk

import (
	"errors"
	"fmt"
	"time"
)

// Class tells the host what to do about a failure.
type Class string

// Error classes. The host retries Retryable and RateLimited (after
// RetryAfter), quarantines the item on Invalid, and stops the link with a
// message to the operator on Unauthenticated.
const (
	ClassUnknown         Class = ""
	ClassRetryable       Class = "retryable"
	ClassRateLimited     Class = "rate_limited"
	ClassInvalid         Class = "invalid"
	ClassNotFound        Class = "not_found"
	ClassConflict        Class = "conflict"
	ClassUnauthenticated Class = "unauthenticated"
	ClassUnsupported     Class = "unsupported"
)

// Error is a failure with a class. Connectors return it (or wrap it) from
// any call, and put it in per-item results.
type Error struct {
	Class      Class
	Message    string
	RetryAfter time.Duration
	Field      string // the settings key or item field at fault
	Code       string // the channel's own code, e.g. "CHANGE_FROM_QUANTITY_STALE"
	cause      error
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	return msg
}

// Unwrap returns the error this one was made from, if any.
func (e *Error) Unwrap() error { return e.cause }

// Temporary reports whether trying again later may succeed.
func (e *Error) Temporary() bool {
	return e.Class == ClassRetryable || e.Class == ClassRateLimited || e.Class == ClassUnknown
}

// Errorf makes an *Error of the class with a formatted message. A %w verb
// keeps the cause for errors.Is and errors.As.
func Errorf(class Class, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Class: class, Message: err.Error(), cause: errors.Unwrap(err)}
}

// Invalid is a permanent error about one field; the item goes to
// quarantine (or, for settings, OpenLink fails naming the key).
func Invalid(field, format string, args ...any) *Error {
	e := Errorf(ClassInvalid, format, args...)
	e.Field = field
	return e
}

// Retryable is a transient error; after, if non-zero, is how long to wait.
func Retryable(after time.Duration, format string, args ...any) *Error {
	e := Errorf(ClassRetryable, format, args...)
	e.RetryAfter = after
	return e
}

// RateLimited says the channel's rate limit was hit.
func RateLimited(after time.Duration, format string, args ...any) *Error {
	e := Errorf(ClassRateLimited, format, args...)
	e.RetryAfter = after
	return e
}

// Unauthenticated says the link's credentials were refused.
func Unauthenticated(format string, args ...any) *Error {
	return Errorf(ClassUnauthenticated, format, args...)
}

// NotFound says the object does not exist in the channel.
func NotFound(format string, args ...any) *Error {
	return Errorf(ClassNotFound, format, args...)
}

// Unsupported says the connector does not implement a call.
func Unsupported(format string, args ...any) *Error {
	return Errorf(ClassUnsupported, format, args...)
}

// ClassOf returns the class of err: the class of the first *Error in its
// chain, or ClassUnknown.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ClassUnknown
}

// AsError returns err as an *Error, wrapping an unclassified error as
// ClassUnknown so it keeps its message.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Class: ClassUnknown, Message: err.Error(), cause: err}
}
