package sdk

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	grpcproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// The gRPC codec of the connector connection.
//
// Product pages are most of what crosses the boundary, and the generated
// protobuf code spends most of a read on them: ~15 messages, ~35 strings
// and 3 maps per product to decode, then as much again to convert them to
// the SDK's types. wireCodec writes a ReadProductsResponse straight from an
// sdk.ProductPage and reads one straight into an sdk.ProductPage
// (wire_products.go), and does the same for the request and answer of
// WriteProducts (wire_writes.go). The bytes are the same standard protobuf
// as before,
// so a host or connector built before this codec talks to one built after
// it in either direction. Every other message goes through gRPC's own
// protobuf codec, unchanged.
//
// It is registered under gRPC's "proto" name, so it replaces the default
// codec for every gRPC connection of a process that imports this package
// (host and connectors) and needs no option on either side; the content
// type on the wire stays "application/grpc" (+proto). The host's calls also
// force it per call (forceCodec), and a connector whose process has
// another "proto" codec registered after ours sends generated messages
// (codecActive), so neither side depends on init order.

type wireCodec struct{ fallback encoding.CodecV2 }

var theCodec = wireCodec{fallback: encoding.GetCodecV2(grpcproto.Name)}

func init() { encoding.RegisterCodecV2(theCodec) }

func (wireCodec) Name() string { return grpcproto.Name }

func (c wireCodec) Marshal(v any) (mem.BufferSlice, error) {
	switch m := v.(type) {
	case *productPageMsg:
		return m.marshal()
	case *writeProductsMsg:
		return m.marshal()
	case *writeResultsMsg:
		return m.marshal()
	}
	return c.fallback.Marshal(v)
}

// message is what wireCodec reads without the generated messages.
type message interface{ unmarshal([]byte) error }

func (c wireCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if m, ok := v.(message); ok {
		if len(data) == 1 {
			return m.unmarshal(data[0].ReadOnlyData())
		}
		buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
		defer buf.Free()
		return m.unmarshal(buf.ReadOnlyData())
	}
	return c.fallback.Unmarshal(data, v)
}

// codecActive reports whether this process's gRPC "proto" codec is still
// wireCodec. Another package may register its own after us; a server then
// sends generated messages, which any codec can encode.
func codecActive() bool {
	_, ok := encoding.GetCodecV2(grpcproto.Name).(wireCodec)
	return ok
}

// forceCodec makes a call use wireCodec whatever the process registered;
// its name is "proto", so the peer sees the usual content type.
var forceCodec = grpc.ForceCodecV2(theCodec)
