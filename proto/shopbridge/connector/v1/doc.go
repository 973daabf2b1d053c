// Package connectorv1 is the generated Go code of the shopbridge connector
// protocol, version 1 (connector.proto beside it). Regenerate it with
// `make proto`; CI fails when it is stale. Connector authors use package
// sdk instead, which never exposes these types.
package connectorv1
