// Package faults injects the failures real APIs produce — 5xx answers, 429s with
// Retry-After, latency, dropped connections, malformed and truncated bodies — into
// any sandbox server, per path prefix and deterministically by seed, so that
// failure tests are reproducible. Control paths under /_sandbox/ are never faulted.
package faults
