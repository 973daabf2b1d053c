// Package server is the host's one HTTP port: webhooks in from the channels
// (/hooks/{link}) and from Rackbeat (/hooks/rackbeat), the OAuth callback
// of a link's installation, /healthz and /readyz for the supervisor,
// /metrics for Prometheus, and the status page at /.
//
// The server itself decides nothing about a delivery: it caps the body,
// hands the raw bytes and headers to a Sink, and turns the Sink's error
// class into the status code the sender understands — 2xx only once the
// delivery is durably recorded, 401 for a bad signature (never retried by a
// sane sender), 503 for "try again".
package server
