// Package status serves the operator's status page at "/" and its JSON
// variant at "/status.json": each link with its connector, version and
// account, the state of each flow, queue depth, recent errors, quarantine
// with retry and drop buttons, and the connector processes.
//
// The page is server-rendered HTML with inline CSS that refreshes itself and
// needs no JavaScript. What it shows comes from a Source, which the host
// implements (FromState does most of it from the store and the scheduler).
//
// Protection. With server.operator_token configured, a request is the
// operator's when it carries "Authorization: Bearer <token>" or the session
// cookie set by the page's login form (an expiring HMAC keyed by the token,
// never the token itself; HttpOnly, SameSite=Strict). Only the operator sees
// quarantine payloads (they may hold customer e-mail addresses) and the retry
// and drop buttons; everyone else gets the page read-only, with e-mail
// addresses masked. Without an operator token the page is read-only for
// everyone. Retry, drop and logout are POSTed forms that carry a CSRF token
// bound to the session. Every text the page shows passes through a filter
// that removes the configured secrets (SecretValues) and credentials in URLs,
// so an error message that quotes a token cannot leak it.
package status
