package status

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/server"
	"github.com/shopbridge/shopbridge/core/state"
)

func contains(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

func lacks(t *testing.T, what, body string, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(body, n) {
			t.Errorf("%s: must not contain %q", what, n)
		}
	}
}

// The page shows what an operator needs at a glance, to anyone allowed to
// look.
func TestPageShowsLinksFlowsQueueProcessesQuarantineAndErrors(t *testing.T) {
	f := newFixture(t)
	c := newClient(t, f.handler(t, true))
	a := c.get("/", nil)
	if a.code != http.StatusOK {
		t.Fatalf("GET /: %d", a.code)
	}
	if ct := a.resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	contains(t, "page", a.body,
		`<meta http-equiv="refresh" content="10; url=/">`,
		"webshop", "shopify v1.2.0", "example.myshopify.com", // link, connector, version, account
		"pos", "shopbox v1.0.0",
		"on paid", "inventory → channel", "s ago<", "in 4m", ">118<", // flows: mode, last/next run, items
		">running<", ">error<", "3h 0m", // states and lag
		"SKU NOPE-1 is not a Rackbeat product", "stock.push failed 10 times", // quarantine reasons
		">4242<", ">down<", // processes: pid, state
		"quarantined", "SKU NOPE-1 unknown", // recent errors from the audit
	)
	// Only problems are listed as recent errors.
	lacks(t, "page", a.body, "Rackbeat order 5001")
	// No external assets and no script.
	lacks(t, "page", a.body, "<script", "src=\"http", "href=\"http", "<link ")
}

func TestWithoutOperatorTokenConfiguredThePageIsReadOnlyForEveryone(t *testing.T) {
	f := newFixture(t)
	c := newClient(t, f.handler(t, false))
	a := c.get("/", nil)
	if a.code != http.StatusOK {
		t.Fatalf("GET /: %d", a.code)
	}
	contains(t, "page", a.body, "no operator token is configured", "SKU NOPE-1 is not a Rackbeat product")
	lacks(t, "page", a.body, "/retry", "/drop", `name="csrf"`, `action="/login"`, // no buttons, no login
		`"email"`, customerEmail, "NOPE-1\",") // no payload, e-mails masked
	contains(t, "page", a.body, "j***@example.com")

	// A token cannot log in or act: there is none to match.
	if a := c.get("/", bearer("anything")); a.code != http.StatusUnauthorized {
		t.Errorf("bearer with no token configured: %d, want 401", a.code)
	}
	if a := c.do("POST", "/login", url.Values{"token": {""}}, nil); a.code != http.StatusForbidden {
		t.Errorf("login with no token configured: %d, want 403", a.code)
	}
	id := f.ids["1001"]
	if a := c.do("POST", "/quarantine/"+itoa(id)+"/drop", url.Values{}, nil); a.code != http.StatusForbidden {
		t.Errorf("drop with no token configured: %d, want 403", a.code)
	}
	if !f.inQuarantine(t, id) {
		t.Error("item left quarantine on a refused drop")
	}
}

func TestWithoutCredentialsThePageIsReadOnly(t *testing.T) {
	f := newFixture(t)
	c := newClient(t, f.handler(t, true))
	a := c.get("/", nil)
	if a.code != http.StatusOK {
		t.Fatalf("GET /: %d", a.code)
	}
	contains(t, "page", a.body, `action="/login"`, "read-only", "j***@example.com", "o***@shop.example")
	lacks(t, "page", a.body, "/retry", "/drop", `name="csrf"`, "<details>", customerEmail, "owner@shop.example")

	id := f.ids["1001"]
	if a := c.do("POST", "/quarantine/"+itoa(id)+"/retry", url.Values{}, nil); a.code != http.StatusUnauthorized {
		t.Errorf("retry without credentials: %d, want 401", a.code)
	}
	if !f.inQuarantine(t, id) {
		t.Error("item left quarantine on a refused retry")
	}
}

func TestWrongTokenIsRefused(t *testing.T) {
	f := newFixture(t)
	c := newClient(t, f.handler(t, true))
	for _, path := range []string{"/", "/status.json"} {
		a := c.get(path, bearer("op-TOKEN-wrong"))
		if a.code != http.StatusUnauthorized {
			t.Errorf("GET %s with a wrong token: %d, want 401", path, a.code)
		}
		if a.resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("GET %s: 401 without WWW-Authenticate", path)
		}
		lacks(t, path, a.body, "webshop", "NOPE-1")
	}
	if a := c.do("POST", "/login", url.Values{"token": {"op-TOKEN-wrong"}}, nil); a.code != http.StatusUnauthorized {
		t.Errorf("login with a wrong token: %d, want 401", a.code)
	} else {
		contains(t, "wrong login", a.body, "That is not the operator token")
		if len(a.resp.Cookies()) != 0 {
			t.Error("a wrong login set a cookie")
		}
	}
	id := f.ids["1001"]
	if a := c.do("POST", "/quarantine/"+itoa(id)+"/drop", url.Values{}, bearer("nope")); a.code != http.StatusUnauthorized {
		t.Errorf("drop with a wrong token: %d, want 401", a.code)
	}
	if !f.inQuarantine(t, id) {
		t.Error("item left quarantine on a wrong token")
	}
}

func TestOperatorSeesButtonsAndPayloads(t *testing.T) {
	f := newFixture(t)
	c := newClient(t, f.handler(t, true))
	a := c.get("/", bearer(operatorToken))
	if a.code != http.StatusOK {
		t.Fatalf("GET / as operator: %d", a.code)
	}
	for _, id := range f.ids {
		contains(t, "operator page", a.body,
			`action="/quarantine/`+itoa(id)+`/retry"`, `action="/quarantine/`+itoa(id)+`/drop"`)
	}
	contains(t, "operator page", a.body, "<details><summary>payload</summary>", customerEmail, `&#34;sku&#34;: &#34;NOPE-1&#34;`)
	csrfOf(t, a.body)
	// A bearer client has no cookie session to log out of.
	lacks(t, "operator page", a.body, `action="/login"`, `action="/logout"`)
}

func TestLoginSetsAnHMACCookieNotTheToken(t *testing.T) {
	f := newFixture(t)
	h := f.handler(t, true)
	c := newClient(t, h)
	ck := c.login(operatorToken)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" {
		t.Errorf("cookie attributes: HttpOnly=%v SameSite=%v Path=%q", ck.HttpOnly, ck.SameSite, ck.Path)
	}
	if strings.Contains(ck.Value, operatorToken) || strings.Contains(ck.Raw, operatorToken) {
		t.Fatal("the session cookie contains the operator token")
	}
	a := c.get("/", nil, ck)
	contains(t, "page with cookie", a.body, `id="retry-`+itoa(f.ids["1001"])+`"`, `action="/logout"`, customerEmail)

	// A forged or tampered cookie is just no cookie.
	for _, v := range []string{ck.Value + "0", "9999999999.00", operatorToken, ""} {
		a := c.get("/", nil, &http.Cookie{Name: cookieName, Value: v})
		if a.code != http.StatusOK || strings.Contains(a.body, "/retry") {
			t.Errorf("cookie %q: %d, buttons shown=%v", v, a.code, strings.Contains(a.body, "/retry"))
		}
	}
	// An expired session is over.
	h.auth.now = func() time.Time { return time.Now().Add(sessionTTL + time.Minute) }
	if a := c.get("/", nil, ck); strings.Contains(a.body, "/retry") {
		t.Error("an expired session still shows the buttons")
	}
	h.auth.now = time.Now

	// Logging out needs the page's CSRF token and clears the cookie.
	a = c.get("/", nil, ck)
	lo := c.do("POST", "/logout", url.Values{"csrf": {csrfOf(t, a.body)}}, nil, ck)
	if lo.code != http.StatusSeeOther {
		t.Fatalf("logout: %d", lo.code)
	}
	cleared := false
	for _, k := range lo.resp.Cookies() {
		cleared = cleared || (k.Name == cookieName && k.MaxAge < 0)
	}
	if !cleared {
		t.Error("logout did not clear the cookie")
	}
}

func TestRetryAndDropNeedAValidCSRFToken(t *testing.T) {
	f := newFixture(t)
	c := newClient(t, f.handler(t, true))
	ck := c.login(operatorToken)
	other := c.login(operatorToken) // another session, a second later or not
	page := c.get("/", nil, ck).body
	csrf := csrfOf(t, page)
	otherCSRF := csrfOf(t, c.get("/", nil, other).body)

	order, stock := f.ids["1001"], f.ids["SKU-9"]
	for name, form := range map[string]url.Values{
		"no token":    {},
		"empty token": {"csrf": {""}},
		"wrong token": {"csrf": {strings.Repeat("0", len(csrf))}},
	} {
		a := c.do("POST", "/quarantine/"+itoa(order)+"/retry", form, nil, ck)
		if a.code != http.StatusForbidden {
			t.Errorf("retry with %s: %d, want 403", name, a.code)
		}
	}
	if ck.Value != other.Value {
		if a := c.do("POST", "/quarantine/"+itoa(order)+"/retry", url.Values{"csrf": {otherCSRF}}, nil, ck); a.code != http.StatusForbidden {
			t.Errorf("retry with another session's CSRF token: %d, want 403", a.code)
		}
	}
	// A cross-site form post is refused whatever it carries.
	xs := c.do("POST", "/quarantine/"+itoa(order)+"/retry", url.Values{"csrf": {csrf}},
		map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, ck)
	if xs.code != http.StatusForbidden {
		t.Errorf("cross-site retry: %d, want 403", xs.code)
	}
	if !f.inQuarantine(t, order) {
		t.Fatal("a refused retry took the item out of quarantine")
	}

	// The real thing: the order goes back to its queue, once.
	a := c.do("POST", "/quarantine/"+itoa(order)+"/retry", url.Values{"csrf": {csrf}}, nil, ck)
	if a.code != http.StatusSeeOther {
		t.Fatalf("retry: %d %s", a.code, a.body)
	}
	if f.inQuarantine(t, order) {
		t.Error("retried item is still in quarantine")
	}
	depth, err := f.sched.QueueDepth(context.Background())
	must(t, err)
	if depth[schedule.KindOrdersImport] != 1 {
		t.Errorf("queue after retry: %v, want one %s", depth, schedule.KindOrdersImport)
	}
	done := c.get(a.resp.Header.Get("Location"), nil, ck)
	contains(t, "after retry", done.body, "Item "+itoa(order)+" is back in the queue.")
	lacks(t, "after retry", done.body, `id="q-`+itoa(order)+`"`)

	// Again: the item is gone, and the page says so.
	again := c.do("POST", "/quarantine/"+itoa(order)+"/retry", url.Values{"csrf": {csrf}}, nil, ck)
	if again.code != http.StatusNotFound {
		t.Errorf("second retry: %d, want 404", again.code)
	}

	// A job quarantined by the scheduler is re-enqueued from its arguments.
	b := c.do("POST", "/quarantine/"+itoa(stock)+"/retry", url.Values{"csrf": {csrf}}, bearer(operatorToken))
	if b.code != http.StatusForbidden {
		t.Errorf("bearer with a cookie session's CSRF: %d, want 403", b.code)
	}
	bearerCSRF := csrfOf(t, c.get("/", bearer(operatorToken)).body)
	b = c.do("POST", "/quarantine/"+itoa(stock)+"/drop", url.Values{"csrf": {bearerCSRF}}, bearer(operatorToken))
	if b.code != http.StatusSeeOther {
		t.Fatalf("drop with bearer: %d %s", b.code, b.body)
	}
	if f.inQuarantine(t, stock) {
		t.Error("dropped item is still in quarantine")
	}
	depth, _ = f.sched.QueueDepth(context.Background())
	if depth[schedule.KindStockPush] != 0 {
		t.Errorf("drop enqueued a job: %v", depth)
	}
}

func TestRetryOfAQuarantinedJobReEnqueuesIt(t *testing.T) {
	f := newFixture(t)
	must(t, f.src.Retry(context.Background(), f.ids["SKU-9"]))
	depth, err := f.sched.QueueDepth(context.Background())
	must(t, err)
	if depth[schedule.KindStockPush] != 1 {
		t.Errorf("queue: %v, want one %s", depth, schedule.KindStockPush)
	}
	if f.inQuarantine(t, f.ids["SKU-9"]) {
		t.Error("still in quarantine")
	}
	// An item of a flow with no job to redo it is kept, with a clear error.
	id := f.add(t, state.QuarantineItem{Link: "webshop", Flow: "products", Key: "X-1", Reason: "bad price"})
	err = f.src.Retry(context.Background(), id)
	if err == nil || !strings.Contains(err.Error(), "cannot be retried from the status page") {
		t.Errorf("retry of a products item: %v", err)
	}
	if !f.inQuarantine(t, id) {
		t.Error("an item that could not be retried left quarantine")
	}
	if err := f.src.Retry(context.Background(), 999999); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("retry of a missing item: %v, want ErrNotFound", err)
	}
}

// Issue 9: secrets never appear on the page, in any of its states.
func TestConfiguredSecretsNeverAppear(t *testing.T) {
	f := newFixture(t)
	h := f.handler(t, true)
	c := newClient(t, h)
	ck := c.login(operatorToken)
	csrf := csrfOf(t, c.get("/", nil, ck).body)

	var bodies []answer
	bodies = append(bodies,
		c.get("/", nil), c.get("/", nil, ck), c.get("/", bearer(operatorToken)),
		c.get("/status.json", nil), c.get("/status.json", bearer(operatorToken)), c.get("/status.json", nil, ck),
		c.get("/?after=1", nil, ck),
		c.do("POST", "/login", url.Values{"token": {"wrong"}}, nil),
		c.do("POST", "/quarantine/999/retry", url.Values{"csrf": {csrf}}, nil, ck),
		c.do("POST", "/quarantine/1/retry", url.Values{}, nil, ck),
		c.get("/", bearer("wrong")),
	)
	// And a failure whose error message quotes a secret.
	id := f.add(t, state.QuarantineItem{Link: "webshop", Flow: "products", Key: "X", Reason: "r"})
	bodies = append(bodies, c.do("POST", "/quarantine/"+itoa(id)+"/retry", url.Values{"csrf": {csrf}}, nil, ck))

	secrets := []string{operatorToken, rackbeatToken, webhookToken, shopboxAccess}
	for i, a := range bodies {
		for _, s := range secrets {
			if strings.Contains(a.body, s) {
				t.Errorf("answer %d (%d) shows secret %q", i, a.code, s)
			}
			for k, vs := range a.resp.Header {
				for _, v := range vs {
					if strings.Contains(v, s) {
						t.Errorf("answer %d header %s shows secret %q", i, k, s)
					}
				}
			}
		}
	}
	// The places they were planted still say something useful.
	op := c.get("/", nil, ck).body
	contains(t, "operator page", op, "accessToken=[redacted]", "Rackbeat answered 401 for token [redacted]", "paid with token [redacted]")
}

func TestSecretValuesFindsEverySecretInTheConfig(t *testing.T) {
	got := SecretValues(loadConfig(t, true))
	for _, want := range []string{operatorToken, rackbeatToken, webhookToken} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("SecretValues misses %q (got %d values)", want[:6], len(got))
		}
	}
}

func TestStatusJSONFollowsTheSameRules(t *testing.T) {
	f := newFixture(t)
	c := newClient(t, f.handler(t, true))

	var ro, op Snapshot
	a := c.get("/status.json", nil)
	if a.code != http.StatusOK || a.resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /status.json: %d %s", a.code, a.resp.Header.Get("Content-Type"))
	}
	must(t, json.Unmarshal([]byte(a.body), &ro))
	b := c.get("/status.json", bearer(operatorToken))
	must(t, json.Unmarshal([]byte(b.body), &op))

	if ro.Operator || ro.CSRF != "" || ro.ReadOnly == "" {
		t.Errorf("read-only JSON: operator=%v csrf=%q read_only=%q", ro.Operator, ro.CSRF, ro.ReadOnly)
	}
	if !op.Operator || op.CSRF == "" {
		t.Errorf("operator JSON: operator=%v csrf set=%v", op.Operator, op.CSRF != "")
	}
	if len(ro.Quarantine.Items) != 2 || len(op.Quarantine.Items) != 2 {
		t.Fatalf("quarantine items: %d read-only, %d operator", len(ro.Quarantine.Items), len(op.Quarantine.Items))
	}
	for i := range ro.Quarantine.Items {
		if ro.Quarantine.Items[i].Payload != "" {
			t.Error("read-only JSON carries a payload")
		}
	}
	if !strings.Contains(op.Quarantine.Items[0].Payload, customerEmail) {
		t.Error("operator JSON lacks the payload")
	}
	lacks(t, "read-only JSON", a.body, customerEmail)
	if len(op.Links) != 2 || op.Links[1].ID != "webshop" || len(op.Links[1].Flows) != 3 {
		t.Fatalf("links: %+v", op.Links)
	}
	fl := op.Links[1].Flows[1]
	if fl.Flow != "stock" || fl.State != "running" || fl.LagSeconds == nil || *fl.LagSeconds < 299 || fl.ItemsTotal != 9120 {
		t.Errorf("stock flow: %+v", fl)
	}
	if len(op.Processes) != 2 || op.Processes[0].PID != 4242 || op.Processes[1].Restarts != 5 || op.ProcessesUp != 1 {
		t.Errorf("processes: %+v", op.Processes)
	}
	if len(op.RecentErrors) != 1 || op.RecentErrors[0].Action != "quarantined" {
		t.Errorf("recent errors: %+v", op.RecentErrors)
	}
}

func TestQuarantineIsPaged(t *testing.T) {
	f := newFixture(t)
	for i := range 30 {
		f.add(t, state.QuarantineItem{Link: "webshop", Flow: "orders", Key: "p" + itoa(int64(i)), Reason: "page test " + itoa(int64(i))})
	}
	h := f.handler(t, true)
	c := newClient(t, h)
	var first, second Snapshot
	must(t, json.Unmarshal([]byte(c.get("/status.json", nil).body), &first))
	if len(first.Quarantine.Items) != 25 || first.Quarantine.Next == 0 {
		t.Fatalf("first page: %d items, next %d", len(first.Quarantine.Items), first.Quarantine.Next)
	}
	page := c.get("/", nil).body
	contains(t, "first page", page, `href="/?after=`+itoa(first.Quarantine.Next)+`#quarantine"`)
	must(t, json.Unmarshal([]byte(c.get("/status.json?after="+itoa(first.Quarantine.Next), nil).body), &second))
	if len(second.Quarantine.Items) != 7 || second.Quarantine.Next != 0 {
		t.Fatalf("second page: %d items, next %d", len(second.Quarantine.Items), second.Quarantine.Next)
	}
	if second.Quarantine.Items[0].ID <= first.Quarantine.Items[24].ID {
		t.Error("pages overlap")
	}
	p2 := c.get("/?after="+itoa(first.Quarantine.Next), nil).body
	contains(t, "second page", p2, `url=/?after=`+itoa(first.Quarantine.Next), "first page")
}

type brokenSource struct{ *StateSource }

func (brokenSource) Quarantine(context.Context, int64, int) ([]state.QuarantineItem, error) {
	return nil, errors.New("database is locked (password=" + rackbeatToken + ")")
}

func TestAPartThatCannotBeReadIsNamedAndTheRestShown(t *testing.T) {
	f := newFixture(t)
	cfg := loadConfig(t, true)
	c := newClient(t, New(Options{Source: brokenSource{f.src}, Token: cfg.Server.OperatorToken, Secrets: SecretValues(cfg)}))
	a := c.get("/", nil)
	if a.code != http.StatusOK {
		t.Fatalf("GET /: %d", a.code)
	}
	contains(t, "page", a.body, "Could not read the quarantine: database is locked", "webshop", "shopify v1.2.0")
	lacks(t, "page", a.body, rackbeatToken)
}

func TestLoginGuessingIsSlowedDown(t *testing.T) {
	f := newFixture(t)
	c := newClient(t, f.handler(t, true))
	limited := false
	for range 30 {
		a := c.do("POST", "/login", url.Values{"token": {"guess"}}, nil)
		if a.code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("30 wrong logins in a row were all answered")
	}
}

func TestRoutesMountOnAServeMux(t *testing.T) {
	f := newFixture(t)
	h := f.handler(t, true)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("POST /hooks/{link}", func(w http.ResponseWriter, _ *http.Request) {})
	for p, rh := range h.Routes() {
		mux.Handle(p, rh)
	}
	c := newClient(t, mux)
	if a := c.get("/", nil); a.code != http.StatusOK || !strings.Contains(a.body, "webshop") {
		t.Errorf("GET / through the mux: %d", a.code)
	}
	if a := c.get("/status.json", nil); a.code != http.StatusOK {
		t.Errorf("GET /status.json through the mux: %d", a.code)
	}
	if a := c.get("/nothing", nil); a.code != http.StatusNotFound {
		t.Errorf("GET /nothing: %d, want 404", a.code)
	}
}

func TestFilterMasksCredentials(t *testing.T) {
	fl := newFilter([]string{"s3cr3t-value", "abc"})
	for in, want := range map[string]string{
		"token s3cr3t-value leaked":                      "token [redacted] leaked",
		"https://x.example/a?accessToken=zz9&client=1":   "https://x.example/a?accessToken=[redacted]&client=1",
		"postgres://sb:hunter2@db.example/shopbridge":    "postgres://[redacted]@db.example/shopbridge",
		"Authorization: Bearer eyJhbGciOi.xyz":           "Authorization: Bearer [redacted]",
		"customer jane.doe+shop@mail.example.co.uk said": "customer j***@mail.example.co.uk said",
		"abc is too short to be a secret":                "abc is too short to be a secret",
	} {
		if got := fl.clean(in, false); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
	if got := fl.clean("mail jane@example.com", true); got != "mail jane@example.com" {
		t.Errorf("operator view masks e-mail: %q", got)
	}
}

func TestRoutesMountOnTheHostsServer(t *testing.T) {
	f := newFixture(t)
	h := f.handler(t, true)
	srv := server.New(server.Options{Routes: h.Routes()})
	c := newClient(t, srv.Handler())
	if a := c.get("/", bearer(operatorToken)); a.code != http.StatusOK || !strings.Contains(a.body, "/retry") {
		t.Errorf("GET / through the host's server: %d", a.code)
	}
	if a := c.get("/healthz", nil); a.code != http.StatusOK {
		t.Errorf("GET /healthz beside the status page: %d", a.code)
	}
	ck := c.login(operatorToken)
	csrf := csrfOf(t, c.get("/", nil, ck).body)
	id := f.ids["1001"]
	if a := c.do("POST", "/quarantine/"+itoa(id)+"/drop", url.Values{"csrf": {csrf}}, nil, ck); a.code != http.StatusSeeOther {
		t.Errorf("drop through the host's server: %d", a.code)
	}
}
