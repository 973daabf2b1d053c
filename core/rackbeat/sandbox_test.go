package rackbeat_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
)

// env is one sandbox server and the way to reach it.
type env struct {
	srv   *rbsandbox.Server
	base  string // the API root, as a user would configure https://app.rackbeat.com/api
	root  string // the server root, for /_sandbox/
	token string
}

func newEnv(t testing.TB, opts rbsandbox.Options) *env {
	t.Helper()
	srv := rbsandbox.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return &env{srv: srv, base: ts.URL + "/api", root: ts.URL, token: srv.Tokens()[0]}
}

// client returns a client that does not pace itself (the sandbox is local)
// and backs off briefly, unless opts say otherwise.
func (e *env) client(t testing.TB, opts ...rackbeat.Option) *rackbeat.Client {
	t.Helper()
	all := append([]rackbeat.Option{
		rackbeat.WithRequestsPerMinute(600000),
		rackbeat.WithBackoff(5*time.Millisecond, 50*time.Millisecond),
		rackbeat.WithConsumer("shopbridge-test", "dev@example.com"),
	}, opts...)
	c, err := rackbeat.New(e.base, e.token, all...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// control sends a request to the sandbox's control API.
func (e *env) control(t testing.TB, method, path string, body any) []byte {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, e.root+path, rd)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("control %s %s: %d %s", method, path, resp.StatusCode, buf.String())
	}
	return buf.Bytes()
}

func catalogOf(n int) *catalog.Catalog {
	return catalog.Generate(catalog.Config{Products: n, Locations: 2, Seed: 7})
}

func TestPagesThroughEveryProduct(t *testing.T) {
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(250), Seed: 1})
	c := e.client(t)
	ctx := context.Background()

	seen := map[string]bool{}
	for p, err := range c.Products(ctx, rackbeat.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[p.Number] {
			t.Fatalf("product %s read twice", p.Number)
		}
		seen[p.Number] = true
	}
	if len(seen) != 250 {
		t.Fatalf("read %d products, want 250", len(seen))
	}
	// 250 products at 100 a page are three requests, not one per product.
	if n := e.srv.RequestCount(); n != 3 {
		t.Fatalf("%d requests, want 3", n)
	}

	p, err := c.ProductsPage(ctx, 3, 100, rackbeat.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 250 || p.Pages != 3 || p.Page != 3 || len(p.Items) != 50 || !p.Last() {
		t.Fatalf("page 3: total %d pages %d page %d items %d", p.Total, p.Pages, p.Page, len(p.Items))
	}
}

func TestProductWithSlashInNumber(t *testing.T) {
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(3), Seed: 1})
	c := e.client(t)
	ctx := context.Background()

	price := decimal.RequireFromString("149.50")
	desc := "Mug, 0.4 l"
	created, err := c.CreateProduct(ctx, rackbeat.ProductInput{Number: "MUG/RED 1", Name: "Mug", Group: 1, SalesPrice: &price, Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	if created.Number != "MUG/RED 1" {
		t.Fatalf("created %q", created.Number)
	}
	got, err := c.Product(ctx, "MUG/RED 1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Mug" || !got.SalesPrice.Equal(price) || got.Description != desc || got.Group.Number != 1 {
		t.Fatalf("read back %+v", got)
	}
	newPrice := decimal.RequireFromString("139.00")
	name := "Red mug"
	up, err := c.UpdateProduct(ctx, "MUG/RED 1", rackbeat.ProductInput{Name: name, SalesPrice: &newPrice})
	if err != nil {
		t.Fatal(err)
	}
	if up.Name != name || !up.SalesPrice.Equal(newPrice) || up.Description != desc {
		t.Fatalf("update touched more or less than asked: %+v", up)
	}
	// The slash reached the server encoded, as one path segment.
	if e.srv.RequestCountsByRoute()["GET /api/products/MUG%2FRED%201"] != 1 {
		t.Fatalf("requests: %v", e.srv.RequestCountsByRoute())
	}
	if _, ok, err := c.FindProduct(ctx, "MUG"); err != nil || ok {
		t.Fatalf("a prefix of the number must not match: %v %v", ok, err)
	}
	if err := c.DeleteProduct(ctx, "MUG/RED 1"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Product(ctx, "MUG/RED 1")
	if !rackbeat.IsNotFound(err) {
		t.Fatalf("after delete: %v", err)
	}
}

func TestValidationErrorsNameTheFields(t *testing.T) {
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(3), Seed: 1})
	c := e.client(t)
	ctx := context.Background()

	_, err := c.CreateProduct(ctx, rackbeat.ProductInput{Number: "X-1", Name: "X", Group: 999})
	var re *rackbeat.Error
	if !errors.As(err, &re) {
		t.Fatalf("want *rackbeat.Error, got %v", err)
	}
	if re.Status != 422 || re.Class != rackbeat.Invalid || len(re.Fields["group"]) == 0 {
		t.Fatalf("%+v", re)
	}
	if !strings.Contains(err.Error(), `create product "X-1"`) || !strings.Contains(err.Error(), "group:") {
		t.Fatalf("message: %v", err)
	}

	// A number that exists already is a conflict the caller can heal by updating.
	_, err = c.CreateProduct(ctx, rackbeat.ProductInput{Number: "X-1", Name: "X", Group: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateProduct(ctx, rackbeat.ProductInput{Number: "X-1", Name: "X", Group: 1})
	if rackbeat.ClassOf(err) != rackbeat.Conflict {
		t.Fatalf("duplicate number: %v", err)
	}
}

func TestWrongTokenIsUnauthenticatedAndNeverShown(t *testing.T) {
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(3), Seed: 1})
	var logs bytes.Buffer
	logger := hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace})
	const wrong = "rb_wrong_token_0123456789"
	c, err := rackbeat.New(e.base, wrong, rackbeat.WithLogger(logger), rackbeat.WithBackoff(time.Millisecond, 5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Self(context.Background())
	if rackbeat.ClassOf(err) != rackbeat.Unauthenticated {
		t.Fatalf("got %v", err)
	}
	// Refused credentials are not retried: 401 will not change by itself.
	if n := e.srv.RequestCount(); n != 1 {
		t.Fatalf("%d requests for one 401", n)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(logs.String(), wrong) {
		t.Fatalf("token leaked: %v / %s", err, logs.String())
	}
}

func TestHonoursRateLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the sandbox's rate limit")
	}
	const perMinute = 600 // a bucket of 600 refilling 10 a second
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(3), Seed: 1, RequestsPerMinute: perMinute})
	// The client believes it may go much faster than the sandbox allows,
	// so only Retry-After keeps it in line.
	c := e.client(t)
	ctx := context.Background()

	const want = perMinute + 30
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	per := want / 3
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if _, err := c.Locations(ctx); err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("the client gave up: %v", failures[0])
	}
	throttled := e.srv.RequestCount() - want
	// Every 429 carries Retry-After: 1 and pauses the whole client, so the
	// requests beyond the bucket meet at most a few 429s per refill, never a
	// storm of immediate retries.
	beyond := want - perMinute
	if throttled > 3*beyond {
		t.Fatalf("%d throttled answers for %d requests beyond the bucket: Retry-After not honoured", throttled, beyond)
	}
	if throttled == 0 {
		t.Fatalf("the sandbox never throttled; the test proves nothing")
	}
}

func TestClientLimiterStaysUnderTheSandboxLimit(t *testing.T) {
	const perMinute = 600
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(3), Seed: 1, RequestsPerMinute: perMinute})
	fast := e.client(t)
	ctx := context.Background()
	// Drain the sandbox's bucket so that only the refill rate remains.
	for e.srv.RequestCount() < perMinute {
		if _, err := fast.Locations(ctx); err != nil {
			t.Fatal(err)
		}
	}
	e.srv.ResetRequestCounts()
	// A client paced at the sandbox's rate never sees a 429 even with the
	// bucket empty, because it spreads its requests evenly.
	paced := e.client(t, rackbeat.WithRequestsPerMinute(perMinute/2), rackbeat.WithRetries(0))
	for i := 0; i < 8; i++ {
		if _, err := paced.Locations(ctx); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
}

func TestRetriesServerErrorsOnReads(t *testing.T) {
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(250), Seed: 1})
	c := e.client(t)
	ctx := context.Background()
	// The next three reads of products fail with 500/502/503.
	e.control(t, http.MethodPut, "/_sandbox/faults", map[string]any{"rules": []map[string]any{
		{"path": "/api/products", "method": "GET", "error_rate": 1, "times": 3},
	}})
	all, err := c.ListProducts(ctx, rackbeat.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 250 {
		t.Fatalf("%d products", len(all))
	}
	if n := e.srv.RequestCount(); n != 6 {
		t.Fatalf("%d requests, want 3 pages + 3 failures", n)
	}
}

func TestRetriesMalformedAndTruncatedReads(t *testing.T) {
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(150), Seed: 1})
	c := e.client(t)
	e.control(t, http.MethodPut, "/_sandbox/faults", map[string]any{"rules": []map[string]any{
		{"path": "/api/products", "method": "GET", "malformed_rate": 0.5, "truncate_rate": 0.5, "times": 2},
	}})
	all, err := c.ListProducts(context.Background(), rackbeat.Filter{})
	if err != nil || len(all) != 150 {
		t.Fatalf("%d products, %v", len(all), err)
	}
}

func TestDoesNotRepeatAPostWhoseAnswerWasLost(t *testing.T) {
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(3), Seed: 1})
	c := e.client(t)
	ctx := context.Background()
	// The product is created, then the connection drops before the answer.
	e.control(t, http.MethodPut, "/_sandbox/faults", map[string]any{"rules": []map[string]any{
		{"path": "/api/products", "method": "POST", "drop_after_rate": 1, "times": 1},
	}})
	_, err := c.CreateProduct(ctx, rackbeat.ProductInput{Number: "LOST-1", Name: "Lost", Group: 1})
	if rackbeat.ClassOf(err) != rackbeat.Retryable {
		t.Fatalf("want Retryable, got %v", err)
	}
	if n := e.srv.RequestCountsByRoute()["POST /api/products"]; n != 1 {
		t.Fatalf("POST sent %d times", n)
	}
	// The caller heals by looking it up: it exists once.
	p, ok, err := c.FindProduct(ctx, "LOST-1")
	if err != nil || !ok || p.Name != "Lost" {
		t.Fatalf("%+v %v %v", p, ok, err)
	}
	// A 5xx on a POST is not repeated either.
	e.control(t, http.MethodPut, "/_sandbox/faults", map[string]any{"rules": []map[string]any{
		{"path": "/api/products", "method": "POST", "error_rate": 1, "times": 1},
	}})
	_, err = c.CreateProduct(ctx, rackbeat.ProductInput{Number: "LOST-2", Name: "Lost", Group: 1})
	if rackbeat.ClassOf(err) != rackbeat.Retryable || e.srv.RequestCountsByRoute()["POST /api/products"] != 2 {
		t.Fatalf("%v, %v", err, e.srv.RequestCountsByRoute())
	}
	// A 429 on a POST was not applied, so it is repeated.
	e.control(t, http.MethodPut, "/_sandbox/faults", map[string]any{"rules": []map[string]any{
		{"path": "/api/products", "method": "POST", "rate_limit_rate": 1, "retry_after_seconds": 0, "times": 1},
	}})
	if _, err := c.CreateProduct(ctx, rackbeat.ProductInput{Number: "LOST-3", Name: "Lost", Group: 1}); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.RequestCountsByRoute()["POST /api/products"]; n != 4 {
		t.Fatalf("POST after a 429 sent %d times in all, want 4", n)
	}
}

func TestMoneyRoundTripsExactly(t *testing.T) {
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(3), Seed: 1})
	c := e.client(t)
	ctx := context.Background()
	sum := decimal.RequireFromString("0.1").Add(decimal.RequireFromString("0.2")) // 0.3 exactly, unlike float64
	for i, s := range []string{sum.String(), "1234567.89", "0.01", "19.99", "12.3456789", "99999999.995"} {
		price := decimal.RequireFromString(s)
		number := fmt.Sprintf("MONEY-%d", i)
		_, err := c.CreateProduct(ctx, rackbeat.ProductInput{Number: number, Name: "m", Group: 1, SalesPrice: &price, CostPrice: &price})
		if rackbeat.ClassOf(err) == rackbeat.Invalid {
			continue // Refusing a value it cannot keep is as good as keeping it.
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Product(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		if !got.SalesPrice.Equal(price) || !got.CostPrice.Equal(price) {
			t.Fatalf("%s came back as %s / %s", s, got.SalesPrice, got.CostPrice)
		}
	}
}

func TestProductStockPerLocationAndAdjustment(t *testing.T) {
	cat := catalogOf(3)
	e := newEnv(t, rbsandbox.Options{Catalog: cat, Seed: 1})
	c := e.client(t)
	ctx := context.Background()
	sku := cat.SKUs()[0]
	before, err := c.ProductLocations(ctx, sku)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 2 {
		t.Fatalf("%d locations", len(before))
	}
	_, err = c.CreateInventoryAdjustment(ctx, rackbeat.AdjustmentInput{Location: 2, Note: "test",
		Lines: []rackbeat.AdjustmentLine{{ItemID: sku, Quantity: decimal.NewFromInt(5)}}})
	if err != nil {
		t.Fatal(err)
	}
	after, err := c.ProductLocations(ctx, sku)
	if err != nil {
		t.Fatal(err)
	}
	for i := range after {
		want := before[i].InStock
		if after[i].Location.Number == 2 {
			want = want.Add(decimal.NewFromInt(5))
		}
		if !after[i].InStock.Equal(want) {
			t.Fatalf("location %d: %s, want %s", after[i].Location.Number, after[i].InStock, want)
		}
	}
}

func TestCustomersByEmail(t *testing.T) {
	e := newEnv(t, rbsandbox.Options{Catalog: catalogOf(3), Seed: 1, Prerequisites: true})
	c := e.client(t)
	ctx := context.Background()

	if _, ok, err := c.FindCustomerByEmail(ctx, "kari@example.com"); err != nil || ok {
		t.Fatalf("found a customer that does not exist: %v %v", ok, err)
	}
	groups, err := c.CustomerGroups(ctx)
	if err != nil || len(groups) == 0 {
		t.Fatalf("customer groups: %v %v", groups, err)
	}
	terms, err := c.PaymentTerms(ctx)
	if err != nil || len(terms) == 0 {
		t.Fatalf("payment terms: %v %v", terms, err)
	}
	created, err := c.CreateCustomer(ctx, rackbeat.CustomerInput{CompanyName: "Kari Nordmann", ContactEmail: "kari@example.com",
		Currency: "NOK", VATZone: "domestic", CustomerGroupID: groups[0].Number, PaymentTermsID: terms[0].ID,
		Address: rackbeat.Address{Street: "Storgata 1", City: "Oslo", Zipcode: "0155", Country: "NO"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCustomer(ctx, rackbeat.CustomerInput{CompanyName: "Ola", ContactEmail: "ola@example.com"}); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.FindCustomerByEmail(ctx, "KARI@example.com")
	if err != nil || !ok {
		t.Fatalf("not found: %v", err)
	}
	if got.Number != created.Number || got.CompanyName != "Kari Nordmann" || got.Address.City != "Oslo" || got.CustomerGroupID != groups[0].Number {
		t.Fatalf("%+v", got)
	}
	_, err = c.CreateCustomer(ctx, rackbeat.CustomerInput{CompanyName: "Bad", ContactEmail: "not-an-address"})
	var re *rackbeat.Error
	if !errors.As(err, &re) || re.Class != rackbeat.Invalid || len(re.Fields["contact_email"]) == 0 {
		t.Fatalf("%v", err)
	}
}

// mails reads the confirmation e-mails the sandbox recorded.
func (e *env) mails(t *testing.T) []map[string]any {
	t.Helper()
	var st struct {
		Mails []map[string]any `json:"mails"`
	}
	if err := json.Unmarshal(e.control(t, http.MethodGet, "/_sandbox/state", nil), &st); err != nil {
		t.Fatal(err)
	}
	return st.Mails
}

func TestOrderLifecycle(t *testing.T) {
	cat := catalogOf(5)
	e := newEnv(t, rbsandbox.Options{Catalog: cat, Seed: 1, Prerequisites: true})
	c := e.client(t)
	ctx := context.Background()
	skus := cat.SKUs()

	cust, err := c.CreateCustomer(ctx, rackbeat.CustomerInput{CompanyName: "Kari", ContactEmail: "kari@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	employees, err := c.Employees(ctx)
	if err != nil || len(employees) == 0 {
		t.Fatalf("employees: %v %v", employees, err)
	}
	price := decimal.RequireFromString("99.95")
	disc := decimal.RequireFromString("12.5")
	in := rackbeat.OrderInput{
		CustomerID: cust.Number, EmployeeID: employees[0].Number, OurReferenceID: employees[0].Number,
		Currency: "NOK", VATZone: "domestic", Heading: "Shopify #1042", OtherReference: "gid://shopify/Order/1042",
		OrderDate: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC),
		Lines: []rackbeat.OrderLineInput{
			{ItemID: skus[0], Quantity: decimal.NewFromInt(2), Name: "Mug", LinePrice: &price, DiscountPercentage: &disc},
			{ItemID: "frakt", Quantity: decimal.NewFromInt(1), Name: "Frakt", LinePrice: &price},
		},
	}

	draft, err := c.CreateOrder(ctx, in, true)
	if err != nil {
		t.Fatal(err)
	}
	if !draft.IsDraft || draft.IsBooked || draft.State() != "draft" || draft.Number == 0 {
		t.Fatalf("draft: %+v", draft)
	}
	if len(draft.Lines) != 2 || draft.Lines[0].ItemID != skus[0] || !draft.Lines[0].LinePrice.Equal(price) ||
		!draft.Lines[0].DiscountPercentage.Equal(disc) || !draft.Lines[0].Quantity.Equal(decimal.NewFromInt(2)) {
		t.Fatalf("lines: %+v", draft.Lines)
	}
	if draft.Customer.Number != cust.Number {
		t.Fatalf("customer %+v", draft.Customer)
	}

	booked, err := c.BookOrder(ctx, draft.Number, true)
	if err != nil {
		t.Fatal(err)
	}
	if !booked.IsBooked || booked.IsDraft {
		t.Fatalf("booked: %+v", booked)
	}
	if m := e.mails(t); len(m) != 1 {
		t.Fatalf("booking with mail: %d mails", len(m))
	}
	_, err = c.BookOrder(ctx, draft.Number, false)
	if cls := rackbeat.ClassOf(err); cls != rackbeat.Invalid && cls != rackbeat.Conflict {
		t.Fatalf("booking twice: %v", err)
	}

	ready, err := c.MarkReadyForShipping(ctx, draft.Number)
	if err != nil || !ready.IsReadyForShipping || ready.State() != "ready_for_shipping" {
		t.Fatalf("ready: %+v %v", ready, err)
	}
	shipped, err := c.CreateShipment(ctx, draft.Number)
	if err != nil || !shipped.IsShipped {
		t.Fatalf("shipment: %+v %v", shipped, err)
	}
	inv, err := c.ConvertToInvoice(ctx, draft.Number, true)
	if err != nil || !inv.IsBooked || inv.Number == 0 {
		t.Fatalf("invoice: %+v %v", inv, err)
	}
	after, err := c.GetOrder(ctx, draft.Number)
	if err != nil || after.State() != "invoiced" {
		t.Fatalf("after invoicing: %+v %v", after, err)
	}

	// Created booked straight away, without a mail.
	in.Heading, in.OtherReference = "Shopify #1043", "gid://shopify/Order/1043"
	direct, err := c.CreateOrder(ctx, in, false)
	if err != nil || !direct.IsBooked || direct.IsDraft {
		t.Fatalf("booked create: %+v %v", direct, err)
	}
	if m := e.mails(t); len(m) != 1 {
		t.Fatalf("creating booked sent %d mails", len(m)-1)
	}

	// The heading and other reference find the order again (the healing look-up).
	for _, q := range []string{"Shopify #1043", "gid://shopify/Order/1043"} {
		found, err := c.FindOrders(ctx, q)
		if err != nil || len(found) != 1 || found[0].Number != direct.Number {
			t.Fatalf("search %q: %+v %v", q, found, err)
		}
	}
	if found, err := c.FindOrders(ctx, "Shopify #9999"); err != nil || len(found) != 0 {
		t.Fatalf("search for nothing: %+v %v", found, err)
	}
	// Search matches substrings; the exact look-up does not.
	if found, err := c.FindOrders(ctx, "Shopify #104"); err != nil || len(found) != 2 {
		t.Fatalf("substring search: %d %v", len(found), err)
	}
	if _, ok, err := c.FindOrderByReference(ctx, "Shopify #104"); err != nil || ok {
		t.Fatalf("exact look-up matched a prefix: %v %v", ok, err)
	}
	if o, ok, err := c.FindOrderByReference(ctx, "gid://shopify/Order/1042"); err != nil || !ok || o.Number != draft.Number {
		t.Fatalf("exact look-up: %+v %v %v", o, ok, err)
	}

	cancelled, err := c.CancelOrder(ctx, direct.Number)
	if err != nil || cancelled.State() != "cancelled" {
		t.Fatalf("cancel: %+v %v", cancelled, err)
	}

	// An unknown item is refused with the line named.
	in.Lines[0].ItemID = "NO-SUCH-SKU"
	_, err = c.CreateOrder(ctx, in, true)
	var re *rackbeat.Error
	if !errors.As(err, &re) || re.Class != rackbeat.Invalid || len(re.Fields["lines.0.item_id"]) == 0 ||
		!strings.Contains(err.Error(), `create order for "Shopify #1043": 422 lines.0.item_id:`) {
		t.Fatalf("%v", err)
	}
}

func TestOrderCustomFields(t *testing.T) {
	cat := catalogOf(2)
	e := newEnv(t, rbsandbox.Options{Catalog: cat, Seed: 1, Prerequisites: true})
	c := e.client(t)
	ctx := context.Background()
	field, err := c.CreateField(ctx, rackbeat.FieldInput{Name: "Shopify order id", For: "order"})
	if err != nil {
		t.Fatal(err)
	}
	fields, err := c.Fields(ctx, "order")
	if err != nil || len(fields) != 1 || fields[0].ID != field.ID {
		t.Fatalf("order fields: %+v %v", fields, err)
	}
	cust, err := c.CreateCustomer(ctx, rackbeat.CustomerInput{CompanyName: "Kari"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.CreateOrder(ctx, rackbeat.OrderInput{CustomerID: cust.Number, Heading: "x",
		Lines: []rackbeat.OrderLineInput{{ItemID: cat.SKUs()[0], Quantity: decimal.NewFromInt(1)}}}, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetOrderFields(ctx, o.Number, []rackbeat.FieldValue{{FieldID: fields[0].ID, Value: "1042"}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetOrder(ctx, o.Number)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.Field(field.ID); !ok || v != "1042" {
		t.Fatalf("%+v", got.FieldValues)
	}
	// The field finds the order again, as the exactly-once healing needs.
	found, err := rackbeat.Collect(c.Orders(ctx, rackbeat.Filter{FieldEq: map[int]string{int(field.ID): "1042"}}))
	if err != nil || len(found) != 1 || found[0].Number != o.Number {
		t.Fatalf("field_eq: %+v %v", found, err)
	}
}

func TestCatalogueResources(t *testing.T) {
	cat := catalogOf(4)
	e := newEnv(t, rbsandbox.Options{Catalog: cat, Seed: 1, Prerequisites: true})
	c := e.client(t)
	ctx := context.Background()

	acct, err := c.Self(ctx)
	if err != nil || acct.AccountID == 0 && acct.ID == 0 {
		t.Fatalf("self: %+v %v", acct, err)
	}
	groups, err := c.ProductGroups(ctx)
	if err != nil || len(groups) < 2 || !groups[0].HasInventory {
		t.Fatalf("groups: %+v %v", groups, err)
	}
	hasInv := true
	g, err := c.CreateProductGroup(ctx, rackbeat.ProductGroupInput{Name: "Nettbutikk", HasInventory: &hasInv})
	if err != nil || g.Number == 0 {
		t.Fatalf("create group: %+v %v", g, err)
	}
	if got, err := c.ProductGroup(ctx, g.Number); err != nil || got.Name != "Nettbutikk" {
		t.Fatalf("get group: %+v %v", got, err)
	}
	locs, err := c.Locations(ctx)
	if err != nil || len(locs) != 2 {
		t.Fatalf("locations: %+v %v", locs, err)
	}
	if l, err := c.Location(ctx, locs[1].Number); err != nil || l.Name != locs[1].Name {
		t.Fatalf("location: %+v %v", l, err)
	}
	fields, err := c.Fields(ctx, "item")
	if err != nil || len(fields) != 2 {
		t.Fatalf("item fields (the two Shopbox fields): %+v %v", fields, err)
	}

	// A product's custom field values, written and read back.
	sku := cat.SKUs()[0]
	if _, err := c.UpdateProduct(ctx, sku, rackbeat.ProductInput{FieldValues: []rackbeat.FieldValue{{FieldID: fields[0].ID, Value: "uid-123"}}}); err != nil {
		t.Fatal(err)
	}
	fv, err := c.ProductFields(ctx, sku)
	if err != nil || len(fv) != 1 || fv[0].FieldID != fields[0].ID || fv[0].Value != "uid-123" {
		t.Fatalf("product fields: %+v %v", fv, err)
	}
	p, err := c.Product(ctx, sku)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Field(fields[0].ID); ok {
		t.Log("the product answer carries field values without expand")
	}
	var viaFilter []rackbeat.Product
	for p, err := range c.Products(ctx, rackbeat.Filter{FieldEq: map[int]string{int(fields[0].ID): "uid-123"}, Expand: []string{"field_values"}}) {
		if err != nil {
			t.Fatal(err)
		}
		viaFilter = append(viaFilter, p)
	}
	if len(viaFilter) != 1 || viaFilter[0].Number != sku {
		t.Fatalf("field_eq: %+v", viaFilter)
	}
	if v, ok := viaFilter[0].Field(fields[0].ID); !ok || v != "uid-123" {
		t.Fatalf("expanded field values: %+v", viaFilter[0].FieldValues)
	}

	// A BOM of two components, and the items list that holds products and BOMs.
	lot, err := c.CreateLot(ctx, rackbeat.LotInput{Number: "KIT/1", Name: "Kit", Group: 1,
		Lines: []rackbeat.LotLine{{ProductID: cat.SKUs()[0], Quantity: decimal.NewFromInt(2)}, {ProductID: cat.SKUs()[1], Quantity: decimal.NewFromInt(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Lot(ctx, lot.Number); err != nil || len(got.Lines) != 2 || !got.Lines[0].Quantity.Equal(decimal.NewFromInt(2)) {
		t.Fatalf("lot: %+v %v", got, err)
	}
	lots, err := rackbeat.Collect(c.Lots(ctx, rackbeat.Filter{}))
	if err != nil || len(lots) != 1 {
		t.Fatalf("lots: %+v %v", lots, err)
	}
	item, err := c.Item(ctx, "KIT/1")
	if err != nil || item.Type != "lot" {
		t.Fatalf("item: %+v %v", item, err)
	}
	items, err := rackbeat.Collect(c.Items(ctx, rackbeat.Filter{}))
	if err != nil || len(items) != len(cat.SKUs())+1+1 { // the catalogue, the shipping product, the kit
		t.Fatalf("items: %d %v", len(items), err)
	}
}

func TestWebhookRegistrationAndDelivery(t *testing.T) {
	cat := catalogOf(2)
	e := newEnv(t, rbsandbox.Options{Catalog: cat, Seed: 1})
	c := e.client(t)
	ctx := context.Background()

	type delivery struct {
		ev  rackbeat.Event
		err error
	}
	var mu sync.Mutex
	var got []delivery
	var token string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		_, _ = body.ReadFrom(r.Body)
		mu.Lock()
		ev, err := rackbeat.ParseWebhook(r.Header, body.Bytes(), token)
		got = append(got, delivery{ev, err})
		mu.Unlock()
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer recv.Close()

	hook, err := c.CreateWebhook(ctx, "product.updated", recv.URL+"/hooks/rackbeat")
	if err != nil {
		t.Fatal(err)
	}
	if len(hook.Token) == 0 || hook.ID == 0 {
		t.Fatalf("registration: %+v", hook)
	}
	mu.Lock()
	token = hook.Token
	mu.Unlock()
	hooks, err := c.Webhooks(ctx)
	if err != nil || len(hooks) != 1 || hooks[0].Event != "product.updated" || hooks[0].Token != "" {
		t.Fatalf("list (token shown once only): %+v %v", hooks, err)
	}

	sku := cat.SKUs()[0]
	name := "Renamed"
	if _, err := c.UpdateProduct(ctx, sku, rackbeat.ProductInput{Name: name}); err != nil {
		t.Fatal(err)
	}
	flush, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := e.srv.FlushWebhooks(flush); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(got) != 1 || got[0].err != nil || got[0].ev.Name != "product.updated" || got[0].ev.Key != sku || len(got[0].ev.Data) == 0 {
		t.Fatalf("deliveries: %+v", got)
	}
	// The same delivery with another token is refused.
	mu.Unlock()
	if _, err := rackbeat.ParseWebhook(http.Header{"Rackbeat-Webhook-Token": {"x" + hook.Token[1:]}}, []byte(`{"event":"product.updated","key":"A"}`), hook.Token); !errors.Is(err, rackbeat.ErrTokenMismatch) {
		t.Fatalf("forged: %v", err)
	}

	if err := c.DeleteWebhook(ctx, hook.ID); err != nil {
		t.Fatal(err)
	}
	if hooks, err := c.Webhooks(ctx); err != nil || len(hooks) != 0 {
		t.Fatalf("after delete: %+v %v", hooks, err)
	}
}
