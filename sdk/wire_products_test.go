package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pb "github.com/shopbridge/shopbridge/proto/shopbridge/connector/v1"
)

// The product codec must be indistinguishable from protobuf-go plus the
// conversions of wire_convert.go: a connector or host built before it
// reads and writes the same bytes.

func randString(rng *rand.Rand) string {
	switch rng.Intn(6) {
	case 0:
		return ""
	case 1:
		return "Blåbær æøå — ☕ " + strconv.Itoa(rng.Intn(1000))
	default:
		b := make([]byte, rng.Intn(40))
		for i := range b {
			b[i] = byte('a' + rng.Intn(26))
		}
		return string(b)
	}
}

func randDecimal(rng *rand.Rand) decimal.Decimal {
	switch rng.Intn(8) {
	case 0:
		return decimal.Decimal{}
	case 1:
		return decimal.RequireFromString("123456789012345678901234.5678")
	case 2:
		return decimal.New(rng.Int63n(1000), int32(rng.Intn(4))) // positive exponent
	default:
		return decimal.New(rng.Int63n(2e9)-1e9, -int32(rng.Intn(7)))
	}
}

func randMap(rng *rand.Rand) map[string]string {
	n := rng.Intn(4)
	if n == 0 {
		return nil
	}
	m := map[string]string{}
	for range n {
		m[randString(rng)] = randString(rng)
	}
	return m
}

func randTime(rng *rand.Rand) time.Time {
	switch rng.Intn(4) {
	case 0:
		return time.Time{}
	case 1:
		return time.Unix(0, 0).UTC()
	case 2:
		return time.Unix(-rng.Int63n(1e10), int64(rng.Intn(1e9))).UTC()
	}
	return time.Unix(rng.Int63n(4e9), int64(rng.Intn(1e9))).UTC()
}

func randProduct(rng *rand.Rand) Product {
	units := []WeightUnit{"", Grams, Kilograms, Ounces, Pounds}
	currencies := []string{"", "DKK", "EUR"}
	p := Product{
		ID: randString(rng), Title: randString(rng), Description: randString(rng), Category: randString(rng),
		CategoryID: randString(rng), Vendor: randString(rng), Status: randString(rng), UpdatedAt: randTime(rng),
		IsBOM: rng.Intn(3) == 0, Attributes: randMap(rng), Variants: make([]Variant, rng.Intn(4)),
	}
	for i := range p.Variants {
		p.Variants[i] = Variant{
			ID: randString(rng), SKU: randString(rng), Title: randString(rng), Barcode: randString(rng),
			Price:            Money{Amount: randDecimal(rng), Currency: currencies[rng.Intn(3)]},
			PriceIncludesVAT: rng.Intn(2) == 0,
			Cost:             Money{Amount: randDecimal(rng), Currency: currencies[rng.Intn(3)]},
			Weight:           Weight{Value: randDecimal(rng), Unit: units[rng.Intn(5)]},
			InventoryItemID:  randString(rng), Options: randMap(rng), UpdatedAt: randTime(rng),
		}
	}
	for range rng.Intn(3) {
		p.BOMLines = append(p.BOMLines, BOMLine{SKU: randString(rng), Quantity: rng.Int63n(200) - 100})
	}
	return p
}

func randPage(rng *rand.Rand) ProductPage {
	p := ProductPage{Cursor: randString(rng), Last: rng.Intn(2) == 0, TotalEstimate: rng.Int63n(1e6) - 10}
	for range rng.Intn(6) {
		p.Items = append(p.Items, randProduct(rng))
	}
	return p
}

func pageToProto(p *ProductPage) *pb.ReadProductsResponse {
	out := &pb.ReadProductsResponse{Cursor: p.Cursor, Last: p.Last, TotalEstimate: p.TotalEstimate}
	for i := range p.Items {
		out.Products = append(out.Products, productToProto(&p.Items[i]))
	}
	return out
}

// pageFromProto is what the host read before the codec: protobuf-go, then
// productFromProto.
func pageFromProto(b []byte) (ProductPage, error, error) {
	var m pb.ReadProductsResponse
	if err := proto.Unmarshal(b, &m); err != nil {
		return ProductPage{}, err, nil
	}
	p := ProductPage{Cursor: m.Cursor, Last: m.Last, TotalEstimate: m.TotalEstimate, Items: make([]Product, 0, len(m.Products))}
	for _, x := range m.Products {
		pr, err := productFromProto(x)
		if err != nil {
			return ProductPage{}, nil, fmt.Errorf("connector sent a bad product %q: %w", x.Id, err)
		}
		p.Items = append(p.Items, pr)
	}
	return p, nil, nil
}

func encodePage(t testing.TB, p ProductPage) []byte {
	t.Helper()
	bs, err := (&productPageMsg{page: p}).marshal()
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Free()
	return bs.Materialize()
}

func TestProductCodecWritesWhatProtobufGoReads(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := range 3000 {
		page := randPage(rng)
		want := pageToProto(&page)
		b := encodePage(t, page)
		if len(b) != proto.Size(want) {
			t.Fatalf("page %d: codec wrote %d bytes, protobuf-go writes %d", i, len(b), proto.Size(want))
		}
		var got pb.ReadProductsResponse
		if err := proto.Unmarshal(b, &got); err != nil {
			t.Fatalf("page %d: protobuf-go cannot read the codec's bytes: %v", i, err)
		}
		if !proto.Equal(&got, want) {
			t.Fatalf("page %d: protobuf-go reads\n%v\nwant\n%v", i, &got, want)
		}
	}
}

func TestProductCodecReadsWhatProtobufGoWrites(t *testing.T) {
	rng := rand.New(rand.NewSource(8))
	for i := range 3000 {
		page := randPage(rng)
		b, err := proto.Marshal(pageToProto(&page))
		if err != nil {
			t.Fatal(err)
		}
		want, _, _ := pageFromProto(b)
		var got productPageMsg
		if err := got.unmarshal(b); err != nil || got.err != nil {
			t.Fatalf("page %d: %v %v", i, err, got.err)
		}
		if !reflect.DeepEqual(got.page, want) {
			t.Fatalf("page %d: codec reads\n%+v\nprotobuf-go and productFromProto read\n%+v", i, got.page, want)
		}
	}
}

// Encodings protobuf-go does not write but must read the same: fields out
// of order, repeated singular messages (merged), unknown fields and wrong
// wire types (skipped), map entries without key or value.
func TestProductCodecReadsUnusualEncodings(t *testing.T) {
	str := func(b []byte, num protowire.Number, s string) []byte {
		return protowire.AppendString(protowire.AppendTag(b, num, protowire.BytesType), s)
	}
	msg := func(b []byte, num protowire.Number, m []byte) []byte {
		return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), m)
	}
	varint := func(b []byte, num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(protowire.AppendTag(b, num, protowire.VarintType), v)
	}
	var variant []byte
	variant = msg(variant, 5, str(nil, 2, "DKK"))   // price: currency only
	variant = msg(variant, 5, str(nil, 1, "12.50")) // merged: amount
	variant = str(variant, 2, "SKU-1")
	variant = msg(variant, 10, str(nil, 1, "Size")) // entry without value
	variant = msg(variant, 10, str(nil, 2, "Red"))  // entry without key
	variant = varint(variant, 2, 7)                 // sku with the wrong wire type: unknown
	variant = protowire.AppendTag(variant, 99, protowire.Fixed32Type)
	variant = protowire.AppendFixed32(variant, 1)
	variant = msg(variant, 8, varint(str(nil, 1, "1.5"), 2, 9)) // unknown unit
	var product []byte
	product = msg(product, 8, variant)
	product = str(product, 1, "P-1")
	product = msg(product, 9, varint(nil, 1, 1700000000))
	product = msg(product, 9, varint(nil, 2, 5)) // merged timestamp
	product = protowire.AppendTag(product, 50, protowire.StartGroupType)
	product = str(product, 1, "in a group")
	product = protowire.AppendTag(product, 50, protowire.EndGroupType)
	product = str(product, 1, "P-2") // last one wins
	var page []byte
	page = str(page, 2, "c1")
	page = msg(page, 1, product)
	page = varint(page, 3, 1)
	page = msg(page, 1, nil) // an empty product

	want, perr, _ := pageFromProto(page)
	if perr != nil {
		t.Fatal(perr)
	}
	var got productPageMsg
	if err := got.unmarshal(page); err != nil || got.err != nil {
		t.Fatal(err, got.err)
	}
	if !reflect.DeepEqual(got.page, want) {
		t.Fatalf("codec reads\n%+v\nwant\n%+v", got.page, want)
	}
	if got.page.Items[0].ID != "P-2" || got.page.Items[0].Variants[0].Price.String() != "12.5 DKK" {
		t.Fatalf("unexpected page %+v", got.page)
	}
}

// Bytes that are not a valid message fail both ways; a malformed amount
// fails the read with an Invalid error naming the product and the field.
func TestProductCodecFailsWhereProtobufGoFails(t *testing.T) {
	good := encodePage(t, ProductPage{Items: []Product{sampleProduct()}, Cursor: "x"})
	for i := range good {
		checkSameOutcome(t, good[:i])
	}
	bad := pageToProto(&ProductPage{Items: []Product{sampleProduct()}})
	bad.Products[0].Variants[0].Cost.Amount = "12,50"
	b, _ := proto.Marshal(bad)
	var got productPageMsg
	if err := got.unmarshal(b); err != nil {
		t.Fatal(err)
	}
	var e *Error
	if !errors.As(got.err, &e) || e.Class != ClassInvalid || e.Field != "variants[0].cost" {
		t.Fatalf("got %v, want an Invalid error for variants[0].cost", got.err)
	}
	_, _, want := pageFromProto(b)
	if got.err.Error() != want.Error() {
		t.Fatalf("error %q, productFromProto says %q", got.err, want)
	}
	// Invalid UTF-8 in a string is refused on both sides.
	p := sampleProduct()
	p.Title = "\xff"
	if _, err := (&productPageMsg{page: ProductPage{Items: []Product{p}}}).marshal(); err == nil {
		t.Fatal("the encoder wrote a string that is not UTF-8")
	}
	if _, err := proto.Marshal(productToProto(&p)); err == nil {
		t.Fatal("protobuf-go changed: it now writes strings that are not UTF-8")
	}
	checkSameOutcome(t, protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), protowire.AppendString(protowire.AppendTag(nil, 2, protowire.BytesType), "\xff")))
}

func checkSameOutcome(t *testing.T, b []byte) {
	t.Helper()
	want, wireErr, convErr := pageFromProto(b)
	var got productPageMsg
	err := got.unmarshal(b)
	if (err != nil) != (wireErr != nil) {
		t.Fatalf("% x: codec error %v, protobuf-go error %v", b, err, wireErr)
	}
	if err != nil {
		return
	}
	if (got.err != nil) != (convErr != nil) {
		t.Fatalf("% x: codec says %v, productFromProto says %v", b, got.err, convErr)
	}
	if got.err == nil && !reflect.DeepEqual(got.page, want) {
		t.Fatalf("% x: codec reads %+v, want %+v", b, got.page, want)
	}
}

func FuzzProductCodecDecode(f *testing.F) {
	rng := rand.New(rand.NewSource(9))
	for range 20 {
		p := randPage(rng)
		b, _ := proto.Marshal(pageToProto(&p))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkSameOutcome(t, b) })
}

// oldServer answers ReadProducts as a connector built before the codec
// did: generated messages through protobuf-go.
type oldServer struct {
	pb.UnimplementedConnectorServiceServer
	page ProductPage
}

func (s *oldServer) OpenLink(context.Context, *pb.OpenLinkRequest) (*pb.OpenLinkResponse, error) {
	return &pb.OpenLinkResponse{Account: "old"}, nil
}

func (s *oldServer) ReadProducts(_ *pb.ReadProductsRequest, stream grpc.ServerStreamingServer[pb.ReadProductsResponse]) error {
	return stream.Send(pageToProto(&s.page))
}

// Across gRPC: a new host reads an old connector's pages, and an old host
// (generated client, protobuf-go) reads a new connector's pages.
func TestProductPagesCrossOldAndNewPeers(t *testing.T) {
	rng := rand.New(rand.NewSource(10))
	page := randPage(rng)
	for len(page.Items) == 0 {
		page = randPage(rng)
	}
	b, _ := proto.Marshal(pageToProto(&page))
	want, _, _ := pageFromProto(b)

	old := dialServer(t, func(s *grpc.Server) { pb.RegisterConnectorServiceServer(s, &oldServer{page: page}) })
	l, err := old.OpenLink(context.Background(), "l", json.RawMessage(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []ProductPage
	if err := l.ReadProducts(context.Background(), ReadRequest{}, func(p ProductPage) error { got = append(got, p); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
		t.Fatalf("new host read from an old connector:\n%+v\nwant\n%+v", got, want)
	}

	m := &memConnector{caps: []Capability{CapProductsRead}, products: page.Items}
	r := dial(t, m)
	if _, err := r.OpenLink(context.Background(), "l", json.RawMessage(`{"shop":"s"}`), nil); err != nil {
		t.Fatal(err)
	}
	stream, err := r.c.ReadProducts(context.Background(), &pb.ReadProductsRequest{LinkId: "l"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		msg, err := stream.Recv() // generated client: protobuf-go decodes
		if errors.Is(err, io.EOF) {
			if i != len(page.Items) {
				t.Fatalf("old host read %d pages, want %d", i, len(page.Items))
			}
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(msg.Products[0], productToProto(&page.Items[i])) {
			t.Fatalf("old host read product %d as %v", i, msg.Products[0])
		}
	}
}

func dialServer(t *testing.T, register func(*grpc.Server)) *RemoteConnector {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer()
	register(s)
	go func() { _ = s.Serve(lis) }()
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return lis.Dial() }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close(); s.Stop() })
	return newRemote(cc)
}

func randWrites(rng *rand.Rand) []ProductWrite {
	ws := make([]ProductWrite, rng.Intn(5))
	for i := range ws {
		ws[i] = ProductWrite{Key: randString(rng), Product: randProduct(rng), IdempotencyKey: randString(rng)}
		for range rng.Intn(3) {
			ws[i].Fields = append(ws[i].Fields, randString(rng))
		}
	}
	return ws
}

// writesToProto is the request the host sent before the codec.
func writesToProto(link string, ws []ProductWrite) *pb.WriteProductsRequest {
	req := &pb.WriteProductsRequest{LinkId: link}
	for i := range ws {
		w := &ws[i]
		req.Items = append(req.Items, &pb.ProductWrite{Key: w.Key, Product: productToProto(&w.Product), IdempotencyKey: w.IdempotencyKey, Fields: w.Fields})
	}
	return req
}

// writesFromProto is what the server read before the codec.
func writesFromProto(b []byte) (string, []ProductWrite, error, error) {
	var req pb.WriteProductsRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		return "", nil, err, nil
	}
	var out []ProductWrite
	for i, it := range req.Items {
		p := Product{}
		if it.Product != nil {
			var err error
			if p, err = productFromProto(it.Product); err != nil {
				return "", nil, nil, fmt.Errorf("items[%d]: %w", i, err)
			}
		}
		out = append(out, ProductWrite{Key: it.Key, Product: p, IdempotencyKey: it.IdempotencyKey, Fields: it.Fields})
	}
	return req.LinkId, out, nil, nil
}

func TestWriteRequestCodecMatchesProtobufGo(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	for i := range 2000 {
		link, ws := randString(rng), randWrites(rng)
		bs, err := (&writeProductsMsg{linkID: link, writes: ws}).marshal()
		if err != nil {
			t.Fatal(err)
		}
		b := bs.Materialize()
		bs.Free()
		want := writesToProto(link, ws)
		var got pb.WriteProductsRequest
		if err := proto.Unmarshal(b, &got); err != nil || !proto.Equal(&got, want) {
			t.Fatalf("request %d: protobuf-go reads %v (%v), want %v", i, &got, err, want)
		}
		pbBytes, _ := proto.Marshal(want)
		checkSameWrites(t, pbBytes)
	}
	// A product field given twice is merged; a write without a product is
	// an empty product.
	p1, _ := proto.Marshal(&pb.Product{Id: "a", Variants: []*pb.Variant{{Sku: "1"}}})
	p2, _ := proto.Marshal(&pb.Product{Title: "t", Variants: []*pb.Variant{{Sku: "2"}}})
	item := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), p1)
	item = protowire.AppendBytes(protowire.AppendTag(item, 2, protowire.BytesType), p2)
	req := protowire.AppendBytes(protowire.AppendTag(nil, 2, protowire.BytesType), item)
	req = protowire.AppendBytes(protowire.AppendTag(req, 2, protowire.BytesType), protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "k"))
	checkSameWrites(t, req)
	good, _ := proto.Marshal(writesToProto("l", []ProductWrite{{Key: "k", Product: sampleProduct()}}))
	for i := range good {
		checkSameWrites(t, good[:i])
	}
}

func checkSameWrites(t *testing.T, b []byte) {
	t.Helper()
	link, want, wireErr, convErr := writesFromProto(b)
	var got writeProductsMsg
	err := got.unmarshal(b)
	if (err != nil) != (wireErr != nil) {
		t.Fatalf("% x: codec error %v, protobuf-go error %v", b, err, wireErr)
	}
	if err != nil {
		return
	}
	if (got.err != nil) != (convErr != nil) || (convErr != nil && got.err.Error() != convErr.Error()) {
		t.Fatalf("% x: codec says %v, the generated path says %v", b, got.err, convErr)
	}
	if got.err == nil && (got.linkID != link || !reflect.DeepEqual(got.writes, want)) {
		t.Fatalf("% x: codec reads %q %+v, want %q %+v", b, got.linkID, got.writes, link, want)
	}
}

// oldWriter answers WriteProducts as a connector built before the codec.
type oldWriter struct {
	oldServer
	got *pb.WriteProductsRequest
}

func (s *oldWriter) WriteProducts(_ context.Context, req *pb.WriteProductsRequest) (*pb.WriteProductsResponse, error) {
	s.got = req
	return &pb.WriteProductsResponse{Results: []*pb.ProductWriteResult{{Key: req.Items[0].Key, Product: &pb.Product{Id: "new"}}}}, nil
}

func TestProductWritesCrossOldAndNewPeers(t *testing.T) {
	ws := []ProductWrite{{Key: "k1", Product: sampleProduct(), IdempotencyKey: "i1", Fields: []string{FieldTitle, FieldPrice}}}
	old := &oldWriter{}
	r := dialServer(t, func(s *grpc.Server) { pb.RegisterConnectorServiceServer(s, old) })
	l, err := r.OpenLink(context.Background(), "l", json.RawMessage(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.WriteProducts(context.Background(), ws)
	if err != nil || len(res) != 1 || res[0].Product.ID != "new" {
		t.Fatalf("new host writing to an old connector: %+v %v", res, err)
	}
	if want := writesToProto("l", ws); !proto.Equal(old.got, want) {
		t.Fatalf("old connector received %v, want %v", old.got, want)
	}

	m := &memConnector{caps: []Capability{CapProductsWrite}}
	nr := dial(t, m)
	if _, err := nr.OpenLink(context.Background(), "l", json.RawMessage(`{"shop":"s"}`), nil); err != nil {
		t.Fatal(err)
	}
	// The generated client is what an old host sends with.
	ans, err := nr.c.WriteProducts(context.Background(), writesToProto("l", ws))
	if err != nil {
		t.Fatal(err)
	}
	if len(ans.Results) != 1 || ans.Results[0].Key != "k1" || ans.Results[0].Product.GetId() != "p0" || ans.Results[0].Product.Variants[0].Price.GetAmount() != "125" {
		t.Fatalf("old host read the answer %v", ans)
	}
	b, _ := proto.Marshal(writesToProto("l", ws))
	_, want, _, _ := writesFromProto(b) // what a connector read before the codec
	if !reflect.DeepEqual(m.written, want) {
		t.Fatalf("new connector received %+v from an old host, want %+v", m.written, want)
	}
}

func randResults(rng *rand.Rand) []ProductWriteResult {
	rs := make([]ProductWriteResult, rng.Intn(5))
	for i := range rs {
		rs[i] = ProductWriteResult{Key: randString(rng), Product: randProduct(rng)}
		if rng.Intn(3) == 0 {
			classes := []Class{ClassUnknown, ClassRetryable, ClassRateLimited, ClassInvalid, ClassNotFound, ClassConflict, ClassUnauthenticated, ClassUnsupported}
			rs[i].Err = &Error{Class: classes[rng.Intn(len(classes))], Message: randString(rng), Field: randString(rng), Code: randString(rng),
				RetryAfter: time.Duration(rng.Int63n(5e9))}
		}
	}
	return rs
}

// resultsFromProto is what RemoteLink read before the codec.
func resultsFromProto(b []byte) ([]ProductWriteResult, error) {
	var res pb.WriteProductsResponse
	if err := proto.Unmarshal(b, &res); err != nil {
		return nil, err
	}
	out := make([]ProductWriteResult, len(res.Results))
	for i, r := range res.Results {
		out[i] = ProductWriteResult{Key: r.Key, Err: errorFromProto(r.Error)}
		if r.Product != nil {
			p, err := productFromProto(r.Product)
			if err != nil {
				out[i].Err = AsError(fmt.Errorf("connector answered a bad product: %w", err))
				continue
			}
			out[i].Product = p
		}
	}
	return out, nil
}

func TestWriteResultCodecMatchesProtobufGo(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	for i := range 2000 {
		rs := randResults(rng)
		want := &pb.WriteProductsResponse{}
		for j := range rs {
			want.Results = append(want.Results, &pb.ProductWriteResult{Key: rs[j].Key, Product: productToProto(&rs[j].Product), Error: errorToProto(rs[j].Err)})
		}
		bs, err := (&writeResultsMsg{results: rs}).marshal()
		if err != nil {
			t.Fatal(err)
		}
		b := bs.Materialize()
		bs.Free()
		var got pb.WriteProductsResponse
		if err := proto.Unmarshal(b, &got); err != nil || !proto.Equal(&got, want) {
			t.Fatalf("answer %d: protobuf-go reads %v (%v), want %v", i, &got, err, want)
		}
		pbBytes, _ := proto.Marshal(want)
		checkSameResults(t, pbBytes)
	}
	bad, _ := proto.Marshal(&pb.WriteProductsResponse{Results: []*pb.ProductWriteResult{{Key: "k", Product: &pb.Product{Variants: []*pb.Variant{{Price: &pb.Money{Amount: "x"}}}}}}})
	checkSameResults(t, bad)
	for i := range bad {
		checkSameResults(t, bad[:i])
	}
}

func checkSameResults(t *testing.T, b []byte) {
	t.Helper()
	want, wireErr := resultsFromProto(b)
	var got writeResultsMsg
	err := got.unmarshal(b)
	if (err != nil) != (wireErr != nil) {
		t.Fatalf("% x: codec error %v, protobuf-go error %v", b, err, wireErr)
	}
	if err != nil {
		return
	}
	if len(got.results) != len(want) {
		t.Fatalf("% x: codec reads %d results, want %d", b, len(got.results), len(want))
	}
	for i := range want {
		g, w := got.results[i], want[i]
		if (g.Err == nil) != (w.Err == nil) || (g.Err != nil && (g.Err.Error() != w.Err.Error() || g.Err.Class != w.Err.Class || g.Err.RetryAfter != w.Err.RetryAfter)) {
			t.Fatalf("% x: result %d error %v, want %v", b, i, g.Err, w.Err)
		}
		if g.Key != w.Key || !reflect.DeepEqual(g.Product, w.Product) {
			t.Fatalf("% x: result %d reads %+v, want %+v", b, i, g, w)
		}
	}
}

// A SKU kept after a read must not keep the product's description alive:
// bindings hold SKUs and ids for a whole catalogue.
func TestKeptIdentifiersDoNotHoldTheProduct(t *testing.T) {
	p := sampleProduct()
	p.Description = strings.Repeat("long text ", 100)
	page, err := DecodeProductPage(encodePage(t, ProductPage{Items: []Product{p}}))
	if err != nil {
		t.Fatal(err)
	}
	got := page.Items[0]
	// Identifiers share one small string; the description another.
	sku, desc := unsafe.StringData(got.Variants[0].SKU), unsafe.StringData(got.Description)
	idBlock := uintptr(unsafe.Pointer(unsafe.StringData(got.ID)))
	if d := uintptr(unsafe.Pointer(sku)) - idBlock; d > 200 {
		t.Fatalf("the SKU is %d bytes from the product id: not in the identifiers' string", d)
	}
	if uintptr(unsafe.Pointer(desc)) >= idBlock && uintptr(unsafe.Pointer(desc)) < idBlock+200 {
		t.Fatal("the description shares the identifiers' string")
	}
}
