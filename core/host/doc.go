// Package host runs shopbridge: it owns the plugin manager and the links
// opened on it, and the HTTP port (health endpoints for now). Run starts
// everything and stops it again when its context ends.
//
// This is the skeleton the state store, the scheduler, the webhook intake
// and the flows are added to: each gets a field on Host, is started in Run
// after the links are open, and stopped in reverse order.
package host
