package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestQueryHMACMatchesShopifysDocumentedExample(t *testing.T) {
	q := url.Values{"code": {"0907a61c0c8d55e99db179b68161bc00"}, "shop": {"some-shop.myshopify.com"},
		"state": {"0.6784241404160823"}, "timestamp": {"1337178173"}}
	q.Set("hmac", "ignored")
	const want = "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf"
	if got := QueryHMAC("hush", q); got != want {
		t.Fatalf("QueryHMAC = %s, want %s", got, want)
	}
}

func tokenRequest(t *testing.T, f *fixture, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(f.ts.URL+"/admin/oauth/access_token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestOAuthInstallAndTokens(t *testing.T) {
	f := newFixture(t, nil)
	authorize := f.ts.URL + "/admin/oauth/authorize?" + url.Values{"client_id": {"app-id"}, "scope": {"read_products,write_inventory"},
		"redirect_uri": {"https://sync.example.com/callback"}, "state": {"nonce-1"}}.Encode()
	resp, err := http.Get(authorize)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("authorize page: %d", resp.StatusCode)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.PostForm(f.ts.URL+"/admin/oauth/authorize/approve", url.Values{"client_id": {"app-id"},
		"scope": {"read_products,write_inventory"}, "redirect_uri": {"https://sync.example.com/callback"}, "state": {"nonce-1"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Host != "sync.example.com" {
		t.Fatalf("approve: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("state") != "nonce-1" || q.Get("shop") != "demo.myshopify.com" || q.Get("code") == "" || q.Get("timestamp") == "" {
		t.Fatalf("callback query: %v", q)
	}
	// Recompute the hmac as an app would: sorted k=v pairs without hmac.
	var pairs []string
	for k := range q {
		if k != "hmac" {
			pairs = append(pairs, k+"="+q.Get(k))
		}
	}
	sort.Strings(pairs)
	mac := hmac.New(sha256.New, []byte("app-secret"))
	mac.Write([]byte(strings.Join(pairs, "&")))
	if want := hex.EncodeToString(mac.Sum(nil)); q.Get("hmac") != want {
		t.Fatalf("hmac %s, want %s", q.Get("hmac"), want)
	}

	status, tok := tokenRequest(t, f, url.Values{"client_id": {"app-id"}, "client_secret": {"app-secret"}, "code": {q.Get("code")}, "expiring": {"1"}})
	if status != 200 || tok["access_token"] == nil || tok["refresh_token"] == nil || tok["expires_in"] != float64(3600) {
		t.Fatalf("code grant: %d %v", status, tok)
	}
	access := tok["access_token"].(string)
	gqlAt(t, f.ts.URL, access, `{ shop { name } }`, nil).ok(t)
	if status, _ := tokenRequest(t, f, url.Values{"client_id": {"app-id"}, "client_secret": {"app-secret"}, "code": {q.Get("code")}}); status != 400 {
		t.Fatalf("a code was accepted twice: %d", status)
	}
	if status, _ := tokenRequest(t, f, url.Values{"client_id": {"app-id"}, "client_secret": {"wrong"}, "grant_type": {"client_credentials"}}); status != 400 {
		t.Fatalf("a wrong secret was accepted: %d", status)
	}

	f.clock.Advance(2 * time.Hour)
	if a := gqlAt(t, f.ts.URL, access, `{ shop { name } }`, nil); a.Status != http.StatusUnauthorized {
		t.Fatalf("an expired token got %d", a.Status)
	}
	status, refreshed := tokenRequest(t, f, url.Values{"client_id": {"app-id"}, "client_secret": {"app-secret"},
		"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}})
	if status != 200 || refreshed["access_token"] == access {
		t.Fatalf("refresh: %d %v", status, refreshed)
	}
	gqlAt(t, f.ts.URL, refreshed["access_token"].(string), `{ shop { name } }`, nil).ok(t)

	status, cc := tokenRequest(t, f, url.Values{"client_id": {"app-id"}, "client_secret": {"app-secret"}, "grant_type": {"client_credentials"}})
	if status != 200 || cc["expires_in"] != float64(86400) {
		t.Fatalf("client credentials: %d %v", status, cc)
	}
	gqlAt(t, f.ts.URL, cc["access_token"].(string), `{ shop { name } }`, nil).ok(t)
}
