package shopify

import (
	"context"
	"net/http"
	"testing"

	sandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

func TestOrderWithDiscountTwoTaxesAndShippingMappedExactly(t *testing.T) {
	e := newEnv(t, 20, nil)
	ctx := context.Background()
	lv := e.levels(t, 1)[0]
	id, err := e.sb.PlaceOrder(sandbox.OrderInput{
		Email: "anna@example.se", FirstName: "Anna", LastName: "Svensson", FinancialStatus: "paid",
		Lines: []sandbox.OrderLine{{SKU: lv.SKU, Quantity: 3, Price: "99.90", Discount: "19.98", TaxLines: []sandbox.TaxLine{
			{Title: "Moms", Rate: "0.12", Price: "25.69"}, {Title: "Miljöavgift", Rate: "0.013", Price: "3.63"}}}},
		Shipping: &sandbox.ShippingInput{Title: "PostNord", Price: "49.00", TaxLines: []sandbox.TaxLine{{Title: "Moms", Rate: "0.25", Price: "9.80"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []sdk.Order
	if err := e.link.ReadOrders(ctx, sdk.ReadRequest{IDs: []string{id}}, func(p sdk.OrderPage) error { got = append(got, p.Items...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("read %d orders, want 1", len(got))
	}
	o := got[0]
	eq := func(what string, m sdk.Money, want string) {
		t.Helper()
		if m.Amount.String() != sdk.MustMoney(want, "SEK").Amount.String() || m.Currency != "SEK" {
			t.Errorf("%s = %s, want %s SEK", what, m, want)
		}
	}
	if o.Customer.Email != "anna@example.se" || o.Customer.FirstName != "Anna" || o.Customer.LastName != "Svensson" {
		t.Errorf("customer = %+v", o.Customer)
	}
	if o.FinancialState != sdk.FinancialPaid || o.Currency != "SEK" || o.Cancelled() {
		t.Errorf("state %q currency %q cancelled %v", o.FinancialState, o.Currency, o.Cancelled())
	}
	if len(o.Lines) != 1 || o.Lines[0].SKU != lv.SKU || o.Lines[0].Quantity != 3 {
		t.Fatalf("lines = %+v", o.Lines)
	}
	l := o.Lines[0]
	eq("unit price", l.UnitPrice, "99.90")
	eq("line discount", l.TotalDiscount, "19.98")
	if len(l.TaxLines) != 2 || l.TaxLines[0].Rate != "0.12" || l.TaxLines[1].Rate != "0.013" || l.TaxLines[1].Title != "Miljöavgift" {
		t.Fatalf("line taxes = %+v", l.TaxLines)
	}
	eq("tax 1", l.TaxLines[0].Amount, "25.69")
	eq("tax 2", l.TaxLines[1].Amount, "3.63")
	if len(o.ShippingLines) != 1 || o.ShippingLines[0].Title != "PostNord" {
		t.Fatalf("shipping = %+v", o.ShippingLines)
	}
	eq("shipping", o.ShippingLines[0].Price, "49.00")
	eq("shipping tax", o.ShippingLines[0].TaxLines[0].Amount, "9.80")
	eq("total tax", o.TotalTax, "39.12")
	// 3 × 99.90 − 19.98 + 49.00, taxes included.
	eq("total", o.Total, "328.72")
}

func TestForgedWebhookRejected(t *testing.T) {
	e := newEnv(t, 5, nil)
	ctx := context.Background()
	body := []byte(`{"id": 5001, "admin_graphql_api_id": "gid://shopify/Order/5001", "updated_at": "2026-06-01T12:00:00+02:00"}`)
	h := http.Header{}
	h.Set("X-Shopify-Topic", "orders/paid")
	h.Set("X-Shopify-Webhook-Id", "delivery-1")
	h.Set("X-Shopify-Shop-Domain", e.sb.Shop())
	h.Set("X-Shopify-Hmac-Sha256", sandbox.Sign(testSecret, body))
	res, err := e.link.HandleWebhook(ctx, sdk.Webhook{Header: h, Body: body})
	if err != nil {
		t.Fatalf("a genuine delivery was refused: %v", err)
	}
	if res.DeliveryID != "delivery-1" || len(res.Events) != 1 || res.Events[0].Type != sdk.EventOrderPaid || res.Events[0].ID != "gid://shopify/Order/5001" {
		t.Fatalf("result = %+v", res)
	}
	forged := append([]byte(nil), body...)
	forged[7] = '9'
	if _, err := e.link.HandleWebhook(ctx, sdk.Webhook{Header: h, Body: forged}); sdk.ClassOf(err) != sdk.ClassUnauthenticated {
		t.Fatalf("a forged body: %v, want unauthenticated", err)
	}
	h.Del("X-Shopify-Hmac-Sha256")
	if _, err := e.link.HandleWebhook(ctx, sdk.Webhook{Header: h, Body: body}); sdk.ClassOf(err) != sdk.ClassUnauthenticated {
		t.Fatalf("a missing signature: %v, want unauthenticated", err)
	}
}

func TestEnsureWebhooksIsIdempotent(t *testing.T) {
	e := newEnv(t, 5, nil)
	ctx := context.Background()
	first, err := e.link.EnsureWebhooks(ctx, "https://sync.example.com/hooks/test", nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.link.EnsureWebhooks(ctx, "https://sync.example.com/hooks/test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 6 || len(again) != 6 {
		t.Fatalf("subscribed %d then %d topics, want 6", len(first), len(again))
	}
	for i := range again {
		if !first[i].Created || again[i].Created || again[i].ID != first[i].ID {
			t.Fatalf("topic %s: first %+v, again %+v", again[i].Topic, first[i], again[i])
		}
	}
}
