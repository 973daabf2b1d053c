package rackbeat

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	"github.com/shopbridge/shopbridge/sandbox/faults"
)

func TestPagingAnswers206WithTotals(t *testing.T) {
	e := newEnv(t, nil)
	a := e.must(206, e.do("GET", "/api/products", nil))
	if len(list(a, "products")) != 20 || num(a.body["total"]) != 45 || num(a.body["pages"]) != 3 || num(a.body["limit"]) != 20 || num(a.body["page"]) != 1 {
		t.Fatalf("default page: %d items, body %v", len(list(a, "products")), string(a.raw[:200]))
	}
	a = e.must(206, e.do("GET", "/api/products?page=3&limit=20", nil))
	if len(list(a, "products")) != 5 || num(a.body["page"]) != 3 {
		t.Fatalf("last page has %d", len(list(a, "products")))
	}
	a = e.must(206, e.do("GET", "/api/products?page=4&limit=20", nil))
	if len(list(a, "products")) != 0 {
		t.Fatal("page past the end is not empty")
	}
	// Walking every page finds every product exactly once.
	seen := map[string]bool{}
	for p := 1; p <= 5; p++ {
		for _, x := range list(e.must(206, e.do("GET", "/api/products?limit=10&page="+strconv.Itoa(p), nil)), "products") {
			if seen[x["number"].(string)] {
				t.Fatalf("%s on two pages", x["number"])
			}
			seen[x["number"].(string)] = true
		}
	}
	if len(seen) != 45 {
		t.Fatalf("walked %d products", len(seen))
	}
	a = e.must(422, e.do("GET", "/api/products?limit=101", nil))
	if errs := obj(a.body, "errors"); errs["limit"] == nil || a.body["message"] == nil {
		t.Fatalf("422 shape: %s", a.raw)
	}
	e.must(206, e.do("GET", "/api/products?limit=100", nil))
	a = e.must(206, e.do("GET", "/api/products?fields=number,name&limit=1", nil))
	if p := list(a, "products")[0]; len(p) != 2 || p["number"] == nil {
		t.Fatalf("fields= not applied: %v", p)
	}
}

func TestAuthFailuresAnswer401JSON(t *testing.T) {
	e := newEnv(t, nil)
	for _, tok := range []string{"", "wrong"} {
		a := e.doToken(tok, "GET", "/api/products", nil)
		if a.status != 401 || a.body["message"] != "Unauthenticated." || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
			t.Fatalf("token %q: %d %s", tok, a.status, a.raw)
		}
	}
	// The control API needs no token.
	e.must(200, e.doToken("", "GET", "/_sandbox/state", nil))
	e.must(404, e.do("GET", "/api/nothing-here", nil))
	if a := e.do("GET", "/api/products/NOPE", nil); a.status != 404 || a.body["message"] == nil {
		t.Fatalf("404 shape: %s", a.raw)
	}
}

func TestDefaultTokenIsDerivedFromSeed(t *testing.T) {
	a, b := New(Options{Seed: 3}), New(Options{Seed: 3})
	defer a.Close()
	defer b.Close()
	if a.Tokens()[0] != b.Tokens()[0] || len(a.Tokens()[0]) < 20 {
		t.Fatalf("tokens %v %v", a.Tokens(), b.Tokens())
	}
}

func TestValidationErrorsAreLaravelShaped(t *testing.T) {
	e := newEnv(t, nil)
	a := e.must(422, e.do("POST", "/api/products", map[string]any{}))
	errs := obj(a.body, "errors")
	for _, f := range []string{"number", "name", "group"} {
		if errs[f] == nil {
			t.Errorf("no error for %s in %s", f, a.raw)
		}
	}
	if a.body["message"] != "The given data was invalid." {
		t.Errorf("message %v", a.body["message"])
	}
	a = e.must(422, e.do("POST", "/api/products", map[string]any{"number": e.firstSKU(), "name": "x", "group": 1}))
	if msgs, _ := obj(a.body, "errors")["number"].([]any); len(msgs) != 1 || msgs[0] != "The number has already been taken." {
		t.Fatalf("duplicate: %s", a.raw)
	}
	a = e.must(422, e.do("POST", "/api/products", map[string]any{"number": "N1", "name": "x", "group": 99, "sales_price": "abc"}))
	if errs := obj(a.body, "errors"); errs["group"] == nil || errs["sales_price"] == nil {
		t.Fatalf("bad group/price: %s", a.raw)
	}
	c := e.customer()
	a = e.must(422, e.do("POST", "/api/orders", map[string]any{"customer_id": c, "lines": []any{map[string]any{"item_id": "NOPE", "quantity": 1.5}}}))
	if errs := obj(a.body, "errors"); errs["lines.0.item_id"] == nil || errs["lines.0.quantity"] == nil {
		t.Fatalf("line errors: %s", a.raw)
	}
	if a := e.do("POST", "/api/products", "{not json"); a.status != 400 {
		t.Fatalf("malformed body answered %d", a.status)
	}
}

func TestProductNumbersWithSlashAreURLEncoded(t *testing.T) {
	e := newEnv(t, nil)
	e.must(201, e.do("POST", "/api/products", map[string]any{"number": "KIT/RED 1", "name": "Kit", "group": map[string]any{"number": 1}, "sales_price": 100}))
	p := "/api/products/" + escapeNumber("KIT/RED 1")
	a := e.must(200, e.do("GET", p, nil))
	if obj(a.body, "product")["number"] != "KIT/RED 1" || obj(a.body, "product")["urlfriendly_number"] != "KIT%2FRED%201" {
		t.Fatalf("got %s", a.raw)
	}
	e.must(206, e.do("GET", p+"/locations", nil))
	e.must(200, e.do("PUT", p, map[string]any{"name": "Kit 2"}))
	if got, _ := e.s.Product("KIT/RED 1"); got.Name != "Kit 2" {
		t.Fatalf("update lost: %+v", got)
	}
	e.must(404, e.do("GET", "/api/products/KIT", nil))
	e.must(204, e.do("DELETE", p, nil))
}

func escapeNumber(s string) string {
	return strings.NewReplacer("/", "%2F", " ", "%20").Replace(s)
}

func TestMoneyIsExactJSONNumbers(t *testing.T) {
	e := newEnv(t, nil)
	e.must(201, e.do("POST", "/api/products", `{"number":"M1","name":"Mug","group":1,"sales_price":1234567.895,"cost_price":"40"}`))
	a := e.must(200, e.do("GET", "/api/products/M1", nil))
	if !bytes.Contains(a.raw, []byte(`"sales_price":1234567.895`)) || !bytes.Contains(a.raw, []byte(`"cost_price":40.00`)) {
		t.Fatalf("prices not exact numbers: %s", a.raw)
	}
}

func TestRateLimitAnswers429AndRefills(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RequestsPerMinute = 60; o.Tokens = []string{testToken, "other"} })
	for i := range 60 {
		if a := e.do("GET", "/api/locations", nil); a.status != 206 {
			t.Fatalf("request %d answered %d", i+1, a.status)
		}
	}
	a := e.do("GET", "/api/locations", nil)
	if a.status != 429 || a.header.Get("Retry-After") != "1" || a.body["message"] == nil {
		t.Fatalf("61st request: %d Retry-After %q %s", a.status, a.header.Get("Retry-After"), a.raw)
	}
	// Another token has its own bucket; the control API is never limited.
	e.must(206, e.doToken("other", "GET", "/api/locations", nil))
	e.must(200, e.do("GET", "/_sandbox/requests", nil))
	// The bucket refills at 60/min = 1/s.
	e.clock.Advance(time.Second)
	e.must(206, e.do("GET", "/api/locations", nil))
	e.must(429, e.do("GET", "/api/locations", nil))
	e.clock.Advance(10 * time.Second)
	for range 10 {
		e.must(206, e.do("GET", "/api/locations", nil))
	}
	e.must(429, e.do("GET", "/api/locations", nil))
	// It never holds more than a minute's worth.
	e.clock.Advance(time.Hour)
	n := 0
	for e.do("GET", "/api/locations", nil).status == 206 {
		n++
	}
	if n != 60 {
		t.Fatalf("full bucket served %d, want 60", n)
	}
}

type receiver struct {
	mu       sync.Mutex
	fail     int
	calls    int
	requests []*http.Request
	bodies   [][]byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	if rc.calls <= rc.fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	b, _ := io.ReadAll(r.Body)
	rc.requests = append(rc.requests, r)
	rc.bodies = append(rc.bodies, b)
}

func TestWebhooksDeliveredWithTokenAndRetried(t *testing.T) {
	e := newEnv(t, nil)
	rc := &receiver{fail: 2}
	hook := httptest.NewServer(rc)
	defer hook.Close()

	e.must(422, e.do("POST", "/api/webhooks", map[string]any{"event": "product.exploded", "url": "not a url"}))
	a := e.must(201, e.do("POST", "/api/webhooks", map[string]any{"event": "product.updated", "url": hook.URL, "is_active": true}))
	token, _ := obj(a.body, "webhook")["token"].(string)
	if len(token) != 32 {
		t.Fatalf("token %q", token)
	}
	if l := list(e.must(206, e.do("GET", "/api/webhooks", nil)), "webhooks"); len(l) != 1 || l[0]["token"] != nil {
		t.Fatalf("token shown again: %v", l)
	}
	sku := e.firstSKU()
	e.must(200, e.do("PUT", "/api/products/"+sku, map[string]any{"name": "Renamed"}))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.s.FlushWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.calls != 3 || len(rc.bodies) != 1 {
		t.Fatalf("%d calls, %d delivered; want 3 calls (2 failed)", rc.calls, len(rc.bodies))
	}
	r := rc.requests[0]
	if r.Header.Get("Rackbeat-Webhook-Token") != token || r.Header.Get("Rackbeat-Webhook-Event") != "product.updated" || r.Header.Get("Rackbeat-Account-Id") != "1" {
		t.Fatalf("headers %v", r.Header)
	}
	var body map[string]any
	_ = json.Unmarshal(rc.bodies[0], &body)
	if body["key"] != sku || body["key_name"] != "number" || body["event"] != "product.updated" || obj(body, "data")["name"] != "Renamed" ||
		body["old_key"] != sku || body["new_key"] != sku {
		t.Fatalf("body %s", rc.bodies[0])
	}
	if ch, _ := body["changed"].([]any); len(ch) != 1 || ch[0] != "name" {
		t.Fatalf("changed %v", body["changed"])
	}
	var tries []int
	for _, at := range e.s.Deliveries() {
		tries = append(tries, at.Status)
	}
	if len(tries) != 3 || tries[2] != 200 {
		t.Fatalf("delivery log %v", tries)
	}
}

func TestInventoryChangedFromAdjustmentsAndControl(t *testing.T) {
	e := newEnv(t, nil)
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	e.must(201, e.do("POST", "/api/webhooks", map[string]any{"event": "inventory.changed", "url": hook.URL}))
	sku := e.firstSKU()
	before := e.s.Stock(sku)
	e.must(201, e.do("POST", "/api/inventory-adjustments", map[string]any{"location": 2, "note": "count", "lines": []any{map[string]any{"item_id": sku, "quantity": -1}}}))
	if got := e.s.Stock(sku); got[2] != before[2]-1 || got[1] != before[1] {
		t.Fatalf("stock %v → %v", before, got)
	}
	e.must(200, e.do("POST", "/_sandbox/stock", map[string]any{"number": sku, "location": 1, "quantity": 77}))
	if e.s.Stock(sku)[1] != 77 {
		t.Fatal("control stock not set")
	}
	e.must(422, e.do("POST", "/_sandbox/stock", map[string]any{"number": "NOPE", "delta": 1}))
	if err := e.s.FlushWebhooks(context.Background()); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bodies) != 2 {
		t.Fatalf("%d inventory.changed deliveries, want 2", len(rc.bodies))
	}
	var body map[string]any
	_ = json.Unmarshal(rc.bodies[1], &body)
	locs, _ := obj(body, "data")["locations"].([]any)
	if body["key"] != sku || len(locs) != 2 || num(locs[0].(map[string]any)["in_stock"]) != 77 {
		t.Fatalf("body %s", rc.bodies[1])
	}
}

func TestFaultsAreInjectedButNotOnControlPaths(t *testing.T) {
	e := newEnv(t, nil)
	e.must(200, e.do("PUT", "/_sandbox/faults", map[string]any{"rules": []any{map[string]any{"path": "/api/products", "error_rate": 1}}}))
	if a := e.do("GET", "/api/products", nil); a.status < 500 {
		t.Fatalf("no fault: %d", a.status)
	}
	e.must(206, e.do("GET", "/api/locations", nil))
	e.must(200, e.do("GET", "/_sandbox/state", nil))
	if e.s.Faults().Counts()[faults.KindError] != 1 {
		t.Fatalf("counts %v", e.s.Faults().Counts())
	}
	e.s.Faults().Set(faults.Rule{RateLimitRate: 1, RetryAfterSeconds: 3})
	if a := e.do("GET", "/api/locations", nil); a.status != 429 || a.header.Get("Retry-After") != "3" {
		t.Fatalf("rate-limit fault: %d", a.status)
	}
	e.s.Faults().Clear()
	e.must(206, e.do("GET", "/api/locations", nil))
}

func TestStockReservationSemantics(t *testing.T) {
	e := newEnv(t, nil)
	sku := e.firstSKU()
	e.must(200, e.do("POST", "/_sandbox/stock", map[string]any{"number": sku, "location": 1, "quantity": 10}))
	e.must(200, e.do("POST", "/_sandbox/stock", map[string]any{"number": sku, "location": 2, "quantity": 4}))
	c := e.customer()
	row := func(loc int) (int, int) {
		for _, r := range list(e.must(206, e.do("GET", "/api/products/"+sku+"/locations", nil)), "product_locations") {
			if num(obj(r, "location")["number"]) == loc {
				return num(r["in_stock"]), num(r["available"])
			}
		}
		t.Fatalf("no row for location %d", loc)
		return 0, 0
	}
	order := func(path string, loc int) int {
		line := map[string]any{"item_id": sku, "quantity": 3, "line_price": "100.00"}
		if loc != 0 {
			line["location"] = loc
		}
		a := e.must(201, e.do("POST", path, map[string]any{"customer_id": c, "heading": "Shopify #1", "lines": []any{line}}))
		return num(obj(a.body, "order")["number"])
	}
	draft := order("/api/orders/drafts", 0)
	if in, av := row(1); in != 10 || av != 10 {
		t.Fatalf("a draft reserved: %d/%d", in, av)
	}
	booked := order("/api/orders", 0)
	if in, av := row(1); in != 10 || av != 7 {
		t.Fatalf("booked order at default location: in %d avail %d, want 10/7", in, av)
	}
	order("/api/orders", 2)
	if in, av := row(2); in != 4 || av != 1 {
		t.Fatalf("line location: %d/%d", in, av)
	}
	p := obj(e.must(200, e.do("GET", "/api/products/"+sku, nil)).body, "product")
	if num(p["stock_quantity"]) != 14 || num(p["in_order_quantity"]) != 6 || num(p["available_quantity"]) != 8 {
		t.Fatalf("product totals %v %v %v", p["stock_quantity"], p["in_order_quantity"], p["available_quantity"])
	}
	e.must(200, e.do("POST", "/api/orders/"+strconv.Itoa(draft)+"/book", map[string]any{"mail": map[string]any{"send": false}}))
	if _, av := row(1); av != 4 {
		t.Fatalf("booking the draft did not reserve: %d", av)
	}
	e.must(422, e.do("POST", "/api/orders/"+strconv.Itoa(draft)+"/book", nil))
	e.must(201, e.do("POST", "/api/orders/"+strconv.Itoa(booked)+"/create-shipment", nil))
	if in, av := row(1); in != 7 || av != 4 {
		t.Fatalf("after shipment: %d/%d, want 7/4", in, av)
	}
	e.must(422, e.do("POST", "/api/orders/"+strconv.Itoa(booked)+"/create-shipment", nil))
	e.must(200, e.do("POST", "/api/orders/"+strconv.Itoa(draft)+"/cancel", nil))
	if in, av := row(1); in != 7 || av != 7 {
		t.Fatalf("after cancel: %d/%d", in, av)
	}
	if len(e.s.Mails()) != 0 {
		t.Fatal("a mail was sent though send was false")
	}
	if b := e.s.Bookings(); len(b) != 1 || b[0].Order != draft || b[0].SendMail {
		t.Fatalf("bookings %+v", b)
	}
}

func TestLotsDrawTheirComponents(t *testing.T) {
	e := newEnv(t, nil)
	ps := e.s.Products()
	a, b := ps[0].Number, ps[1].Number
	e.must(422, e.do("POST", "/api/lots", map[string]any{"number": "KIT1", "name": "Kit", "lines": []any{map[string]any{"product_id": "NOPE", "quantity": 1}}}))
	e.must(201, e.do("POST", "/api/lots", map[string]any{"number": "KIT1", "name": "Kit", "sales_price": 300, "lines": []any{
		map[string]any{"product_id": a, "quantity": 2}, map[string]any{"product_id": b, "quantity": 1}}}))
	items := e.must(206, e.do("GET", "/api/items?limit=100", nil))
	if num(items.body["total"]) != 46 {
		t.Fatalf("items total %v", items.body["total"])
	}
	it := obj(e.must(200, e.do("GET", "/api/items/KIT1", nil)).body, "item")
	if it["type"] != "lot" {
		t.Fatalf("item %v", it)
	}
	_ = e.s.SetStock(a, 1, 10)
	_ = e.s.SetStock(b, 1, 10)
	c := e.customer()
	n := num(obj(e.must(201, e.do("POST", "/api/orders", map[string]any{"customer_id": c, "lines": []any{map[string]any{"item_id": "KIT1", "quantity": 2}}})).body, "order")["number"])
	if e.s.Available(a)[1] != 6 || e.s.Available(b)[1] != 8 {
		t.Fatalf("lot reservation: %v %v", e.s.Available(a), e.s.Available(b))
	}
	e.must(201, e.do("POST", "/api/orders/"+strconv.Itoa(n)+"/convert-to-invoice?book=true", nil))
	if e.s.Stock(a)[1] != 6 || e.s.Stock(b)[1] != 8 {
		t.Fatalf("booked invoice did not draw stock: %v %v", e.s.Stock(a), e.s.Stock(b))
	}
	if o, _ := e.s.Order(n); !o.IsInvoiced || !o.IsShipped {
		t.Fatalf("order flags %+v", o)
	}
}

func TestOrdersNumberingSearchFieldsAndMail(t *testing.T) {
	e := newEnv(t, nil)
	c := e.customer()
	sku := e.firstSKU()
	a := e.must(201, e.do("POST", "/api/fields", map[string]any{"name": "Shopify order id", "for": "order"}))
	fid := num(obj(a.body, "field")["id"])
	line := []any{map[string]any{"item_id": sku, "quantity": 1, "line_price": 79.2, "discount_percentage": 10}}
	a = e.must(201, e.do("POST", "/api/orders/drafts", map[string]any{"customer_id": c, "number": 1042, "heading": "Shopify #1042", "other_reference": "gid://shopify/Order/555", "lines": line}))
	o := obj(a.body, "order")
	if num(o["number"]) != 1042 || o["is_draft"] != true || o["is_booked"] != false {
		t.Fatalf("draft %v", o)
	}
	if l := o["lines"].([]any)[0].(map[string]any); !bytes.Contains(a.raw, []byte(`"line_total":71.28`)) || l["item_id"] != sku {
		t.Fatalf("line %s", a.raw)
	}
	a = e.must(422, e.do("POST", "/api/orders", map[string]any{"customer_id": c, "number": 1042, "lines": line}))
	if obj(a.body, "errors")["number"] == nil {
		t.Fatalf("taken number: %s", a.raw)
	}
	auto := num(obj(e.must(201, e.do("POST", "/api/orders", map[string]any{"customer_id": c, "heading": "Shopbox sale 9", "lines": line})).body, "order")["number"])
	if auto == 1042 || auto < 1 {
		t.Fatalf("auto number %d", auto)
	}
	e.must(206, e.do("PUT", "/api/orders/1042/fields", map[string]any{"field_values": []any{map[string]any{"field_id": fid, "value": "555"}}}))
	e.must(422, e.do("PUT", "/api/orders/1042/fields", map[string]any{"field_values": []any{map[string]any{"field_id": 999, "value": "x"}}}))
	found := list(e.must(206, e.do("GET", "/api/orders?field_eq["+strconv.Itoa(fid)+"]=555", nil)), "orders")
	if len(found) != 1 || num(found[0]["number"]) != 1042 {
		t.Fatalf("field_eq found %v", found)
	}
	for _, q := range []string{"#1042", "shopify/Order/555"} {
		if got := list(e.must(206, e.do("GET", "/api/orders?search="+strings.ReplaceAll(q, "#", "%23"), nil)), "orders"); len(got) != 1 {
			t.Fatalf("search %q found %d", q, len(got))
		}
	}
	e.must(200, e.do("POST", "/api/orders/1042/book", map[string]any{"mail": map[string]any{"send": true}}))
	if m := e.s.Mails(); len(m) != 1 || m[0].Order != 1042 {
		t.Fatalf("mails %v", m)
	}
	e.must(200, e.do("PUT", "/api/orders/1042", map[string]any{"is_ready_for_shipping": true}))
	if o, _ := e.s.Order(1042); !o.IsReadyForShipping || !o.IsBooked {
		t.Fatalf("order %+v", o)
	}
	e.must(404, e.do("GET", "/api/orders/777", nil))
}

func TestCustomersByEmailAndSeededReferenceData(t *testing.T) {
	e := newEnv(t, nil)
	c := e.customer()
	got := list(e.must(206, e.do("GET", "/api/customers?simple_filter[contact_email]=KARI@example.com", nil)), "customers")
	if len(got) != 1 || num(got[0]["number"]) != c {
		t.Fatalf("by email: %v", got)
	}
	if len(list(e.must(206, e.do("GET", "/api/customers?simple_filter[contact_email]=nobody@example.com", nil)), "customers")) != 0 {
		t.Fatal("unknown email matched")
	}
	emp := list(e.must(206, e.do("GET", "/api/employees", nil)), "employees")
	pt := list(e.must(206, e.do("GET", "/api/payment-terms", nil)), "payment_terms")
	cg := list(e.must(206, e.do("GET", "/api/customer-groups", nil)), "customer_groups")
	if !has(emp, "number", 2, "Shopify # 1") || !has(pt, "id", 3, "Webshop") || !has(cg, "number", 1, "Øvrigt") {
		t.Fatalf("reference data: %v %v %v", emp, pt, cg)
	}
	grp := obj(e.must(200, e.do("GET", "/api/product-groups/1", nil)).body, "product_group")
	if grp["name"] != "Varer m/lagerstrekk" || grp["has_inventory"] != true {
		t.Fatalf("group %v", grp)
	}
	if l := list(e.must(206, e.do("GET", "/api/locations", nil)), "locations"); len(l) != 2 || l[0]["is_default"] != true {
		t.Fatalf("locations %v", l)
	}
	// No custom fields and no shipping product unless asked for.
	if num(e.must(206, e.do("GET", "/api/fields?for=item", nil)).body["total"]) != 0 {
		t.Fatal("custom fields exist by default")
	}
	e.must(404, e.do("GET", "/api/products/frakt", nil))
}

func has(rows []map[string]any, key string, n int, name string) bool {
	for _, r := range rows {
		if num(r[key]) == n && r["name"] == name {
			return true
		}
	}
	return false
}

func TestPrerequisitesOption(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Prerequisites = true })
	f := list(e.must(206, e.do("GET", "/api/fields?for=item", nil)), "fields")
	if len(f) != 2 || f[0]["name"] != FieldShopboxUID || f[1]["name"] != FieldShopboxVariation {
		t.Fatalf("fields %v", f)
	}
	p := obj(e.must(200, e.do("GET", "/api/products/frakt", nil)).body, "product")
	g := obj(e.must(200, e.do("GET", "/api/product-groups/"+strconv.Itoa(num(obj(p, "group")["number"])), nil)).body, "product_group")
	if g["has_inventory"] != false || p["inventory_enabled"] != false {
		t.Fatalf("shipping product group %v", g)
	}
	// Custom field values round-trip on products and filter with field_eq.
	sku := e.firstSKU()
	e.must(200, e.do("PUT", "/api/products/"+sku, map[string]any{"field_values": []any{map[string]any{"field_id": 1, "value": "123456"}}}))
	got := list(e.must(206, e.do("GET", "/api/products?field_eq[1]=123456&expand=field_values", nil)), "products")
	if len(got) != 1 || got[0]["number"] != sku || len(got[0]["field_values"].([]any)) != 1 {
		t.Fatalf("field_eq: %v", got)
	}
	if _, ok := list(e.must(206, e.do("GET", "/api/products?limit=1", nil)), "products")[0]["field_values"]; ok {
		t.Fatal("field_values shown without expand")
	}
	fv := list(e.must(206, e.do("GET", "/api/products/"+sku+"/fields", nil)), "field_values")
	if len(fv) != 1 || fv[0]["value"] != "123456" {
		t.Fatalf("product fields %v", fv)
	}
}

func TestUpdatedAfterFilter(t *testing.T) {
	e := newEnv(t, nil)
	e.clock.Advance(time.Hour)
	mark := e.clock.Now().Format(time.RFC3339)
	sku := e.firstSKU()
	e.must(200, e.do("PUT", "/api/products/"+sku, map[string]any{"sales_price": "249.50"}))
	got := list(e.must(206, e.do("GET", "/api/products?updated_after="+mark, nil)), "products")
	if len(got) != 1 || got[0]["number"] != sku {
		t.Fatalf("updated_after found %d", len(got))
	}
	e.must(422, e.do("GET", "/api/products?updated_after=yesterday", nil))
	if n := num(e.must(206, e.do("GET", "/api/products?updated_before="+mark, nil)).body["total"]); n != 44 {
		t.Fatalf("updated_before found %d", n)
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	c := e.customer()
	sku := e.firstSKU()
	e.must(201, e.do("POST", "/api/orders", map[string]any{"customer_id": c, "lines": []any{map[string]any{"item_id": sku, "quantity": 2}}}))
	_ = e.s.SetStock(sku, 1, 5)
	snap, err := e.s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	stateBefore := e.must(200, e.do("GET", "/_sandbox/state", nil)).raw

	_ = e.s.SetStock(sku, 1, 99)
	e.must(201, e.do("POST", "/api/orders", map[string]any{"customer_id": c, "lines": []any{map[string]any{"item_id": sku, "quantity": 1}}}))
	e.must(200, e.do("POST", "/_sandbox/products", map[string]any{"number": "NEW-1", "name": "New", "group": 1}))

	path := filepath.Join(t.TempDir(), "rb.json")
	if err := os.WriteFile(path, snap, 0o600); err != nil {
		t.Fatal(err)
	}
	e.must(200, e.do("POST", "/_sandbox/restore", map[string]any{"path": path}))
	if after := e.must(200, e.do("GET", "/_sandbox/state", nil)).raw; !bytes.Equal(after, stateBefore) {
		t.Fatal("state after restore differs from the snapshot")
	}
	if e.s.Stock(sku)[1] != 5 || len(e.s.Orders()) != 1 {
		t.Fatal("restore did not take")
	}
	if _, ok := e.s.Product("NEW-1"); ok {
		t.Fatal("product created after the snapshot survived")
	}
	// Indexes were rebuilt: the API finds restored records and numbers continue.
	e.must(200, e.do("GET", "/api/orders/1", nil))
	a := e.must(201, e.do("POST", "/api/orders", map[string]any{"customer_id": c, "lines": []any{map[string]any{"item_id": sku, "quantity": 1}}}))
	if num(obj(a.body, "order")["number"]) != 2 {
		t.Fatalf("numbering after restore: %s", a.raw)
	}
	// Snapshot through the control API: to a file and in the body.
	p2 := filepath.Join(t.TempDir(), "rb2.json")
	e.must(200, e.do("POST", "/_sandbox/snapshot", map[string]any{"path": p2}))
	body := e.must(200, e.do("POST", "/_sandbox/snapshot", nil)).raw
	file, _ := os.ReadFile(p2)
	if !bytes.Equal(file, body) {
		t.Fatal("file and body snapshots differ")
	}
	e.must(200, e.do("POST", "/_sandbox/restore", string(body)))
	e.must(422, e.do("POST", "/_sandbox/restore", `{"nothing":1}`))
}

func TestRequestCounts(t *testing.T) {
	e := newEnv(t, nil)
	sku := e.firstSKU()
	for range 3 {
		e.do("GET", "/api/products/"+sku, nil)
	}
	e.do("GET", "/api/locations?page=1", nil)
	if c := e.s.RequestCounts(); c["/api/products/"+sku] != 3 || c["/api/locations"] != 1 || e.s.RequestCount() != 4 {
		t.Fatalf("counts %v total %d", c, e.s.RequestCount())
	}
	a := e.must(200, e.do("GET", "/_sandbox/requests", nil))
	if num(a.body["total"]) != 4 {
		t.Fatalf("control counts %s", a.raw)
	}
	e.must(204, e.do("DELETE", "/_sandbox/requests", nil))
	if e.s.RequestCount() != 0 {
		t.Fatal("reset failed")
	}
}

func TestCatalogueSeedsOneProductPerVariant(t *testing.T) {
	cat := catalog.Generate(catalog.Config{Products: 30, MinVariants: 1, MaxVariants: 3, Locations: 3, Seed: 9})
	s := New(Options{Catalog: cat, Seed: 9})
	defer s.Close()
	if got := len(s.Products()); got != cat.VariantCount() {
		t.Fatalf("%d products for %d SKUs", got, cat.VariantCount())
	}
	for _, p := range cat.Products {
		for _, v := range p.Variants {
			rp, ok := s.Product(v.SKU)
			if !ok || rp.Barcode != v.Barcode || rp.SalesPrice.String() != Dec(p.SalesPrice).String() {
				t.Fatalf("SKU %s: %+v", v.SKU, rp)
			}
			for loc, q := range v.Stock {
				if s.Stock(v.SKU)[loc] != q {
					t.Fatalf("SKU %s location %d: %d, want %d", v.SKU, loc, s.Stock(v.SKU)[loc], q)
				}
			}
		}
	}
}

func TestConcurrentClients(t *testing.T) {
	e := newEnv(t, nil)
	c := e.customer()
	sku := e.firstSKU()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				e.do("GET", "/api/products?limit=5", nil)
				e.do("POST", "/api/orders", map[string]any{"customer_id": c, "lines": []any{map[string]any{"item_id": sku, "quantity": 1}}})
				_ = e.s.MoveStock(sku, 1+i%2, 1)
			}
		}()
	}
	wg.Wait()
	if n := len(e.s.Orders()); n != 80 {
		t.Fatalf("%d orders, want 80", n)
	}
}

func TestWebhookEventsForEachResource(t *testing.T) {
	e := newEnv(t, nil)
	rc := &receiver{}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	for _, ev := range []string{EventProductCreated, EventProductDeleted, EventLotCreated, EventOrderCreated} {
		e.must(201, e.do("POST", "/api/webhooks", map[string]any{"event": ev, "url": hook.URL}))
	}
	e.must(201, e.do("POST", "/api/products", map[string]any{"number": "W1", "name": "W", "group": 1}))
	e.must(201, e.do("POST", "/api/lots", map[string]any{"number": "WK", "name": "Kit", "lines": []any{map[string]any{"product_id": "W1", "quantity": 1}}}))
	c := e.customer()
	e.must(201, e.do("POST", "/api/orders", map[string]any{"customer_id": c, "lines": []any{map[string]any{"item_id": "W1", "quantity": 1}}}))
	e.must(204, e.do("DELETE", "/api/products/W1", nil))
	// Inactive hooks are not called.
	e.must(200, e.do("PUT", "/api/webhooks/1", map[string]any{"is_active": false}))
	e.must(201, e.do("POST", "/api/products", map[string]any{"number": "W2", "name": "W", "group": 1}))
	if err := e.s.FlushWebhooks(context.Background()); err != nil {
		t.Fatal(err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var got []string
	for i, r := range rc.requests {
		var b map[string]any
		_ = json.Unmarshal(rc.bodies[i], &b)
		got = append(got, r.Header.Get("Rackbeat-Webhook-Event")+"="+b["key"].(string))
	}
	want := map[string]bool{"product.created=W1": true, "lot.created=WK": true, "order.created=1": true, "product.deleted=W1": true}
	if len(got) != len(want) {
		t.Fatalf("deliveries %v", got)
	}
	for _, g := range got {
		if !want[g] {
			t.Fatalf("unexpected delivery %s in %v", g, got)
		}
	}
}

func TestOrderByAndCustomFieldsForm(t *testing.T) {
	e := newEnv(t, nil)
	got := list(e.must(206, e.do("GET", "/api/products?order_by=number&order_direction=desc&limit=3", nil)), "products")
	if len(got) != 3 || got[0]["number"] != "P-000045" || got[2]["number"] != "P-000043" {
		t.Fatalf("order_by number desc: %v %v %v", got[0]["number"], got[1]["number"], got[2]["number"])
	}
	c := e.customer()
	fid := num(obj(e.must(201, e.do("POST", "/api/fields", map[string]any{"name": "Kanal-ID", "for": "order"})).body, "field")["id"])
	n := num(obj(e.must(201, e.do("POST", "/api/orders", map[string]any{"customer_id": c, "lines": []any{map[string]any{"item_id": e.firstSKU(), "quantity": 1}}})).body, "order")["number"])
	e.must(206, e.do("PUT", "/api/orders/"+strconv.Itoa(n)+"/fields", map[string]any{"custom_fields": []any{map[string]any{"id": fid, "value": "gid-9"}}}))
	if o, _ := e.s.Order(n); o.FieldValues[fid] != "gid-9" {
		t.Fatalf("custom_fields form not read: %v", o.FieldValues)
	}
}
