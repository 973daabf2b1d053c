// Package rackbeat is the host's client for the Rackbeat API, the inventory
// side of every link: products, product groups, BOMs (lots), locations and
// stock, custom fields, customers, orders, inventory adjustments and webhooks.
//
// The client is written against the real API at https://app.rackbeat.com/api
// and is tested against the sandbox in sandbox/rackbeat. It paces itself below
// Rackbeat's request limit, retries only what is safe to retry, decodes every
// failure into an *Error whose Class mirrors the connector contract's error
// classes, and reads money as exact decimals, never as floats.
//
// ParseWebhook checks and decodes the webhooks Rackbeat sends to the host.
package rackbeat
