package shopbox

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestLoginGivesTokenThatExpiresAfterTTL(t *testing.T) {
	f := start(t, Options{TokenTTL: 10 * time.Minute})
	f.login()
	ans := f.api("GET", "/api/v3/products", 200, nil)
	if len(list(ans)) == 0 {
		t.Fatal("a fresh token should read products")
	}

	f.clock.Advance(10*time.Minute - time.Second)
	f.api("GET", "/api/v3/products", 200, nil)

	f.clock.Advance(time.Second)
	status, ans := f.do("GET", "/api/v3/products", f.q(), nil)
	if status != 401 {
		t.Fatalf("expired token: status %d, want 401", status)
	}
	if msg := errorShape(t, 401, ans); !strings.Contains(msg, "expired") {
		t.Errorf("message %q should say the token expired", msg)
	}

	f.login()
	f.api("GET", "/api/v3/products", 200, nil)
	if got := f.srv.LoginCount(); got != 2 {
		t.Errorf("LoginCount = %d, want 2", got)
	}
}

func TestLoginAnswerShape(t *testing.T) {
	f := start(t, Options{Email: "butikk@example.no", Password: "hemmelig"})
	_, ans := f.do("POST", "/api/v3/authenticate/credentials", nil, map[string]any{
		"username": "butikk@example.no", "password": "hemmelig", "remember_me": nil,
	})
	acc, _ := ans["account"].(map[string]any)
	if acc["username"] != "butikk@example.no" || num(acc["uid"]) <= 0 {
		t.Errorf("account = %v, want uid and username", acc)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	f := start(t, Options{Email: "butikk@example.no", Password: "hemmelig"})
	status, ans := f.do("POST", "/api/v3/authenticate/credentials", nil, map[string]any{
		"username": "butikk@example.no", "password": "feil-passord",
	})
	if status != 401 {
		t.Fatalf("status %d, want 401", status)
	}
	msg := errorShape(t, 401, ans)
	if strings.Contains(msg, "feil-passord") {
		t.Error("the error echoes the password")
	}
	if _, ok := ans["accessToken"]; ok {
		t.Error("a refused login must not carry a token")
	}
	if f.srv.LoginCount() != 0 {
		t.Error("a refused login was counted as a login")
	}
}

func TestAuthRules(t *testing.T) {
	f := start(t, Options{APITokens: []string{"dash-token"}, ClientID: 42})
	f.login()

	cases := []struct {
		name  string
		query url.Values
		want  int
	}{
		{"no credentials", url.Values{}, 401},
		{"unknown access token", url.Values{"accessToken": {"nope"}, "client": {"42"}}, 401},
		{"access token without client", url.Values{"accessToken": {f.token}}, 400},
		{"client the account does not own", url.Values{"accessToken": {f.token}, "client": {"43"}}, 403},
		{"access token and client", url.Values{"accessToken": {f.token}, "client": {"42"}}, 200},
		{"api token", url.Values{"api-token": {"dash-token"}}, 200},
		{"api token with own client", url.Values{"api-token": {"dash-token"}, "client": {"42"}}, 200},
		{"unknown api token", url.Values{"api-token": {"other"}}, 401},
		{"api token with foreign client", url.Values{"api-token": {"dash-token"}, "client": {"7"}}, 403},
	}
	for _, c := range cases {
		status, ans := f.do("GET", "/api/v3/branches", c.query, nil)
		if status != c.want {
			t.Errorf("%s: status %d, want %d", c.name, status, c.want)
			continue
		}
		if status != 200 {
			errorShape(t, status, ans)
		}
	}

	f.srv.ExpireTokens()
	status, _ := f.do("GET", "/api/v3/branches", f.q(), nil)
	if status != 401 {
		t.Errorf("after ExpireTokens: status %d, want 401", status)
	}
	f.do("POST", "/_sandbox/expire-tokens", nil, nil)
	f.login()
	f.api("GET", "/api/v3/branches", 200, nil)
	f.do("POST", "/_sandbox/expire-tokens", nil, nil)
	if status, _ := f.do("GET", "/api/v3/branches", f.q(), nil); status != 401 {
		t.Errorf("after POST /_sandbox/expire-tokens: status %d, want 401", status)
	}
}

func TestRateLimitAnswers429WithRetryAfterAndRefills(t *testing.T) {
	f := start(t, Options{RateLimit: 3, APITokens: []string{"tok"}})
	q := url.Values{"api-token": {"tok"}}
	for i := range 3 {
		if status, _ := f.do("GET", "/api/v3/tags", q, nil); status != 200 {
			t.Fatalf("request %d: status %d, want 200", i+1, status)
		}
	}
	status, ans := f.do("GET", "/api/v3/tags", q, nil)
	if status != 429 {
		t.Fatalf("4th request: status %d, want 429", status)
	}
	errorShape(t, 429, ans)

	resp := get(t, f.http.URL+"/api/v3/tags?api-token=tok")
	if ra := resp.Header.Get("Retry-After"); ra != "20" {
		t.Errorf("Retry-After = %q, want 20 (one request per 20 s at 3/min)", ra)
	}
	// The control API is not rate limited.
	if status, _ := f.do("GET", "/_sandbox/state", nil, nil); status != 200 {
		t.Errorf("control API: status %d, want 200", status)
	}
	f.clock.Advance(20 * time.Second)
	if status, _ := f.do("GET", "/api/v3/tags", q, nil); status != 200 {
		t.Errorf("after 20 s: status %d, want 200", status)
	}
	if status, _ := f.do("GET", "/api/v3/tags", q, nil); status != 429 {
		t.Errorf("bucket refilled by one only: status %d, want 429", status)
	}
}
