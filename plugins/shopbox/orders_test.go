package shopbox_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	sandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	"github.com/shopbridge/shopbridge/sdk"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestOrdersByWindowWithLinesShippingAndCancellation(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	sku := unitSKU(e.sb, 0)
	price := int64(19900)
	first, err := e.sb.PlaceSale(sandbox.Sale{
		Items:    []sandbox.SaleItem{{SKU: sku, Quantity: 2, Discount: 1000, Price: &price}},
		Shipping: 4900, ShippingName: "Frakt",
	})
	if err != nil {
		t.Fatal(err)
	}
	orders, cursor := readAllOrders(t, l, "")
	if len(orders) != 1 {
		t.Fatalf("read %d orders, want 1", len(orders))
	}
	o := orders[0]
	if o.ID != strconv.Itoa(first.UID) || o.LocationID != strconv.Itoa(first.CashRegister) || o.Attributes["branch"] != strconv.Itoa(first.Branch) {
		t.Errorf("order %s at %s (branch %s), want %d at cash register %d, branch %d", o.ID, o.LocationID, o.Attributes["branch"], first.UID, first.CashRegister, first.Branch)
	}
	if !o.TaxesIncluded || o.FinancialState != sdk.FinancialPaid || o.FulfillmentState != sdk.FulfillmentFulfilled || o.Cancelled() {
		t.Errorf("a POS sale should be paid, fulfilled, not cancelled, prices incl. tax: %+v", o)
	}
	if len(o.Lines) != 1 || len(o.ShippingLines) != 1 {
		t.Fatalf("want one product line and one shipping line, got %+v / %+v", o.Lines, o.ShippingLines)
	}
	ln := o.Lines[0]
	if ln.SKU != sku || ln.Quantity != 2 || !ln.UnitPrice.Amount.Equal(dec("199.00")) || !ln.TotalDiscount.Amount.Equal(dec("10.00")) {
		t.Errorf("line %+v, want 2 × %s at 199.00 with 10.00 discount", ln, sku)
	}
	// 2 × 199.00 − 10.00 = 388.00 incl. 25 % VAT holds 77.60 VAT.
	if len(ln.TaxLines) != 1 || !ln.TaxLines[0].Amount.Amount.Equal(dec("77.60")) {
		t.Errorf("line tax %+v, want 77.60", ln.TaxLines)
	}
	if s := o.ShippingLines[0]; s.Title != "Frakt" || !s.Price.Amount.Equal(dec("49.00")) {
		t.Errorf("shipping %+v, want Frakt 49.00", s)
	}
	if !o.Total.Amount.Equal(dec("437.00")) || o.Currency != "DKK" {
		t.Errorf("total %s, want 437.00 DKK", o.Total)
	}

	// Nothing new: the next run hands out nothing again.
	again, cursor2 := readAllOrders(t, l, cursor)
	if len(again) != 0 {
		t.Errorf("a second run repeated %d orders", len(again))
	}
	// A new sale and the cancellation of the first arrive in the next run.
	second, err := e.sb.PlaceSale(sandbox.Sale{Items: []sandbox.SaleItem{{SKU: sku, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sb.CancelBasket(first.UID); err != nil {
		t.Fatal(err)
	}
	next, _ := readAllOrders(t, l, cursor2)
	got := map[string]sdk.Order{}
	for _, o := range next {
		got[o.ID] = o
	}
	if _, ok := got[strconv.Itoa(second.UID)]; !ok {
		t.Errorf("the new sale %d was not read", second.UID)
	}
	if c, ok := got[strconv.Itoa(first.UID)]; !ok || !c.Cancelled() {
		t.Errorf("the cancellation of sale %d was not read: %+v", first.UID, c)
	}
	if len(next) != 2 {
		t.Errorf("the third run read %d orders, want 2", len(next))
	}

	// The seed's manual "sync order by Shopbox order id".
	var byID []sdk.Order
	err = l.ReadOrders(context.Background(), sdk.ReadRequest{IDs: []string{strconv.Itoa(second.UID)}}, func(p sdk.OrderPage) error {
		byID = append(byID, p.Items...)
		return nil
	})
	if err != nil || len(byID) != 1 || byID[0].ID != strconv.Itoa(second.UID) {
		t.Errorf("reading order %d by id gave %v, %+v", second.UID, err, byID)
	}
	err = l.ReadOrders(context.Background(), sdk.ReadRequest{IDs: []string{"999999"}}, func(sdk.OrderPage) error { return nil })
	if sdk.ClassOf(err) != sdk.ClassNotFound {
		t.Errorf("an unknown order id gave %v, want not_found", err)
	}
}

func TestPushesAreVerifiedAndForgedOnesRejected(t *testing.T) {
	var mu sync.Mutex
	var got []sdk.Webhook
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, sdk.Webhook{Header: r.Header.Clone(), Body: body})
		mu.Unlock()
	}))
	defer recv.Close()
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	ctx := context.Background()

	subs, err := l.EnsureWebhooks(ctx, recv.URL+"/hooks", nil)
	if err != nil || len(subs) != 2 || !subs[0].Created {
		t.Fatalf("EnsureWebhooks: %v %+v", err, subs)
	}
	subs, err = l.EnsureWebhooks(ctx, recv.URL+"/hooks", nil)
	if err != nil || subs[0].Created || subs[1].Created {
		t.Fatalf("EnsureWebhooks twice created again: %v %+v", err, subs)
	}
	sale, err := e.sb.PlaceSale(sandbox.Sale{Items: []sandbox.SaleItem{{SKU: unitSKU(e.sb, 1), Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sb.FlushPushes(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	pushes := append([]sdk.Webhook(nil), got...)
	mu.Unlock()
	if len(pushes) != 1 {
		t.Fatalf("%d pushes arrived, want 1", len(pushes))
	}
	res, err := l.HandleWebhook(ctx, pushes[0])
	if err != nil {
		t.Fatalf("a genuine push was refused: %v", err)
	}
	if res.DeliveryID == "" || len(res.Events) != 1 || res.Events[0].Type != sdk.EventOrderCreated || res.Events[0].ID != strconv.Itoa(sale.UID) {
		t.Errorf("the push gave %+v, want order.created %d with a delivery id", res, sale.UID)
	}

	// Forged: a changed body under the genuine signature, a body signed
	// with another secret, and no signature at all.
	var b map[string]any
	_ = json.Unmarshal(pushes[0].Body, &b)
	b["total"] = 1
	forgedBody, _ := json.Marshal(b)
	otherSecret := pushes[0].Header.Clone()
	otherSecret.Set("X-Shopbox-Signature", sandbox.Sign("guessed-secret", forgedBody))
	unsigned := pushes[0].Header.Clone()
	unsigned.Del("X-Shopbox-Signature")
	for name, w := range map[string]sdk.Webhook{
		"changed body": {Header: pushes[0].Header, Body: forgedBody},
		"other secret": {Header: otherSecret, Body: forgedBody},
		"no signature": {Header: unsigned, Body: pushes[0].Body},
		"garbage":      {Header: http.Header{"X-Shopbox-Signature": {"sha256=zz"}}, Body: pushes[0].Body},
	} {
		if _, err := l.HandleWebhook(ctx, w); sdk.ClassOf(err) != sdk.ClassUnauthenticated {
			t.Errorf("forged push (%s) gave %v, want unauthenticated", name, err)
		}
	}
}
