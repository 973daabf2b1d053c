// Package schema holds the real Shopify Admin GraphQL schema, API version
// 2026-10, and validates GraphQL documents against it.
//
// The schema ships as the introspection result published by Shopify
// (testdata/admin_2026-10.json.gz, see testdata/NOTICE). Load converts it into a
// gqlparser ast.Schema once per process. Both the Shopify sandbox and the Shopify
// connector's tests use it, so that a document the real Shopify would reject
// fails here too.
package schema
