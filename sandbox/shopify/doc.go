// Package shopify is a local stand-in for the Shopify Admin GraphQL API, version
// 2026-10, for tests and the demo.
//
// It validates every document against the real Admin schema (package schema),
// executes what a sync needs over an in-memory store seeded from a generated
// catalogue, charges query cost against a leaky bucket per store as Shopify
// does, sends signed REST-shaped webhooks through sandbox/delivery, and runs
// the OAuth app install. It imports nothing of the product: a connector bug
// must not be hidden by a sandbox that shares its code.
//
// Endpoints:
//
//	POST /admin/api/2026-10/graphql.json       X-Shopify-Access-Token; other versions 404
//	GET  /admin/oauth/authorize                 ?client_id&scope&redirect_uri&state: the install page
//	POST /admin/oauth/authorize/approve         form client_id, scope, redirect_uri, state: 302 to redirect_uri
//	POST /admin/oauth/access_token              code grant, grant_type=refresh_token, grant_type=client_credentials
//
// Control API (no auth, never faulted):
//
//	GET|PUT|POST|DELETE /_sandbox/faults        fault rules (sandbox/faults)
//	GET  /_sandbox/state                        shop, bucket, locations, products, orders, subscriptions, bulk operations
//	GET  /_sandbox/orders                       order summaries
//	POST /_sandbox/orders                       place an order (OrderInput as JSON)
//	POST /_sandbox/orders/random                place a seeded random order
//	POST /_sandbox/orders/{id}/pay|fulfill|cancel
//	POST /_sandbox/products                     edit a product (ProductEdit): products/update
//	POST /_sandbox/inventory                    {sku, location, name, quantity}: set a level
//	GET  /_sandbox/inventory?sku=&location=     read a level
//	GET  /_sandbox/throttled                    THROTTLED count and the bucket
//	GET  /_sandbox/snapshot, POST /_sandbox/restore
//	POST /_sandbox/approve                      the merchant's approval: {"redirect": url}
//	POST /_sandbox/tokens                       a non-expiring access token
//	GET  /_sandbox/webhooks                     every delivery attempt
//	GET  /_sandbox/bulk/{id}.jsonl              bulk operation results
//
// Where Shopify's behaviour is not documented the sandbox guesses once, in
// one place, with a comment saying so: the error for a missing @idempotent
// key, the user error code for a missing changeFromQuantity, page-size errors.
package shopify
