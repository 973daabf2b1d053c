// Package testconnector is a tiny connector over an in-memory channel. It
// implements every capability of the protocol so that the plugin host's
// tests and the conformance kit's own test have a real connector binary to
// run (built from ./cmd/shopbridge-connector-test).
//
// The channel is generated deterministically from the link settings, and
// links that name the same shop share one channel within a process, as
// links on one real store would. Nothing survives the process.
//
// Build-time knobs, set with -ldflags "-X <pkg>.Version=1.2.0":
// Version (the semver it reports) and Protocol (the protocol version it
// advertises; anything but "1" exists only to test refusals).
package testconnector
