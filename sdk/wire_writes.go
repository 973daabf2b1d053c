package sdk

import (
	"context"
	"fmt"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/shopbridge/shopbridge/proto/shopbridge/connector/v1"
)

// A WriteProductsRequest written from, and read into, the SDK's
// []ProductWrite by wireCodec, as product pages are (wire_products.go):
// the same bytes as the generated message, without it.
//
//	WriteProductsRequest: 1 link_id, 2 items
//	ProductWrite: 1 key, 2 product, 3 idempotency_key, 4 fields

type writeProductsMsg struct {
	linkID string
	writes []ProductWrite
	// err is set when an item's product is well-formed protobuf that the
	// SDK's types cannot hold; the call fails with it.
	err error
}

func (e *pageEncoder) sizeWrite(w *ProductWrite) int {
	slot := e.push()
	n := e.sizeStr(w.Key) + sizeMsg(e.sizeProduct(&w.Product)) + e.sizeStr(w.IdempotencyKey)
	for _, f := range w.Fields {
		if !utf8.ValidString(f) {
			e.bad = true
		}
		n += 1 + protowire.SizeBytes(len(f)) // repeated: empty strings too
	}
	e.sizes[slot] = n
	return n
}

func (e *pageEncoder) appendWrite(b []byte, w *ProductWrite) []byte {
	b = appendMsgHeader(b, 2, e.pop())
	b = appendStr(b, 1, w.Key)
	b = e.appendProduct(b, 2, &w.Product)
	b = appendStr(b, 3, w.IdempotencyKey)
	for _, f := range w.Fields {
		b = protowire.AppendString(protowire.AppendTag(b, 4, protowire.BytesType), f)
	}
	return b
}

func (m *writeProductsMsg) marshal() (mem.BufferSlice, error) {
	e := encoderPool.Get().(*pageEncoder)
	defer encoderPool.Put(e)
	e.sizes, e.next, e.decs, e.decOff, e.bad = e.sizes[:0], 0, e.decs[:0], 0, false
	n := e.sizeStr(m.linkID)
	for i := range m.writes {
		n += sizeMsg(e.sizeWrite(&m.writes[i]))
	}
	if e.bad {
		return nil, fmt.Errorf("product writes: %w", errInvalidUTF8)
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(n)
	b := appendStr((*buf)[:0], 1, m.linkID)
	for i := range m.writes {
		b = e.appendWrite(b, &m.writes[i])
	}
	if len(b) != n {
		pool.Put(buf)
		return nil, fmt.Errorf("product write encoder wrote %d bytes after sizing %d: a bug in sdk/wire_writes.go", len(b), n)
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func (m *writeProductsMsg) unmarshal(b []byte) error {
	d := decoderPool.Get().(*pageDecoder)
	defer decoderPool.Put(d)
	defer func() { d.base = nil }()
	*m = writeProductsMsg{}
	for len(b) > 0 {
		num, typ, v, _, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case 1:
			if !utf8.Valid(v) {
				return fmt.Errorf("WriteProductsRequest.link_id: %w", errInvalidUTF8)
			}
			m.linkID = string(v)
		case 2:
			if err := m.item(d, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// item reads one ProductWrite the way the server read the generated one.
func (m *writeProductsMsg) item(d *pageDecoder, b []byte) error {
	var w ProductWrite
	var product []byte
	seen := 0
	for len(b) > 0 {
		num, typ, v, _, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		if typ != protowire.BytesType {
			continue
		}
		if num != 2 && !utf8.Valid(v) {
			return fmt.Errorf("ProductWrite: %w", errInvalidUTF8)
		}
		switch num {
		case 1:
			w.Key = string(v)
		case 2:
			// A singular message field seen twice is merged, which is
			// what reading the two encodings one after the other does.
			if seen++; seen == 1 {
				product = v
			} else {
				product = append(append([]byte(nil), product...), v...)
			}
		case 3:
			w.IdempotencyKey = string(v)
		case 4:
			w.Fields = append(w.Fields, string(v))
		}
	}
	if seen > 0 {
		if err := d.product(product); err != nil {
			return err
		}
		p, err := d.convert()
		if err != nil && m.err == nil {
			m.err = fmt.Errorf("items[%d]: %w", len(m.writes), err)
		}
		w.Product = p
	}
	m.writes = append(m.writes, w)
	return nil
}

// writeProductsHandler replaces the generated handler of WriteProducts so
// the request is read by wireCodec into writeProductsMsg.
func writeProductsHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := new(writeProductsMsg)
	if err := dec(in); err != nil {
		return nil, err
	}
	s := srv.(*server)
	// The answer is written by wireCodec too (writeResultsMsg).
	serve := func(ctx context.Context, req any) (any, error) {
		results, err := s.writeProducts(ctx, req.(*writeProductsMsg))
		if err != nil {
			return nil, err
		}
		return &writeResultsMsg{results: results}, nil
	}
	if interceptor == nil {
		return serve(ctx, in)
	}
	info := &grpc.UnaryServerInfo{Server: srv, FullMethod: pb.ConnectorService_WriteProducts_FullMethodName}
	return interceptor(ctx, in, info, serve)
}

// serviceDesc is the generated service with WriteProducts read by the
// codec, when wireCodec is this process's codec.
func serviceDesc() *grpc.ServiceDesc {
	if !codecActive() {
		return &pb.ConnectorService_ServiceDesc
	}
	desc := pb.ConnectorService_ServiceDesc
	desc.Methods = append([]grpc.MethodDesc(nil), desc.Methods...)
	for i := range desc.Methods {
		if desc.Methods[i].MethodName == "WriteProducts" {
			desc.Methods[i].Handler = writeProductsHandler
		}
	}
	return &desc
}

// writeResultsMsg is a WriteProductsResponse held as the SDK's results.
//
//	WriteProductsResponse: 1 results
//	ProductWriteResult: 1 key, 2 product, 3 error
//
// Errors are rare and small, so they cross as the generated pb.Error.
type writeResultsMsg struct {
	results []ProductWriteResult
}

func (e *pageEncoder) sizeResult(r *ProductWriteResult, errBytes []byte) int {
	slot := e.push()
	n := e.sizeStr(r.Key) + sizeMsg(e.sizeProduct(&r.Product))
	if errBytes != nil {
		n += sizeMsg(len(errBytes))
	}
	e.sizes[slot] = n
	return n
}

func (m *writeResultsMsg) marshal() (mem.BufferSlice, error) {
	e := encoderPool.Get().(*pageEncoder)
	defer encoderPool.Put(e)
	e.sizes, e.next, e.decs, e.decOff, e.bad = e.sizes[:0], 0, e.decs[:0], 0, false
	errs := make([][]byte, len(m.results))
	n := 0
	for i := range m.results {
		if pe := errorToProto(m.results[i].Err); pe != nil {
			b, err := proto.Marshal(pe)
			if err != nil {
				return nil, fmt.Errorf("product write result %q: %w", m.results[i].Key, err)
			}
			errs[i] = b
		}
		n += sizeMsg(e.sizeResult(&m.results[i], errs[i]))
	}
	if e.bad {
		return nil, fmt.Errorf("product write results: %w", errInvalidUTF8)
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(n)
	b := (*buf)[:0]
	for i := range m.results {
		r := &m.results[i]
		b = appendMsgHeader(b, 1, e.pop())
		b = appendStr(b, 1, r.Key)
		b = e.appendProduct(b, 2, &r.Product)
		if errs[i] != nil {
			b = protowire.AppendBytes(protowire.AppendTag(b, 3, protowire.BytesType), errs[i])
		}
	}
	if len(b) != n {
		pool.Put(buf)
		return nil, fmt.Errorf("product write result encoder wrote %d bytes after sizing %d: a bug in sdk/wire_writes.go", len(b), n)
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func (m *writeResultsMsg) unmarshal(b []byte) error {
	d := decoderPool.Get().(*pageDecoder)
	defer decoderPool.Put(d)
	defer func() { d.base = nil }()
	*m = writeResultsMsg{}
	for len(b) > 0 {
		num, typ, v, _, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		if num == 1 && typ == protowire.BytesType {
			if err := m.result(d, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// result reads one ProductWriteResult the way RemoteLink read the
// generated one.
func (m *writeResultsMsg) result(d *pageDecoder, b []byte) error {
	var r ProductWriteResult
	var product, perr []byte
	products, errs := 0, 0
	// A singular message field seen twice is merged, which is what reading
	// the two encodings one after the other does.
	merge := func(into []byte, seen *int, v []byte) []byte {
		if *seen++; *seen == 1 {
			return v
		}
		return append(append([]byte(nil), into...), v...)
	}
	for len(b) > 0 {
		num, typ, v, _, rest, err := field(b)
		if err != nil {
			return err
		}
		b = rest
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case 1:
			if !utf8.Valid(v) {
				return fmt.Errorf("ProductWriteResult.key: %w", errInvalidUTF8)
			}
			r.Key = string(v)
		case 2:
			product = merge(product, &products, v)
		case 3:
			perr = merge(perr, &errs, v)
		}
	}
	if errs > 0 {
		var pe pb.Error
		if err := proto.Unmarshal(perr, &pe); err != nil {
			return err
		}
		r.Err = errorFromProto(&pe)
	}
	if products > 0 {
		if err := d.product(product); err != nil {
			return err
		}
		p, err := d.convert()
		if err != nil {
			r.Err = AsError(fmt.Errorf("connector answered a bad product: %w", err))
		} else {
			r.Product = p
		}
	}
	m.results = append(m.results, r)
	return nil
}
