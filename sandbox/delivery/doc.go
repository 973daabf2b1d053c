// Package delivery sends a sandbox's outgoing webhooks the way the real services
// do: asynchronously, with a per-attempt timeout and retries with exponential
// back-off on errors and non-2xx answers, and it keeps a log of every attempt so
// tests can assert what was delivered, when and how often.
package delivery
