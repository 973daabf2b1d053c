// Package api is an HTTP client for the Shopbox REST API v3: the credentials
// login with its access token kept per client value (and renewed once when the
// API refuses it), the optional dashboard api-token, list paging through
// meta.pagination, retries with back-off and jitter on transient failures of
// idempotent requests, and classed errors (sdk.Error) that say what failed
// without ever containing the password or a token.
//
// The wire shapes are those of API-NOTES §2 and, where the notes guess, of the
// sandbox's documented guesses (sandbox/shopbox/doc.go); the client relies on
// the guesses only where it must: single objects wrapped in {"data":…}, the
// updated_since / sku_code / from / to filters, and the push registration.
//
// Money stays in integer øre here; converting it to decimals is the
// connector's business.
package api
