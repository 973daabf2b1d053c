package shopify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The app install: /admin/oauth/authorize shows what the app asks for; the
// merchant approves (a test posts to /admin/oauth/authorize/approve or
// /_sandbox/approve); the browser goes back to the app's redirect_uri with
// code, shop, state, timestamp and hmac; the app exchanges the code at
// /admin/oauth/access_token.

type oauthCode struct {
	scope   string
	expires time.Time
}

// DefaultScopes are what tokens given in Options and by client credentials may do.
const DefaultScopes = "read_products,write_products,read_inventory,write_inventory,read_locations,read_orders,read_all_orders"

func (s *Server) scopeOf(token string) string {
	if sc, ok := s.scopes[token]; ok {
		return sc
	}
	return DefaultScopes
}

// refreshTTL is how long a refresh token lives.
const refreshTTL = 30 * 24 * time.Hour

// QueryHMAC is the hmac parameter Shopify adds to a redirect: hex HMAC-SHA256,
// keyed with the client secret, of the query's other parameters sorted by name
// and joined as k=v&k=v.
func QueryHMAC(secret string, q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		if k != "hmac" && k != "signature" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strings.Join(q[k], ",")
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strings.Join(parts, "&")))
	return hex.EncodeToString(m.Sum(nil))
}

func randomToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != s.opts.ClientID {
		http.Error(w, "Oauth error invalid_request: The client_id is not valid for this shop.", http.StatusBadRequest)
		return
	}
	ru, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || ru.Host == "" {
		http.Error(w, "Oauth error invalid_request: The redirect_uri is missing or not valid.", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html><head><title>Install app</title></head><body>
<h1>Install app on %s</h1>
<p>The app asks for: %s</p>
<form method="post" action="/admin/oauth/authorize/approve">
<input type="hidden" name="client_id" value="%s">
<input type="hidden" name="scope" value="%s">
<input type="hidden" name="redirect_uri" value="%s">
<input type="hidden" name="state" value="%s">
<button type="submit">Install</button>
</form></body></html>`, html.EscapeString(s.opts.Shop), html.EscapeString(q.Get("scope")), html.EscapeString(q.Get("client_id")),
		html.EscapeString(q.Get("scope")), html.EscapeString(q.Get("redirect_uri")), html.EscapeString(q.Get("state")))
}

// Approve is the merchant clicking Install: it returns the URL the browser is
// sent to, redirect_uri with code, hmac, host, shop, state and timestamp.
func (s *Server) Approve(clientID, scope, redirectURI, state string) (string, error) {
	if clientID != s.opts.ClientID {
		return "", fmt.Errorf("approve install: client_id %q is not this app's", clientID)
	}
	ru, err := url.Parse(redirectURI)
	if err != nil || ru.Host == "" {
		return "", fmt.Errorf("approve install: redirect_uri %q is not an absolute URL", redirectURI)
	}
	code := randomToken("")
	s.mu.Lock()
	s.codes[code] = oauthCode{scope: scope, expires: s.opts.Now().Add(10 * time.Minute)}
	now := s.opts.Now()
	s.mu.Unlock()
	q := ru.Query()
	q.Set("code", code)
	q.Set("shop", s.opts.Shop)
	q.Set("state", state)
	q.Set("timestamp", strconv.FormatInt(now.Unix(), 10))
	q.Set("host", strings.TrimRight(base64URL("admin.shopify.com/store/"+strings.TrimSuffix(s.opts.Shop, ".myshopify.com")), "="))
	q.Set("hmac", QueryHMAC(s.opts.ClientSecret, q))
	ru.RawQuery = q.Encode()
	return ru.String(), nil
}

func (s *Server) serveApprove(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f := r.Form
	to, err := s.Approve(f.Get("client_id"), f.Get("scope"), f.Get("redirect_uri"), f.Get("state"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, to, http.StatusFound)
}

func (s *Server) serveAccessToken(w http.ResponseWriter, r *http.Request) {
	var p map[string]string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&p); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "The body is not valid JSON."})
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
			return
		}
		p = map[string]string{}
		for k := range r.Form {
			p[k] = r.Form.Get(k)
		}
	}
	if p["client_id"] != s.opts.ClientID || !hmac.Equal([]byte(p["client_secret"]), []byte(s.opts.ClientSecret)) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client", "error_description": "Client authentication failed."})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	issue := func(ttl time.Duration, scope string, withRefresh bool) {
		tok := randomToken("shpat_")
		s.tokens[tok] = now.Add(ttl)
		s.scopes[tok] = scope
		out := map[string]any{"access_token": tok, "scope": scope, "expires_in": int(ttl.Seconds())}
		if withRefresh {
			rt := randomToken("shprt_")
			s.refresh[rt] = oauthCode{scope: scope, expires: now.Add(refreshTTL)}
			out["refresh_token"] = rt
			out["refresh_token_expires_in"] = int(refreshTTL.Seconds())
		}
		writeJSON(w, http.StatusOK, out)
	}
	switch gt := p["grant_type"]; gt {
	case "", "authorization_code":
		c, ok := s.codes[p["code"]]
		delete(s.codes, p["code"]) // a code is good once
		if !ok || now.After(c.expires) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "The authorization code was not found or was already used"})
			return
		}
		// Without expiring=1 Shopify issues a non-expiring offline token; the
		// sandbox always issues the expiring kind, the one new apps must use.
		issue(s.opts.TokenTTL, c.scope, true)
	case "refresh_token":
		grant, ok := s.refresh[p["refresh_token"]]
		delete(s.refresh, p["refresh_token"]) // refresh tokens rotate
		if !ok || now.After(grant.expires) {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "The refresh token is invalid or expired."})
			return
		}
		issue(s.opts.TokenTTL, grant.scope, true)
	case "client_credentials":
		issue(24*time.Hour, DefaultScopes, false)
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "grant_type " + gt + " is not supported"})
	}
}

// IssueToken adds a token valid for ttl (0: never expires), for tests that skip the install.
func (s *Server) IssueToken(ttl time.Duration) string {
	tok := randomToken("shpat_")
	s.mu.Lock()
	defer s.mu.Unlock()
	var exp time.Time
	if ttl > 0 {
		exp = s.opts.Now().Add(ttl)
	}
	s.tokens[tok] = exp
	return tok
}

func base64URL(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
