// Package plugin runs shopbridge's connectors: it finds connector binaries
// in the plugins directory, checks each against the lock file before it
// runs, starts one process per connector version through hashicorp/go-plugin
// (gRPC, AutoMTLS, protocol version 1 only), opens every link that uses the
// version on that one process, and restarts a process that crashes,
// re-opening its links, with exponential back-off.
//
// # Files
//
// A connector binary lives in the plugins directory as
//
//	shopbridge-connector-<name>_v<semver>
//
// so several versions of one connector sit side by side. `shopbridge plugins
// install FILE` (Install) names and copies a binary from what its own
// `describe` command says.
//
// The lock file (shopbridge.lock by default) records which binaries the
// operator trusts. It is JSON, written by Install and read by everything
// that starts a connector:
//
//	{
//	  "lock_version": 1,
//	  "connectors": [
//	    {"name": "shopify", "version": "1.2.0",
//	     "file": "shopbridge-connector-shopify_v1.2.0",
//	     "sha256": "9f86d081884c7d65…", "protocol": 1}
//	  ]
//	}
//
// file is relative to the plugins directory; sha256 is the hex digest of the
// whole file; protocol is the connector protocol version the binary
// declared when it was installed. A binary that is not in the lock, or whose
// digest differs from it, is never run.
//
// # Resolution
//
// A link names its connector as name@constraint (Masterminds semver
// constraints, e.g. "shopify@^1.2"); the link runs on the highest installed
// version that satisfies the constraint, is in the lock and speaks protocol 1.
//
// # Handles
//
// Manager.Open returns a *Link that outlives the process behind it: after a
// crash the manager starts a new process and opens the link there again, and
// the same *Link keeps working. Calls that were in flight when the process
// died, and calls made while it restarts, fail with an sdk.ClassRetryable
// error that says so.
package plugin
