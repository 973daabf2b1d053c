package flow

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
	"github.com/shopbridge/shopbridge/sdk"
)

// memOrders is the channel side for flow tests: a list of orders, read by
// id. The end-to-end tests use the real connectors against the sandboxes.
type memOrders struct {
	mu     sync.Mutex
	orders map[string]sdk.Order
}

func (m *memOrders) put(o sdk.Order) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.orders[o.ID] = o
}

func (m *memOrders) ReadOrders(_ context.Context, req sdk.ReadRequest, emit func(sdk.OrderPage) error) error {
	m.mu.Lock()
	var page sdk.OrderPage
	for _, id := range req.IDs {
		if o, ok := m.orders[id]; ok {
			page.Items = append(page.Items, o)
		}
	}
	m.mu.Unlock()
	page.Last = true
	return emit(page)
}

type orderEnv struct {
	rb    *rbsandbox.Server
	cat   *catalog.Catalog
	flow  *Orders
	ch    *memOrders
	store *state.DB
}

func newOrderEnv(t *testing.T, mutate func(*config.OrdersSettings)) *orderEnv {
	t.Helper()
	cat := catalog.Generate(catalog.Config{Products: 20, Seed: 7})
	rb := rbsandbox.New(rbsandbox.Options{Catalog: cat, Tokens: []string{"tok"}, RequestsPerMinute: -1, Prerequisites: true})
	t.Cleanup(rb.Close)
	srv := httptest.NewServer(rb)
	t.Cleanup(srv.Close)
	client, err := rackbeat.New(srv.URL+"/api", "tok")
	if err != nil {
		t.Fatal(err)
	}
	db, err := state.Open(context.Background(), state.Options{Driver: state.DriverSQLite, Path: filepath.Join(t.TempDir(), "state.db"), SecretKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	s := config.OrdersSettings{Enabled: true, Trigger: "paid", State: "ready_to_ship", Numbering: "rackbeat", PaymentTerms: 3,
		Language: "en", CustomerGroup: 1, VATZone: "domestic", Currency: "SEK", Employee: 2, ShippingProduct: "frakt", AddVAT: true}
	if mutate != nil {
		mutate(&s)
	}
	ch := &memOrders{orders: map[string]sdk.Order{}}
	return &orderEnv{rb: rb, cat: cat, ch: ch, store: db, flow: &Orders{
		Link: "webshop", Channel: "Shopify", Settings: s, VATRate: decimal.RequireFromString("0.25"),
		Source: ch, Inventory: client, Store: db,
	}}
}

func (e *orderEnv) sku(i int) string { return e.cat.Products[i].Variants[0].SKU }

func (e *orderEnv) order(id string, mutate func(*sdk.Order)) sdk.Order {
	o := sdk.Order{
		ID: id, Number: "#" + strings.TrimPrefix(id, "o"), Currency: "SEK", TaxesIncluded: true, FinancialState: sdk.FinancialPaid,
		CreatedAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		Customer:  sdk.Customer{Email: "Ada@Example.se", FirstName: "Ada", LastName: "Lovelace"},
		Lines: []sdk.OrderLine{
			{SKU: e.sku(0), Title: "Mug", Quantity: 2, UnitPrice: sdk.MustMoney("125.00", "SEK"), TotalDiscount: sdk.MustMoney("25.00", "SEK"),
				TaxLines: []sdk.TaxLine{{Title: "Moms", Rate: "0.25", Amount: sdk.MustMoney("45.00", "SEK")}}},
			{SKU: e.sku(1), Title: "Plate", Quantity: 1, UnitPrice: sdk.MustMoney("62.50", "SEK"),
				TaxLines: []sdk.TaxLine{{Title: "Moms", Rate: "0.25", Amount: sdk.MustMoney("12.50", "SEK")}}},
		},
		ShippingLines: []sdk.ShippingLine{{Title: "PostNord", Price: sdk.MustMoney("49.00", "SEK"), TaxLines: []sdk.TaxLine{{Rate: "0.25"}}}},
	}
	if mutate != nil {
		mutate(&o)
	}
	e.ch.put(o)
	return o
}

func (e *orderEnv) rbOrders() []rbsandbox.Order { return e.rb.Orders() }

func TestOrderImportedOnceWithLinesCustomerAndState(t *testing.T) {
	e := newOrderEnv(t, nil)
	ctx := context.Background()
	e.order("o1042", nil)
	res, err := e.flow.Import(ctx, "o1042", false)
	if err != nil || res.Outcome != Imported {
		t.Fatalf("import: %+v %v", res, err)
	}
	orders := e.rbOrders()
	if len(orders) != 1 {
		t.Fatalf("Rackbeat has %d orders", len(orders))
	}
	o := orders[0]
	if !o.IsBooked || !o.IsReadyForShipping || o.IsShipped {
		t.Errorf("state: want ready to ship, got %+v", o)
	}
	if o.Heading != "Shopify #1042" || o.OtherReference != "shopbridge:webshop:o1042" || o.EmployeeID != 2 || o.PaymentTermsID != 3 || o.Currency != "SEK" {
		t.Errorf("order fields: %+v", o)
	}
	if len(o.Lines) != 3 || o.Lines[0].ItemID != e.sku(0) || o.Lines[0].LinePrice.String() != "100" || o.Lines[0].DiscountPercentage.String() != "10" {
		t.Errorf("first line: %+v", o.Lines)
	}
	if o.Lines[2].ItemID != "frakt" || o.Lines[2].LinePrice.String() != "39.2" {
		t.Errorf("shipping line: %+v", o.Lines[2])
	}
	cs := e.rb.Customers()
	var ada *rbsandbox.Customer
	for i := range cs {
		if cs[i].ContactEmail == "ada@example.se" {
			ada = &cs[i]
		}
	}
	if ada == nil || ada.CustomerGroupID != 1 || ada.VATZone != "domestic" || ada.Currency != "SEK" || o.CustomerID != ada.Number {
		t.Fatalf("customer: %+v (order customer %d)", ada, o.CustomerID)
	}
	if len(e.rb.Mails()) != 0 {
		t.Errorf("send_confirmation is off but %d mails were sent", len(e.rb.Mails()))
	}

	// Again, and with the same customer on a new order: nothing doubles.
	res, err = e.flow.Import(ctx, "o1042", false)
	if err != nil || res.Outcome != AlreadyImported || res.RackbeatNumber != int64(o.Number) {
		t.Fatalf("second import: %+v %v", res, err)
	}
	e.order("o1043", nil)
	if _, err := e.flow.Import(ctx, "o1043", false); err != nil {
		t.Fatal(err)
	}
	if n := len(e.rbOrders()); n != 2 {
		t.Fatalf("want 2 orders, got %d", n)
	}
	if len(e.rb.Customers()) != len(cs) {
		t.Fatal("a customer with the same e-mail was created twice")
	}
}

func TestOrderInterruptedAfterCreateIsHealedNotDuplicated(t *testing.T) {
	e := newOrderEnv(t, nil)
	ctx := context.Background()
	o := e.order("o7", nil)
	// An earlier attempt claimed the order and created it in Rackbeat, then
	// died before recording the number.
	if _, claimed, err := e.store.ClaimOrder(ctx, "webshop", "o7"); err != nil || !claimed {
		t.Fatal(claimed, err)
	}
	in, problem, err := e.flow.build(ctx, o)
	if err != nil || problem != "" {
		t.Fatal(problem, err)
	}
	if _, err := e.flow.Inventory.CreateOrder(ctx, in, true); err != nil {
		t.Fatal(err)
	}
	// Inside the lease another worker must back off, not race.
	if _, err := e.flow.Import(ctx, "o7", false); sdk.ClassOf(err) != sdk.ClassRetryable {
		t.Fatalf("inside the lease: want retryable, got %v", err)
	}
	e.flow.Now = func() time.Time { return time.Now().Add(time.Minute) }
	res, err := e.flow.Import(ctx, "o7", false)
	if err != nil || res.Outcome != Healed {
		t.Fatalf("want healed, got %+v %v", res, err)
	}
	orders := e.rbOrders()
	if len(orders) != 1 || !orders[0].IsReadyForShipping {
		t.Fatalf("want the one order moved on to ready to ship, got %+v", orders)
	}
}

func TestOrderWithUnknownSKUGoesToQuarantineAndOthersFlow(t *testing.T) {
	e := newOrderEnv(t, nil)
	ctx := context.Background()
	e.order("bad", func(o *sdk.Order) { o.Lines[1].SKU = "DELETED-1" })
	e.order("good", nil)
	res, err := e.flow.Import(ctx, "bad", false)
	if err != nil || res.Outcome != Quarantined || !strings.Contains(res.Reason, `"DELETED-1"`) || !strings.Contains(res.Reason, "create product") {
		t.Fatalf("want quarantine naming the SKU and the fix, got %+v %v", res, err)
	}
	if res, err := e.flow.Import(ctx, "good", false); err != nil || res.Outcome != Imported {
		t.Fatalf("the next order must flow: %+v %v", res, err)
	}
	q, err := e.store.ListQuarantine(ctx, state.QuarantineFilter{Link: "webshop"})
	if err != nil || len(q) != 1 || q[0].Key != "bad" || !strings.Contains(string(q[0].Payload), `"channel_order_id":"bad"`) {
		t.Fatalf("quarantine: %+v %v", q, err)
	}
}

func TestOrderStatusDraftBookedShippedInvoiced(t *testing.T) {
	for _, st := range []string{"draft", "booked", "shipped", "invoiced"} {
		t.Run(st, func(t *testing.T) {
			e := newOrderEnv(t, func(s *config.OrdersSettings) { s.State = st })
			e.order("o1", nil)
			if _, err := e.flow.Import(context.Background(), "o1", false); err != nil {
				t.Fatal(err)
			}
			o := e.rbOrders()[0]
			got := map[string]bool{"draft": o.IsDraft && !o.IsBooked, "booked": o.IsBooked && !o.IsShipped, "shipped": o.IsShipped && !o.IsInvoiced, "invoiced": o.IsInvoiced}
			if !got[st] {
				t.Fatalf("want %s, got %+v", st, o)
			}
		})
	}
}

func TestOrderTriggerPaidWaitsForPayment(t *testing.T) {
	e := newOrderEnv(t, nil)
	e.order("o1", func(o *sdk.Order) { o.FinancialState = sdk.FinancialPending })
	res, err := e.flow.Import(context.Background(), "o1", false)
	if err != nil || res.Outcome != NotTriggered || len(e.rbOrders()) != 0 {
		t.Fatalf("an unpaid order must wait: %+v %v", res, err)
	}
	e.order("o1", nil)
	if res, err := e.flow.Import(context.Background(), "o1", false); err != nil || res.Outcome != Imported {
		t.Fatalf("once paid it is imported: %+v %v", res, err)
	}
}

func TestOrderNumberingUsesChannelNumber(t *testing.T) {
	e := newOrderEnv(t, func(s *config.OrdersSettings) { s.Numbering = "channel" })
	e.order("o1042", nil)
	if _, err := e.flow.Import(context.Background(), "o1042", false); err != nil {
		t.Fatal(err)
	}
	if n := e.rbOrders()[0].Number; n != 1042 {
		t.Fatalf("Rackbeat order number %d, want the channel's 1042", n)
	}
}

func TestOrderSendConfirmationMailsTheCustomer(t *testing.T) {
	e := newOrderEnv(t, func(s *config.OrdersSettings) { s.SendConfirmation = true })
	e.order("o1", nil)
	if _, err := e.flow.Import(context.Background(), "o1", false); err != nil {
		t.Fatal(err)
	}
	if len(e.rb.Mails()) != 1 {
		t.Fatalf("want one confirmation mail, got %d", len(e.rb.Mails()))
	}
}

func TestOrderShippingWithoutShippingProductIsQuarantined(t *testing.T) {
	e := newOrderEnv(t, func(s *config.OrdersSettings) { s.ShippingProduct = "" })
	e.order("o1", nil)
	res, _ := e.flow.Import(context.Background(), "o1", false)
	if res.Outcome != Quarantined || !strings.Contains(res.Reason, "orders.shipping_product") {
		t.Fatalf("want quarantine naming orders.shipping_product, got %+v", res)
	}
}

// Shopbox receipts carry VAT-inclusive prices and no tax lines; "add VAT"
// decides whether Rackbeat registers them with VAT.
func TestOrderAddVAT(t *testing.T) {
	for _, addVAT := range []bool{true, false} {
		e := newOrderEnv(t, func(s *config.OrdersSettings) { s.AddVAT = addVAT })
		e.flow.Channel = "Shopbox"
		e.order("s1", func(o *sdk.Order) {
			o.Customer = sdk.Customer{}
			o.Lines = []sdk.OrderLine{{SKU: e.sku(0), Quantity: 1, UnitPrice: sdk.MustMoney("125.00", "DKK")}}
			o.ShippingLines = nil
			o.Currency = "DKK"
		})
		if _, err := e.flow.Import(context.Background(), "s1", false); err != nil {
			t.Fatal(err)
		}
		o := e.rbOrders()[0]
		if addVAT && (o.Lines[0].LinePrice.String() != "100" || o.VATZone != "domestic") {
			t.Errorf("add_vat on: want net 100 in the domestic zone, got %s %s", o.Lines[0].LinePrice, o.VATZone)
		}
		if !addVAT && (o.Lines[0].LinePrice.String() != "125" || o.VATZone == "domestic") {
			t.Errorf("add_vat off: want 125 without VAT, got %s %s", o.Lines[0].LinePrice, o.VATZone)
		}
	}
}

func TestOrderCancelledInChannelIsCancelledInRackbeat(t *testing.T) {
	e := newOrderEnv(t, func(s *config.OrdersSettings) { s.State = "booked" })
	ctx := context.Background()
	e.order("o1", nil)
	if _, err := e.flow.Import(ctx, "o1", false); err != nil {
		t.Fatal(err)
	}
	e.order("o1", func(o *sdk.Order) { o.CancelledAt = time.Now() })
	res, err := e.flow.Import(ctx, "o1", false)
	if err != nil || res.Outcome != CancelReflected || !e.rbOrders()[0].IsCancelled {
		t.Fatalf("cancel: %+v %v %+v", res, err, e.rbOrders())
	}
}

func TestOrderForcedImportCreatesADeliberateDuplicate(t *testing.T) {
	e := newOrderEnv(t, nil)
	ctx := context.Background()
	e.order("o1", nil)
	first, _ := e.flow.Import(ctx, "o1", false)
	res, err := e.flow.Import(ctx, "o1", true)
	if err != nil || res.Outcome != Imported || res.RackbeatNumber == first.RackbeatNumber || len(e.rbOrders()) != 2 {
		t.Fatalf("forced: %+v %v", res, err)
	}
	if b, _, _ := e.store.OrderBinding(ctx, "webshop", "o1"); b.RackbeatNumber != first.RackbeatNumber {
		t.Fatal("a forced import must not move the binding")
	}
}

// A store restored from an older back-up (or a new database) has no
// binding for an order that is already in Rackbeat: the import must find
// it by its reference, not create it again.
func TestOrderAlreadyInRackbeatWithoutBindingIsNotCreatedAgain(t *testing.T) {
	e := newOrderEnv(t, nil)
	ctx := context.Background()
	e.order("o9", nil)
	first, err := e.flow.Import(ctx, "o9", false)
	if err != nil || first.Outcome != Imported {
		t.Fatalf("first import: %+v %v", first, err)
	}
	// The same Rackbeat account, a fresh store.
	fresh, err := state.Open(ctx, state.Options{Driver: state.DriverSQLite, Path: filepath.Join(t.TempDir(), "fresh.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	e.flow.Store = fresh
	res, err := e.flow.Import(ctx, "o9", false)
	if err != nil || res.Outcome != Healed || res.RackbeatNumber != first.RackbeatNumber || len(e.rbOrders()) != 1 {
		t.Fatalf("after a restore: %+v %v, %d orders in Rackbeat", res, err, len(e.rbOrders()))
	}
}
