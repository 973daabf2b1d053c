package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestSignMatchesAnIndependentHMAC(t *testing.T) {
	// Computed with: printf '%s' '{"id":820982911946154508,"email":"jon@example.com"}' |
	//   openssl dgst -sha256 -hmac hush -binary | base64
	const want = "D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6/QLMo8="
	if got := Sign("hush", []byte(`{"id":820982911946154508,"email":"jon@example.com"}`)); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook endpoint; it refuses the first failFirst deliveries.
func receiver(t *testing.T, failFirst int) (*httptest.Server, func() []received) {
	var mu sync.Mutex
	var got []received
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= failFirst {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		got = append(got, received{header: r.Header.Clone(), body: b})
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received {
		mu.Lock()
		defer mu.Unlock()
		return append([]received(nil), got...)
	}
}

func subscribe(t *testing.T, f *fixture, topic, url string) {
	t.Helper()
	a := f.gql(t, `mutation($topic: WebhookSubscriptionTopic!, $url: URL!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: {callbackUrl: $url, format: JSON}) {
		webhookSubscription { id topic uri } userErrors { field message } } }`, map[string]any{"topic": topic, "url": url}).ok(t)
	if path(a.Data, "webhookSubscriptionCreate", "webhookSubscription", "id") == nil {
		t.Fatalf("subscribe: %s", a.raw)
	}
}

func TestOrderWebhooksAreSignedAndRetried(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Webhooks.Backoff = 5 * time.Millisecond })
	srv, got := receiver(t, 1)
	subscribe(t, f, "ORDERS_CREATE", srv.URL+"/hooks")
	subscribe(t, f, "ORDERS_PAID", srv.URL+"/hooks")
	// Subscribing twice to one topic and address is refused, as Shopify does.
	a := f.gql(t, `mutation { webhookSubscriptionCreate(topic: ORDERS_PAID, webhookSubscription: {callbackUrl: "`+srv.URL+`/hooks"}) { userErrors { message } } }`, nil).ok(t)
	if path(a.Data, "webhookSubscriptionCreate", "userErrors", 0, "message") == nil {
		t.Fatalf("duplicate subscription accepted: %s", a.raw)
	}
	sku := f.cat.Products[2].Variants[0].SKU
	if _, err := f.s.PlaceOrder(OrderInput{Lines: []OrderLine{{SKU: sku, Quantity: 1}}, Email: "x@example.com", FinancialStatus: "paid"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Webhooks().Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	deliveries := got()
	if len(deliveries) != 2 {
		t.Fatalf("got %d deliveries, want orders/create and orders/paid", len(deliveries))
	}
	topics := map[string]bool{}
	for _, d := range deliveries {
		mac := hmac.New(sha256.New, []byte("app-secret"))
		mac.Write(d.body)
		if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); d.header.Get("X-Shopify-Hmac-Sha256") != want {
			t.Fatalf("HMAC header %q, want %q", d.header.Get("X-Shopify-Hmac-Sha256"), want)
		}
		for _, h := range []string{"X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"} {
			if d.header.Get(h) == "" {
				t.Errorf("header %s missing", h)
			}
		}
		if d.header.Get("X-Shopify-Shop-Domain") != "demo.myshopify.com" || d.header.Get("X-Shopify-API-Version") != "2026-10" {
			t.Errorf("headers: %v", d.header)
		}
		topics[d.header.Get("X-Shopify-Topic")] = true
		var body map[string]any
		if err := json.Unmarshal(d.body, &body); err != nil {
			t.Fatal(err)
		}
		if _, numeric := body["id"].(float64); !numeric || path(body, "line_items", 0, "sku") != sku || body["financial_status"] != "paid" {
			t.Fatalf("body is not the REST order: %s", d.body)
		}
	}
	if !topics["orders/create"] || !topics["orders/paid"] {
		t.Fatalf("topics: %v", topics)
	}
	// The first delivery was refused and retried under the same webhook id.
	var first, retried string
	for _, at := range f.s.Webhooks().Log() {
		if at.Attempt == 1 && at.Status == http.StatusServiceUnavailable {
			first = at.Header.Get("X-Shopify-Webhook-Id")
		}
		if at.Attempt == 2 && at.OK() {
			retried = at.Header.Get("X-Shopify-Webhook-Id")
		}
	}
	if first == "" || first != retried {
		t.Fatalf("retry: first %q, retried %q", first, retried)
	}
}

func TestProductAndInventoryWebhooks(t *testing.T) {
	f := newFixture(t, nil)
	srv, got := receiver(t, 0)
	subscribe(t, f, "PRODUCTS_UPDATE", srv.URL)
	subscribe(t, f, "INVENTORY_LEVELS_UPDATE", srv.URL)
	sku := f.cat.Products[0].Variants[0].SKU
	if _, err := f.s.EditProduct(ProductEdit{SKU: sku, Title: "Ny titel"}); err != nil {
		t.Fatal(err)
	}
	if err := f.s.SetLevel(sku, f.cat.Locations[0].Name, "available", 3); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Webhooks().Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	var sawProduct, sawLevel bool
	for _, d := range got() {
		var body map[string]any
		_ = json.Unmarshal(d.body, &body)
		switch d.header.Get("X-Shopify-Topic") {
		case "products/update":
			sawProduct = body["title"] == "Ny titel" && path(body, "variants", 0, "sku") == sku
		case "inventory_levels/update":
			sawLevel = body["available"] == float64(3)
		}
	}
	if !sawProduct || !sawLevel {
		t.Fatalf("products/update %v, inventory_levels/update %v", sawProduct, sawLevel)
	}
}
