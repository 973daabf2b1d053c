// Package flatfile is the worked example of docs/writing-a-connector.md: a
// complete shopbridge connector for a "channel" that is a folder of JSON
// files. It has no network and no SDK of its own, so every line is about
// the connector contract: settings and their schema, links, paged reads
// with resumable cursors, per-item write results, idempotent stock writes
// and signed webhooks.
//
// The folder holds products.json (an array of sdk.Product as JSON),
// stock.json (an array of sdk.StockLevel) and orders.json (an array of
// sdk.Order). Writes rewrite the files atomically.
package flatfile
