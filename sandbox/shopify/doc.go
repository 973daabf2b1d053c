// Package shopify is a local stand-in for the Shopify Admin GraphQL API, version
// 2026-10, for tests and the demo.
//
// It validates every document against the real Admin schema (package schema),
// executes what a sync needs over an in-memory store seeded from a generated
// catalogue, charges query cost against a leaky bucket per store as Shopify
// does, sends signed REST-shaped webhooks, and runs the OAuth app install. A
// control API under /_sandbox/ (no auth, never faulted) lets tests place and
// move orders, edit products and stock, inject faults and read state back.
//
// It imports nothing of the product: a connector bug must not be hidden by a
// sandbox that shares its code.
package shopify
