package status

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/status/browsertest"
)

// TestBrowserRetryFromTheStatusPage drives the page in headless Chromium as
// an operator would: read it, log in, press Retry, see the item leave
// quarantine.
func TestBrowserRetryFromTheStatusPage(t *testing.T) {
	if testing.Short() && os.Getenv("CI") == "" {
		t.Skip("browser test skipped in -short mode")
	}
	chromium := browsertest.FindChromium(t)
	f := newFixture(t)
	cfg := loadConfig(t, true)
	// The page reloads itself every 10 s; a reload between finding a button
	// and clicking it would fail the test on a slow machine, so it waits
	// longer here.
	srv := httptest.NewServer(New(Options{Source: f.src, Token: cfg.Server.OperatorToken, Secrets: SecretValues(cfg), Refresh: time.Hour}))
	defer srv.Close()

	// Generous: two shared cores under -race start Chromium slowly. This
	// bounds a hang; nothing is timed.
	ctx := browsertest.Browser(t, chromium, 90*time.Second)

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+browsertest.JSString(sel)+`).length`))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	shots := browsertest.ArtifactDir(t)
	shot := func(name string) { t.Helper(); browsertest.Screenshot(t, ctx, shots, name) }

	// 1. Read-only: the content is there, the buttons and payloads are not.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#links"))); err != nil {
		t.Fatalf("load the page: %v", err)
	}
	links := text("#links")
	for _, want := range []string{"webshop", "shopify v1.2.0", "example.myshopify.com", "pos", "shopbox v1.0.0", "inventory → channel"} {
		if !strings.Contains(links, want) {
			t.Errorf("links section lacks %q:\n%s", want, links)
		}
	}
	if q := text("#quarantine"); !strings.Contains(q, "SKU NOPE-1 is not a Rackbeat product") || strings.Contains(q, customerEmail) {
		t.Errorf("read-only quarantine section:\n%s", q)
	}
	if p := text("#processes"); !strings.Contains(p, "4242") {
		t.Errorf("processes section lacks the pid:\n%s", p)
	}
	if who := text("#who"); who != "read-only" {
		t.Errorf("badge says %q before login", who)
	}
	if n := count("button.retry"); n != 0 {
		t.Errorf("%d retry buttons before login", n)
	}
	shot("status-read-only.png")

	// 2. Log in with the operator token through the form.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#login input[name="token"]`), operatorToken),
		chromedp.Click(chromedp.CSS(`#login button`)),
		chromedp.WaitVisible(chromedp.CSS("#flash-loggedin")),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}
	if who := text("#who"); who != "operator" {
		t.Errorf("badge says %q after login", who)
	}
	if n := count("button.retry"); n != 2 {
		t.Errorf("%d retry buttons after login, want 2", n)
	}

	// 3. Retry the quarantined order.
	id := f.ids["1001"]
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#retry-"+itoa(id))),
		chromedp.WaitVisible(chromedp.CSS("#flash-retried")),
	); err != nil {
		t.Fatalf("press retry: %v", err)
	}
	if fl := text("#flash-retried"); !strings.Contains(fl, "Item "+itoa(id)+" is back in the queue") {
		t.Errorf("flash after retry: %q", fl)
	}
	if n := count("#q-" + itoa(id)); n != 0 {
		t.Error("the retried item is still listed")
	}
	if f.inQuarantine(t, id) {
		t.Error("the retried item is still in quarantine in the store")
	}
	depth, err := f.sched.QueueDepth(context.Background())
	must(t, err)
	if depth[schedule.KindOrdersImport] != 1 {
		t.Errorf("queue after retry: %v", depth)
	}
	if q := text("#queue"); !strings.Contains(q, schedule.KindOrdersImport) {
		t.Errorf("queue section after retry:\n%s", q)
	}
	shot("status-operator.png")

	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{operatorToken, rackbeatToken, webhookToken, shopboxAccess} {
		if strings.Contains(html, s) {
			t.Errorf("the page in the browser shows secret %q", s)
		}
	}
}
