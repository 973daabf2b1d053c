package host_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/state"
	spsandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

const testStateKey = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

func storedAccessToken(t *testing.T, w *world, link string) string {
	t.Helper()
	s, ok, err := w.host.Store().GetSecret(context.Background(), link, "credentials")
	if err != nil || !ok {
		t.Fatalf("no stored credentials for %s (%v)", link, err)
	}
	var c sdk.Credentials
	if err := json.Unmarshal([]byte(s.Value), &c); err != nil {
		t.Fatal(err)
	}
	return c.AccessToken
}

// TestConnectThenKeepCredentialsFresh installs a link through the Shopify
// sandbox's OAuth, then lets the refresher replace its token before it
// expires, and imports an order with the new one.
func TestConnectThenKeepCredentialsFresh(t *testing.T) {
	t.Setenv(state.SecretKeyEnv, testStateKey)
	ctx := context.Background()
	w := newWorld(t, 5)
	w.start(fmt.Sprintf(`
  - id: oauth
    connector: shopify@^1.0
    settings: {shop: demo.myshopify.com, client_id: sandbox-client-id, client_secret: "${SHOPIFY_SECRET}", base_url: %q}
    orders: {%s}
`, w.urls["shopify"], orders()))

	start, err := w.host.StartConnect(ctx, "oauth")
	if err != nil {
		t.Fatal(err)
	}
	su, _ := url.Parse(start)
	q := su.Query()
	back, err := w.shopify.Approve(q.Get("client_id"), q.Get("scope"), q.Get("redirect_uri"), q.Get("state"))
	if err != nil {
		t.Fatal(err)
	}
	bu, _ := url.Parse(back)

	// A tampered callback is refused by the connector's hmac check, and a
	// state of another install by the host.
	tampered := bu.Query()
	tampered.Set("shop", "evil.myshopify.com")
	if _, err := w.host.CompleteConnect(ctx, "oauth", tampered); err == nil {
		t.Fatal("a callback with a changed shop was accepted")
	}
	// The tampered callback carried the right state and used it up: start again.
	if start, err = w.host.StartConnect(ctx, "oauth"); err != nil {
		t.Fatal(err)
	}
	su, _ = url.Parse(start)
	q = su.Query()
	if back, err = w.shopify.Approve(q.Get("client_id"), q.Get("scope"), q.Get("redirect_uri"), q.Get("state")); err != nil {
		t.Fatal(err)
	}
	bu, _ = url.Parse(back)
	if _, err := w.host.CompleteConnect(ctx, "other", bu.Query()); err == nil {
		t.Error("a callback for a link that is not configured was accepted")
	}
	creds, err := w.host.CompleteConnect(ctx, "oauth", bu.Query())
	if err != nil {
		t.Fatal(err)
	}
	if creds.ExpiresAt.IsZero() || storedAccessToken(t, w, "oauth") != creds.AccessToken {
		t.Fatalf("credentials not stored as granted (expiry %v)", creds.ExpiresAt)
	}

	// Tokens last an hour in the sandbox: a two-hour horizon makes the
	// refresher act at once.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { w.host.KeepCredentialsFresh(rctx, 20*time.Millisecond, 2*time.Hour); close(done) }()
	w.eventually("a refreshed token", 30*time.Second, func() bool { return storedAccessToken(t, w, "oauth") != creds.AccessToken })
	cancel()
	<-done

	id, err := w.shopify.PlaceOrder(spsandbox.OrderInput{Email: "fresh@example.se", FinancialStatus: "paid", Lines: []spsandbox.OrderLine{{SKU: w.sku(0), Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.host.ImportOrder(ctx, "oauth", id, false)
	if err != nil || res.RackbeatNumber == 0 {
		t.Fatalf("import with the refreshed token: %+v %v", res, err)
	}

	// A refused token is healed by a refresh; other errors are not.
	before := storedAccessToken(t, w, "oauth")
	if w.host.RefreshIfUnauthenticated(ctx, "oauth", errors.New("boom")) {
		t.Error("refreshed on an error that is not unauthenticated")
	}
	if !w.host.RefreshIfUnauthenticated(ctx, "oauth", sdk.Unauthenticated("token expired")) || storedAccessToken(t, w, "oauth") == before {
		t.Error("an unauthenticated error did not refresh the token")
	}
}
