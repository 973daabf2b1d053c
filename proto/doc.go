// Package proto holds the connector contract as protocol buffers: one
// folder per protocol version under shopbridge/connector/. The Go code
// generated from it sits beside each .proto file.
package proto
