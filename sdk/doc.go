// Package sdk is what a connector author imports to add a sales channel to
// shopbridge.
//
// A connector is a small program whose main calls Serve with a value that
// implements Connector. The host starts the program, talks to it over gRPC
// through hashicorp/go-plugin, and opens one Link per configured pairing of
// the inventory system with a channel account. What a link can do is
// declared in the Description's capabilities and implemented by the
// optional interfaces in this package (ProductReader, StockWriter, …).
//
// Authors work only with the Go types here: no protocol buffer type, no
// gRPC and no go-plugin type appears in the author's code. Money is exact
// (Money, backed by a decimal), errors carry a Class that tells the host
// whether to retry, wait, or quarantine the item (see Error).
//
// The host side of the same protocol (RemoteConnector) lives here too so
// that one set of conversions serves both ends of the wire; connector
// authors do not need it.
//
// The package sdk/conformance checks any connector binary black-box; run it
// from your connector's tests.
package sdk
