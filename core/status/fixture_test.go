package status

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/state/statetest"
)

// The configured secrets of the fixture. Each is planted in the data the
// page reads (errors, payloads, audit details) to prove it never comes out.
const (
	operatorToken = "op-TOKEN-7f3a9c2e5b1d44"
	rackbeatToken = "rb-SECRET-55aa66bb77cc"
	webhookToken  = "wh-SECRET-0912ab34cd"
	customerEmail = "jane.doe@example.com"
	// shopboxAccess is not configured anywhere (Shopbox hands it out at
	// login); the URL filter must catch it.
	shopboxAccess = "sbx-live-9988776655"
)

func loadConfig(t *testing.T, withToken bool) *config.Config {
	t.Helper()
	env := map[string]string{"OP": operatorToken, "RB": rackbeatToken, "WH": webhookToken}
	y := "rackbeat:\n  token: ${RB}\n  webhook_token: ${WH}\n"
	if withToken {
		y += "server:\n  operator_token: ${OP}\n"
	}
	cfg, err := config.Parse([]byte(y), config.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// fakeRuntime is the host's part: processes and flow states.
type fakeRuntime struct{ now time.Time }

func (f fakeRuntime) Processes() []Process {
	return []Process{
		{Name: "shopify", Version: "1.2.0", PID: 4242, Running: true, Restarts: 2, Links: []string{"webshop"}},
		{Name: "shopbox", Version: "1.0.0", PID: 0, Running: false, Restarts: 5, Links: []string{"pos"},
			LastError: "exited: auth with " + rackbeatToken + " refused"},
	}
}

func (f fakeRuntime) LinkRuntime(id string) LinkRuntime {
	switch id {
	case "webshop":
		return LinkRuntime{Account: "example.myshopify.com", Flows: []FlowStatus{
			{Flow: "orders", Mode: "on paid", LastRun: f.now.Add(-40 * time.Second), LastSuccess: f.now.Add(-40 * time.Second),
				NextRun: f.now.Add(4*time.Minute + 30*time.Second), ItemsLastRun: 3, ItemsTotal: 118},
			{Flow: "stock", Mode: "inventory → channel", Running: true, LastRun: f.now.Add(-2 * time.Second),
				LastSuccess: f.now.Add(-5 * time.Minute), ItemsLastRun: 250, ItemsTotal: 9120},
			{Flow: "products", Mode: "inventory → channel", LastRun: f.now.Add(-time.Hour), LastSuccess: f.now.Add(-3 * time.Hour),
				NextRun: f.now.Add(time.Hour), LastError: "Rackbeat answered 401 for token " + rackbeatToken + ": check rackbeat.token"},
		}}
	case "pos":
		return LinkRuntime{Account: "owner@shop.example", Flows: []FlowStatus{{Flow: "orders", Mode: "every 2h"}}}
	}
	return LinkRuntime{}
}

type fixture struct {
	db    *state.DB
	sched *schedule.Scheduler
	src   *StateSource
	ids   map[string]int64 // quarantine ids by key
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	db := statetest.Open(t, statetest.Backends(t)[0])
	sched, err := schedule.New(db, nil, schedule.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, sched: sched, ids: map[string]int64{}}
	f.src = FromState(db, sched, fakeRuntime{now: time.Now()})

	must(t, db.UpsertLink(ctx, state.Link{ID: "webshop", Connector: "shopify", ConnectorVersion: "1.2.0"}))
	must(t, db.UpsertLink(ctx, state.Link{ID: "pos", Connector: "shopbox", ConnectorVersion: "1.0.0"}))

	order, _ := json.Marshal(map[string]any{"id": "1001", "name": "#1001", "email": customerEmail,
		"lines": []map[string]any{{"sku": "NOPE-1", "quantity": 2}},
		"note":  "paid with token " + webhookToken})
	f.add(t, state.QuarantineItem{Link: "webshop", Flow: "orders", Key: "1001", Payload: order,
		Reason: "line 1: SKU NOPE-1 is not a Rackbeat product: create it in Rackbeat, then retry"})
	f.add(t, state.QuarantineItem{Link: "pos", Flow: schedule.KindStockPush, Key: "SKU-9",
		Payload: []byte(`{"link":"pos","sku":"SKU-9"}`),
		Reason:  "stock.push failed 10 times; fix the cause and retry it from quarantine",
		LastError: "PUT https://api.shopbox.example/api/v3/products/9/inventory?accessToken=" + shopboxAccess +
			"&client=7: 503 Service Unavailable"})

	must(t, db.Audit(ctx, state.AuditEntry{Link: "webshop", Flow: "orders", Action: "imported", Key: "1000", Detail: "Rackbeat order 5001 (ready_to_ship)"}))
	must(t, db.Audit(ctx, state.AuditEntry{Link: "webshop", Flow: "orders", Action: "quarantined", Key: "1001",
		Detail: "customer " + customerEmail + ": SKU NOPE-1 unknown"}))
	return f
}

func (f *fixture) add(t *testing.T, it state.QuarantineItem) int64 {
	t.Helper()
	id, err := f.db.AddQuarantine(context.Background(), it)
	must(t, err)
	f.ids[it.Key] = id
	return id
}

func (f *fixture) handler(t *testing.T, withToken bool) *Handler {
	cfg := loadConfig(t, withToken)
	return New(Options{Source: f.src, Token: cfg.Server.OperatorToken, Secrets: SecretValues(cfg)})
}

func (f *fixture) inQuarantine(t *testing.T, id int64) bool {
	t.Helper()
	_, ok, err := f.db.QuarantineItem(context.Background(), id)
	must(t, err)
	return ok
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// client talks to a test server without following redirects, so tests see
// the 303 and its cookie.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newClient(t *testing.T, h http.Handler) *client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &client{t: t, base: srv.URL, hc: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type answer struct {
	code int
	body string
	resp *http.Response
}

func (c *client) do(method, path string, form url.Values, hdr map[string]string, cookies ...*http.Cookie) answer {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{code: resp.StatusCode, body: string(b), resp: resp}
}

func (c *client) get(path string, hdr map[string]string, cookies ...*http.Cookie) answer {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil, hdr, cookies...)
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

var csrfRE = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("page has no CSRF token")
	}
	return m[1]
}

func (c *client) login(tok string) *http.Cookie {
	c.t.Helper()
	a := c.do(http.MethodPost, "/login", url.Values{"token": {tok}}, nil)
	if a.code != http.StatusSeeOther {
		c.t.Fatalf("login: %d %s", a.code, a.body)
	}
	for _, ck := range a.resp.Cookies() {
		if ck.Name == cookieName {
			return ck
		}
	}
	c.t.Fatal("login set no session cookie")
	return nil
}

func itoa(n int64) string { return fmt.Sprint(n) }
