// Package graphql is the Shopify Admin GraphQL client of the Shopify
// connector: the documents it can send (embedded .graphql files, each
// validated against the real Admin schema by a test), a cost-aware pacer that
// models Shopify's leaky bucket from the throttleStatus of every answer so
// that steady traffic is never THROTTLED, and retries with back-off and
// jitter for transient failures.
//
// The client knows GraphQL transport, cost and failure classes; what the
// documents mean (products, stock, orders) is the connector's business.
package graphql
