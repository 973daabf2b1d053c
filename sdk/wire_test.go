package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"reflect"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// memConnector is a small in-process connector that records writes, for
// checking that every field survives the trip across the wire.
type memConnector struct {
	caps     []Capability
	products []Product
	orders   []Order
	written  []ProductWrite
	stock    []StockWriteRequest
}

func (m *memConnector) Describe() Description {
	return Description{Name: "mem", Version: "1.0.0", Capabilities: m.caps, SettingsSchema: json.RawMessage(`{"type":"object"}`)}
}

func (m *memConnector) OpenLink(_ context.Context, req OpenRequest) (Link, error) {
	var s struct {
		Shop string `json:"shop"`
	}
	if err := json.Unmarshal(req.Settings, &s); err != nil || s.Shop == "" {
		return nil, Invalid("shop", "is required")
	}
	if s.Shop == "partial" {
		return &partialLink{}, nil
	}
	return &memLink{m: m, account: s.Shop}, nil
}

type partialLink struct{}

func (*partialLink) Account() string                            { return "partial" }
func (*partialLink) Check(context.Context) (CheckReport, error) { return CheckReport{}, nil }
func (*partialLink) Close(context.Context) error                { return nil }

type memLink struct {
	m       *memConnector
	account string
}

func (l *memLink) Account() string { return l.account }
func (l *memLink) Check(context.Context) (CheckReport, error) {
	return CheckReport{Account: l.account, Items: []CheckItem{{Name: "authenticate", OK: true}}}, nil
}
func (l *memLink) Close(context.Context) error { return nil }

func (l *memLink) ReadProducts(_ context.Context, req ReadRequest, emit func(ProductPage) error) error {
	start := 0
	if req.Cursor != "" {
		start, _ = strconv.Atoi(req.Cursor)
	}
	for i := start; i < len(l.m.products); i++ {
		if err := emit(ProductPage{Items: l.m.products[i : i+1], Cursor: strconv.Itoa(i + 1), Last: i == len(l.m.products)-1}); err != nil {
			return err
		}
	}
	return nil
}

func (l *memLink) WriteProducts(_ context.Context, ws []ProductWrite) ([]ProductWriteResult, error) {
	l.m.written = append(l.m.written, ws...)
	out := make([]ProductWriteResult, len(ws))
	for i, w := range ws {
		out[i] = ProductWriteResult{Key: w.Key, Product: w.Product}
		if w.Product.Title == "" {
			out[i].Err = Invalid("title", "is required")
		}
		out[i].Product.ID = "p" + strconv.Itoa(i)
	}
	return out, nil
}

func (l *memLink) ReadOrders(_ context.Context, _ ReadRequest, emit func(OrderPage) error) error {
	return emit(OrderPage{Items: l.m.orders, Cursor: "end", Last: true})
}

func (l *memLink) WriteStock(_ context.Context, req StockWriteRequest) ([]StockWriteResult, error) {
	l.m.stock = append(l.m.stock, req)
	if req.IdempotencyKey == "throttle" {
		return nil, RateLimited(3*time.Second, "bucket empty")
	}
	out := make([]StockWriteResult, len(req.Rows))
	for i, r := range req.Rows {
		out[i] = StockWriteResult{Key: r.Key, Previous: 7}
	}
	return out, nil
}

func dial(t *testing.T, c Connector) *RemoteConnector {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	s := grpc.NewServer()
	registerServer(s, c, nil)
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

func sampleProduct() Product {
	return Product{
		ID: "gid://shopify/Product/1", Title: "Mug", Description: "<p>Blue</p>", Category: "Kitchen", Status: "active",
		UpdatedAt: time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC), Attributes: map[string]string{"vendor_code": "X"},
		Variants: []Variant{{
			ID: "v1", SKU: "MUG/1", Barcode: "5701234", Price: MustMoney("125.00", "DKK"), PriceIncludesVAT: true,
			Cost: MustMoney("40.123456", "DKK"), Weight: Weight{Value: MustMoney("0.4", "").Amount, Unit: Kilograms},
			Options: map[string]string{"Color": "Blue"},
		}},
		IsBOM: true, BOMLines: []BOMLine{{SKU: "A", Quantity: 2}},
	}
}

func TestProductsSurviveTheWireExactly(t *testing.T) {
	m := &memConnector{caps: []Capability{CapProductsRead, CapProductsWrite}, products: []Product{sampleProduct(), {ID: "2", Title: "Plate"}}}
	r := dial(t, m)
	ctx := context.Background()
	l, err := r.OpenLink(ctx, "shop1", json.RawMessage(`{"shop":"s.myshopify.com"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Account() != "s.myshopify.com" {
		t.Fatalf("account = %q", l.Account())
	}
	var got []Product
	var cursors []string
	if err := l.ReadProducts(ctx, ReadRequest{}, func(p ProductPage) error {
		got = append(got, p.Items...)
		cursors = append(cursors, p.Cursor)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !reflect.DeepEqual(cursors, []string{"1", "2"}) {
		t.Fatalf("got %d products, cursors %v", len(got), cursors)
	}
	want := sampleProduct()
	if !got[0].Variants[0].Price.Amount.Equal(want.Variants[0].Price.Amount) || got[0].Variants[0].Cost.Amount.String() != "40.123456" {
		t.Fatalf("money changed on the wire: %v / %v", got[0].Variants[0].Price, got[0].Variants[0].Cost)
	}
	got[0].Variants[0].Price, got[0].Variants[0].Cost, got[0].Variants[0].Weight = want.Variants[0].Price, want.Variants[0].Cost, want.Variants[0].Weight
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("product changed on the wire:\n got %+v\nwant %+v", got[0], want)
	}

	// Resuming from the first cursor yields only what came after it.
	var resumed []Product
	_ = l.ReadProducts(ctx, ReadRequest{Cursor: cursors[0]}, func(p ProductPage) error { resumed = append(resumed, p.Items...); return nil })
	if len(resumed) != 1 || resumed[0].ID != "2" {
		t.Fatalf("resume after cursor 1 gave %+v", resumed)
	}

	res, err := l.WriteProducts(ctx, []ProductWrite{{Key: "MUG/1", Product: sampleProduct(), Fields: []string{FieldPrice}}, {Key: "bad", Product: Product{}}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].Product.ID != "p0" || res[1].Err == nil || res[1].Err.Class != ClassInvalid || res[1].Err.Field != "title" {
		t.Fatalf("per-item results lost: %+v", res)
	}
	if !m.written[0].Carries(FieldPrice) || m.written[0].Carries(FieldTitle) {
		t.Fatalf("field mask lost: %v", m.written[0].Fields)
	}
}

func TestOrdersKeepDiscountsTaxesAndShipping(t *testing.T) {
	o := Order{
		ID: "1042", Number: "#1042", Currency: "SEK", TaxesIncluded: true, FinancialState: FinancialPaid, FulfillmentState: FulfillmentUnfulfilled,
		CreatedAt: time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC), Customer: Customer{Email: "a@b.se", FirstName: "Ada"},
		ShippingAddress: Address{Name: "Ada", City: "Malmö", CountryCode: "SE"},
		Lines: []OrderLine{{SKU: "MUG/1", Quantity: 2, UnitPrice: MustMoney("125.00", "SEK"), TotalDiscount: MustMoney("25.00", "SEK"),
			TaxLines: []TaxLine{{Title: "Moms", Rate: "0.25", Amount: MustMoney("45.00", "SEK")}, {Title: "Eco", Rate: "0.01", Amount: MustMoney("1.80", "SEK")}}}},
		ShippingLines: []ShippingLine{{Title: "PostNord", Price: MustMoney("49.00", "SEK")}},
		Total:         MustMoney("274.00", "SEK"),
	}
	r := dial(t, &memConnector{caps: []Capability{CapOrdersRead}, orders: []Order{o}})
	l, err := r.OpenLink(context.Background(), "x", json.RawMessage(`{"shop":"s"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []Order
	if err := l.ReadOrders(context.Background(), ReadRequest{}, func(p OrderPage) error { got = append(got, p.Items...); return nil }); err != nil {
		t.Fatal(err)
	}
	g := got[0]
	if g.Lines[0].TotalDiscount.String() != "25 SEK" || len(g.Lines[0].TaxLines) != 2 || g.Lines[0].TaxLines[1].Amount.Amount.String() != "1.8" ||
		g.ShippingLines[0].Price.Amount.String() != "49" || g.FinancialState != FinancialPaid || g.ShippingAddress.City != "Malmö" || g.Customer.Email != "a@b.se" {
		t.Fatalf("order changed on the wire: %+v", g)
	}
}

func TestErrorClassesCrossTheWire(t *testing.T) {
	m := &memConnector{caps: []Capability{CapStockWrite}}
	r := dial(t, m)
	ctx := context.Background()

	_, err := r.OpenLink(ctx, "x", json.RawMessage(`{}`), nil)
	var e *Error
	if !errors.As(err, &e) || e.Class != ClassInvalid || e.Field != "shop" {
		t.Fatalf("settings error lost its class or field: %#v", err)
	}

	l, err := r.OpenLink(ctx, "x", json.RawMessage(`{"shop":"s"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	five := int64(5)
	res, err := l.WriteStock(ctx, StockWriteRequest{IdempotencyKey: "k1", Rows: []StockWrite{{Key: "a", Level: StockLevel{SKU: "A", LocationID: "1", Quantity: 3}, Expected: &five}, {Key: "b"}}})
	if err != nil || len(res) != 2 || res[0].Previous != 7 {
		t.Fatalf("stock write: %v %+v", err, res)
	}
	if m.stock[0].Rows[0].Expected == nil || *m.stock[0].Rows[0].Expected != 5 || m.stock[0].Rows[1].Expected != nil {
		t.Fatal("expected quantity (compare-and-set) lost on the wire")
	}

	_, err = l.WriteStock(ctx, StockWriteRequest{IdempotencyKey: "throttle"})
	if !errors.As(err, &e) || e.Class != ClassRateLimited || e.RetryAfter != 3*time.Second {
		t.Fatalf("rate limit lost its class or retry_after: %#v", err)
	}

	_, err = l.WriteProducts(ctx, nil)
	if ClassOf(err) != ClassUnsupported {
		t.Fatalf("an undeclared call must be unsupported, got %v", err)
	}

	_, err = (&RemoteLink{c: r.c, id: "never-opened"}).Check(ctx)
	if ClassOf(err) != ClassNotFound {
		t.Fatalf("a call on a link never opened must be not_found, got %v", err)
	}
}

func TestDeclaredCapabilityMustBeImplemented(t *testing.T) {
	r := dial(t, &memConnector{caps: []Capability{CapProductsRead}})
	_, err := r.OpenLink(context.Background(), "x", json.RawMessage(`{"shop":"partial"}`), nil)
	if ClassOf(err) != ClassUnsupported {
		t.Fatalf("want unsupported for a link lacking a declared capability, got %v", err)
	}
}

func TestCredentialsNeverPrint(t *testing.T) {
	c := Credentials{AccessToken: "shpat_secret", RefreshToken: "r_secret"}
	for _, s := range []string{c.String(), c.GoString()} {
		if s != "[credentials redacted]" {
			t.Fatalf("credentials printed as %q", s)
		}
	}
}
