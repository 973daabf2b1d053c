// Package flow holds shopbridge's flows — orders, products, stock and the
// initial sync — as plain Go over small interfaces: the inventory side
// (Rackbeat), the channel side (a connector link) and the store. There is
// no HTTP and no SQL here; the host wires the real clients, the connector
// processes and the database in, and the tests wire the sandboxes.
//
// Each flow is written so that running it twice does no harm: the store
// holds what was done, and every step that changes another system first
// looks for its own earlier effect there.
package flow
