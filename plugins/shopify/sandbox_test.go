package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	sandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

// fakeClock is shared by the sandbox and the connector: waiting for the
// bucket advances it instead of sleeping, so pacing is tested exactly and
// fast, and the sandbox refills its bucket by the same time.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.Advance(d)
	}
	return ctx.Err()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	testToken  = "shpat_test_token"
	testSecret = "sandbox-client-secret"
)

type env struct {
	sb    *sandbox.Server
	srv   *httptest.Server
	clock *fakeClock
	link  *link
}

// newEnv starts the Shopify sandbox in-process on the standard plan and
// opens a link on it. extra settings are merged in.
func newEnv(t testing.TB, products int, extra map[string]any) *env {
	t.Helper()
	clock := newFakeClock()
	sb := sandbox.New(sandbox.Options{
		Catalog:      catalog.Generate(catalog.Config{Products: products, Locations: 2, Seed: 7}),
		AccessTokens: []string{testToken},
		Plan:         "standard",
		Seed:         7,
		Now:          clock.Now,
	})
	srv := httptest.NewServer(sb)
	t.Cleanup(func() { srv.Close(); sb.Close() })
	settings := map[string]any{"shop": sb.Shop(), "access_token": testToken, "client_secret": testSecret,
		"client_id": "sandbox-client-id", "base_url": srv.URL}
	for k, v := range extra {
		settings[k] = v
	}
	raw, _ := json.Marshal(settings)
	c := New(WithClock(clock))
	l, err := c.OpenLink(context.Background(), sdk.OpenRequest{LinkID: "test", Settings: raw})
	if err != nil {
		t.Fatalf("open link: %v", err)
	}
	return &env{sb: sb, srv: srv, clock: clock, link: l.(*link)}
}

// skus returns n SKUs of the sandbox's catalogue with their inventory
// items, read through the connector.
func (e *env) levels(t testing.TB, n int) []sdk.StockLevel {
	t.Helper()
	// Read through a link of its own, so that the link under test starts
	// knowing nothing of the bucket.
	settings, _ := json.Marshal(map[string]any{"shop": e.sb.Shop(), "access_token": testToken, "base_url": e.srv.URL})
	other, err := New(WithClock(e.clock)).OpenLink(context.Background(), sdk.OpenRequest{LinkID: "reader", Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	var out []sdk.StockLevel
	err = other.(*link).ReadStock(context.Background(), sdk.StockReadRequest{}, func(p sdk.StockPage) error {
		out = append(out, p.Items...)
		if len(out) >= n {
			return errEnough
		}
		return nil
	})
	if err != nil && err != errEnough {
		t.Fatalf("read stock: %v", err)
	}
	if len(out) < n {
		t.Fatalf("the sandbox has %d stock levels, want %d", len(out), n)
	}
	return out[:n]
}

var errEnough = fmt.Errorf("enough")

// drain spends the shop's bucket as another app would, with mutations of
// 10 points sent straight to the sandbox, until less than 20 points are left.
func (e *env) drain(t testing.TB) {
	t.Helper()
	body := `{"query":"mutation { webhookSubscriptionDelete(id: \"gid://shopify/WebhookSubscription/1\") { deletedWebhookSubscriptionId } }"}`
	for i := 0; i < 1000; i++ {
		if avail, _, _ := e.sb.ThrottleStatus(); avail < 20 {
			return
		}
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+sandbox.GraphQLPath(), strings.NewReader(body))
		req.Header.Set("X-Shopify-Access-Token", testToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("drain the bucket: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	t.Fatal("the bucket did not drain")
}
