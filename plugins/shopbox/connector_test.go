package shopbox_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/plugins/shopbox"
	"github.com/shopbridge/shopbridge/sandbox/faults"
	sandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	"github.com/shopbridge/shopbridge/sdk"
)

func TestTokenExpiryMidSyncIsRecoveredWithOneLogin(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	ctx := context.Background()
	pages, n := 0, 0
	err := l.ReadProducts(ctx, sdk.ReadRequest{}, func(p sdk.ProductPage) error {
		pages++
		n += len(p.Items)
		if pages == 2 {
			e.sb.ExpireTokens()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("a read across a token expiry failed: %v", err)
	}
	if want := len(e.sb.Products()); n != want || pages < 3 {
		t.Fatalf("read %d products in %d pages, want all %d over several pages", n, pages, want)
	}
	if got := e.sb.LoginCount(); got != 2 {
		t.Errorf("the sandbox saw %d logins, want 2: the first and one after the expiry", got)
	}
	if got := l.Client().Logins(); got != 2 {
		t.Errorf("the client made %d logins, want 2", got)
	}

	// Concurrent calls refused together share one new login.
	e.sb.ExpireTokens()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := l.ListCategories(ctx)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("ListCategories after expiry: %v", err)
		}
	}
	if got := e.sb.LoginCount(); got != 3 {
		t.Errorf("six calls refused at once made %d logins in all, want 3 (one more)", got)
	}
}

func TestWrongPasswordIsUnauthenticatedAndNamesTheAccount(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	const wrong = "not-the-password-7731"
	l := e.open(t, map[string]any{"password": wrong})
	_, err := l.ListLocations(context.Background())
	if sdk.ClassOf(err) != sdk.ClassUnauthenticated {
		t.Fatalf("a wrong password gave %v (class %q), want class unauthenticated", err, sdk.ClassOf(err))
	}
	msg := err.Error()
	if !strings.Contains(msg, testEmail) {
		t.Errorf("the error does not name the account %s: %s", testEmail, msg)
	}
	if strings.Contains(msg, wrong) || strings.Contains(msg, testPassword) {
		t.Errorf("the error shows a password: %s", msg)
	}
	rep, err := l.Check(context.Background())
	if err != nil {
		t.Fatalf("Check: %v", err)
	}
	if len(rep.Items) == 0 || rep.Items[0].OK || rep.Items[0].Hint == "" {
		t.Errorf("Check with a wrong password reports %+v, want a failed login item with a hint", rep.Items)
	}
	if got := e.sb.LoginCount(); got != 0 {
		t.Errorf("%d successful logins with a wrong password", got)
	}
}

func TestTransportErrorsNeverShowCredentials(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	if _, err := l.ListCategories(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.sb.Faults().Set(faults.Rule{Path: "/api/v3/tags", DropRate: 1})
	_, err := l.ListCategories(context.Background())
	if sdk.ClassOf(err) != sdk.ClassRetryable {
		t.Fatalf("dropped connections gave %v (class %q), want retryable", err, sdk.ClassOf(err))
	}
	if msg := err.Error(); strings.Contains(msg, "accessToken") || strings.Contains(msg, testPassword) || strings.Contains(msg, "127.0.0.1") {
		t.Errorf("the error shows the request URL or a secret: %s", msg)
	}
}

func TestTransientErrorsAreRetriedAndRateLimitsSignalled(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	e.sb.Faults().Set(faults.Rule{Path: "/api/v3/products", ErrorRate: 1, Times: 2})
	all, _ := readAllProducts(t, l, sdk.ReadRequest{})
	if len(all) != len(e.sb.Products()) {
		t.Errorf("after two 5xx answers the read got %d products, want %d", len(all), len(e.sb.Products()))
	}
	// A short Retry-After is waited out inside the connector, so a long
	// read keeps going; a long one goes back to the host to schedule.
	e.sb.Faults().Set(faults.Rule{Path: "/api/v3/tags", RateLimitRate: 1, RetryAfterSeconds: 1, Times: 1})
	if _, err := l.ListCategories(context.Background()); err != nil {
		t.Errorf("a 429 with Retry-After 1 was not waited out: %v", err)
	}
	e.sb.Faults().Set(faults.Rule{Path: "/api/v3/tags", RateLimitRate: 1, RetryAfterSeconds: 120, Times: 1})
	_, err := l.ListCategories(context.Background())
	var se *sdk.Error
	if sdk.ClassOf(err) != sdk.ClassRateLimited || !asError(err, &se) || se.RetryAfter.Seconds() != 120 {
		t.Errorf("a 429 with Retry-After 120 gave %v, want rate_limited with retry_after 120s", err)
	}
}

func TestSeveralShopsNeedClientID(t *testing.T) {
	twoShops := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/api/v3/clients/myclients" {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"data":[{"uid":1,"name":"Oslo"},{"uid":2,"name":"Bergen"}],"meta":{"pagination":{"total":2,"count":2,"per_page":100,"current_page":1,"total_pages":1,"links":{"next":null}}}}`))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	e := startSandbox(t, sandbox.Options{}, twoShops)
	l := e.open(t, map[string]any{"client_id": nil})
	_, err := l.ListCategories(context.Background())
	var se *sdk.Error
	if !asError(err, &se) || se.Field != "client_id" || !strings.Contains(se.Message, "Oslo") || !strings.Contains(se.Message, "Bergen") {
		t.Fatalf("an account with two shops and no client_id gave %v, want an error naming client_id and listing both shops", err)
	}
	l = e.open(t, map[string]any{"client_id": 1})
	if _, err := l.ListCategories(context.Background()); err != nil {
		t.Fatalf("with client_id set: %v", err)
	}
}

func TestSettingsAreValidatedNamingTheKey(t *testing.T) {
	c := shopbox.New()
	base := `"email":"a@b.no","password":"x"`
	for _, tc := range []struct{ settings, key string }{
		{`{}`, "email"},
		{`{"email":"a@b.no"}`, "password"},
		{`{` + base + `,"vat_rate":"25%"}`, "vat_rate"},
		{`{` + base + `,"vat_rate":"1.5"}`, "vat_rate"},
		{`{` + base + `,"client_id":"shop"}`, "client_id"},
		{`{` + base + `,"page_size":500}`, "page_size"},
		{`{` + base + `,"currency":"kr"}`, "currency"},
		{`{` + base + `,"base_url":"ftp://x"}`, "base_url"},
		{`{` + base + `,"pasword":"typo"}`, "pasword"},
	} {
		_, err := c.OpenLink(context.Background(), sdk.OpenRequest{LinkID: "x", Settings: []byte(tc.settings)})
		var se *sdk.Error
		if !asError(err, &se) || se.Class != sdk.ClassInvalid || se.Field != tc.key {
			t.Errorf("settings %s gave %v, want invalid naming %q", tc.settings, err, tc.key)
		}
	}
	if _, err := c.OpenLink(context.Background(), sdk.OpenRequest{LinkID: "x", Settings: []byte(`{"api_token":"t"}`)}); err != nil {
		t.Errorf("an api token alone is enough: %v", err)
	}
}

func TestPriceRoundTripsExactly(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	ctx := context.Background()
	write := func(sku, amount string, inclVAT bool) sdk.ProductWriteResult {
		t.Helper()
		res, err := l.WriteProducts(ctx, []sdk.ProductWrite{{Key: sku, Product: sdk.Product{
			Title: "Kopp " + sku, Variants: []sdk.Variant{{SKU: sku, Price: sdk.MustMoney(amount, "DKK"), PriceIncludesVAT: inclVAT}},
		}}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("writing %s: %v %v", sku, err, res[0].Err)
		}
		return res[0]
	}
	write("PRICE-INCL", "125.00", true)
	write("PRICE-EXCL", "100.00", false)
	write("PRICE-ROUND", "99.995", true) // half away from zero: 10000 øre
	all, _ := readAllProducts(t, l, sdk.ReadRequest{SKUs: []string{"PRICE-INCL", "PRICE-EXCL", "PRICE-ROUND"}})
	for sku, want := range map[string]string{"PRICE-INCL": "125.00", "PRICE-EXCL": "125.00", "PRICE-ROUND": "100.00"} {
		_, v, ok := findVariant(all, sku)
		if !ok {
			t.Fatalf("%s not read back", sku)
		}
		if !v.Price.Amount.Equal(decimal.RequireFromString(want)) || v.Price.Currency != "DKK" || !v.PriceIncludesVAT {
			t.Errorf("%s reads back as %s (incl. VAT %v), want %s DKK incl. VAT", sku, v.Price, v.PriceIncludesVAT, want)
		}
	}
	for _, p := range e.sb.Products() {
		if p.SKUCode == "PRICE-INCL" || p.SKUCode == "PRICE-EXCL" {
			if p.SellingPrice != 12500 {
				t.Errorf("%s is stored as %d øre, want 12500", p.SKUCode, p.SellingPrice)
			}
		}
	}
	_, v, _ := findVariant(all, "PRICE-EXCL")
	if got := shopbox.ExcludingVAT(v.Price, decimal.RequireFromString("0.25")); !got.Amount.Equal(decimal.RequireFromString("100.00")) {
		t.Errorf("125.00 incl. 25 %% VAT is %s without, want 100.00", got)
	}
}

func asError(err error, target **sdk.Error) bool {
	e := sdk.AsError(err)
	if e == nil {
		return false
	}
	*target = e
	return true
}
