package shopify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/plugins/shopify/graphql"
	"github.com/shopbridge/shopbridge/sdk"
)

// tokenSource hands the GraphQL client its access token: the one in the
// settings, the credentials the host stored after an install, or one from
// the client-credentials grant, fetched again before it expires.
type tokenSource struct {
	settings Settings
	http     *http.Client
	clock    graphql.Clock

	mu    sync.Mutex
	creds *sdk.Credentials
	cc    sdk.Credentials // from the client-credentials grant
}

// refreshEarly is how long before expiry a client-credentials token is
// replaced, so that no request goes out with a token about to lapse.
const refreshEarly = 5 * time.Minute

func (t *tokenSource) token(ctx context.Context) (string, error) {
	if t.settings.AccessToken != "" {
		return t.settings.AccessToken, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.creds != nil && t.creds.AccessToken != "" {
		if !t.creds.ExpiresAt.IsZero() && !t.clock.Now().Before(t.creds.ExpiresAt) {
			return "", sdk.Unauthenticated("shopify: the link's access token expired at %s: the host must refresh it (RefreshAuthorization) or run shopbridge connect again", t.creds.ExpiresAt.Format(time.RFC3339))
		}
		return t.creds.AccessToken, nil
	}
	if t.settings.Grant == "client_credentials" {
		if t.cc.AccessToken != "" && (t.cc.ExpiresAt.IsZero() || t.clock.Now().Add(refreshEarly).Before(t.cc.ExpiresAt)) {
			return t.cc.AccessToken, nil
		}
		c, err := exchange(ctx, t.http, t.clock, t.settings, url.Values{
			"grant_type":    {"client_credentials"},
			"client_id":     {t.settings.ClientID},
			"client_secret": {t.settings.ClientSecret},
		})
		if err != nil {
			return "", err
		}
		t.cc = c
		return c.AccessToken, nil
	}
	return "", sdk.Unauthenticated("shopify: link has no access token: set access_token, use grant client_credentials, or install it with shopbridge connect")
}

// StartAuthorization returns the shop's authorize URL the operator opens.
func (l *link) StartAuthorization(_ context.Context, redirectURL, state string) (string, error) {
	if l.settings.ClientID == "" {
		return "", sdk.Invalid("client_id", "is required to install the app through OAuth")
	}
	if state == "" {
		return "", sdk.Invalid("state", "is empty: the host must pass a fresh random state")
	}
	if _, err := url.ParseRequestURI(redirectURL); err != nil {
		return "", sdk.Invalid("redirect_url", "is not a URL: %v", err)
	}
	q := url.Values{
		"client_id":    {l.settings.ClientID},
		"scope":        {l.settings.Scopes},
		"redirect_uri": {redirectURL},
		"state":        {state},
	}
	return l.settings.base() + "/admin/oauth/authorize?" + q.Encode(), nil
}

// CompleteAuthorization verifies Shopify's redirect (its hmac, the state
// the host expects in query "expected_state" or Extra, and the shop) and
// exchanges the code for an expiring offline token.
func (l *link) CompleteAuthorization(ctx context.Context, redirectURL string, query url.Values) (sdk.Credentials, error) {
	if l.settings.ClientSecret == "" {
		return sdk.Credentials{}, sdk.Invalid("client_secret", "is required to verify the OAuth callback")
	}
	if err := verifyQueryHMAC(query, l.settings.ClientSecret); err != nil {
		return sdk.Credentials{}, err
	}
	if shop := strings.ToLower(query.Get("shop")); shop != "" && shop != l.settings.Shop {
		return sdk.Credentials{}, sdk.Unauthenticated("shopify: the callback is for shop %q, not this link's %q", shop, l.settings.Shop)
	}
	if want := query.Get("expected_state"); want != "" && !hmac.Equal([]byte(want), []byte(query.Get("state"))) {
		return sdk.Credentials{}, sdk.Unauthenticated("shopify: the callback's state does not match the one the install started with")
	}
	code := query.Get("code")
	if code == "" {
		return sdk.Credentials{}, sdk.Invalid("code", "the callback carries no authorization code")
	}
	c, err := exchange(ctx, l.http, l.clock, l.settings, url.Values{
		"client_id":     {l.settings.ClientID},
		"client_secret": {l.settings.ClientSecret},
		"code":          {code},
		"expiring":      {"1"},
	})
	if err != nil {
		return sdk.Credentials{}, err
	}
	l.tokens.mu.Lock()
	l.tokens.creds = &c
	l.tokens.mu.Unlock()
	return c, nil
}

// RefreshAuthorization trades the refresh token for a new access token.
func (l *link) RefreshAuthorization(ctx context.Context, old sdk.Credentials) (sdk.Credentials, error) {
	if old.RefreshToken == "" {
		return sdk.Credentials{}, sdk.Unauthenticated("shopify: no refresh token: install the app again with shopbridge connect")
	}
	c, err := exchange(ctx, l.http, l.clock, l.settings, url.Values{
		"client_id":     {l.settings.ClientID},
		"client_secret": {l.settings.ClientSecret},
		"grant_type":    {"refresh_token"},
		"refresh_token": {old.RefreshToken},
	})
	if err != nil {
		return sdk.Credentials{}, err
	}
	l.tokens.mu.Lock()
	l.tokens.creds = &c
	l.tokens.mu.Unlock()
	return c, nil
}

// verifyQueryHMAC checks the hex HMAC-SHA256 Shopify puts on its redirects:
// of the query without hmac (and signature), sorted, keyed with the secret.
func verifyQueryHMAC(q url.Values, secret string) error {
	got := q.Get("hmac")
	if got == "" {
		return sdk.Unauthenticated("shopify: the callback carries no hmac")
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		if k == "hmac" || k == "signature" || k == "expected_state" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+strings.Join(q[k], ","))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strings.Join(parts, "&")))
	want := hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(strings.ToLower(got)), []byte(want)) {
		return sdk.Unauthenticated("shopify: the callback's hmac does not verify: it did not come from Shopify, or client_secret is wrong")
	}
	return nil
}

// exchange posts a grant to /admin/oauth/access_token.
func exchange(ctx context.Context, h *http.Client, clock graphql.Clock, s Settings, form url.Values) (sdk.Credentials, error) {
	u := s.base() + "/admin/oauth/access_token"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return sdk.Credentials{}, fmt.Errorf("shopify: build token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := h.Do(req)
	if err != nil {
		return sdk.Credentials{}, sdk.Retryable(time.Second, "shopify: token request to %s failed: %v", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return sdk.Credentials{}, sdk.Retryable(time.Second, "shopify: token endpoint answered HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		// The body names the problem (invalid_grant …) and holds no secret.
		return sdk.Credentials{}, sdk.Unauthenticated("shopify: token endpoint refused the grant (HTTP %d): %s", resp.StatusCode, firstLine(body))
	}
	var t struct {
		AccessToken           string `json:"access_token"`
		Scope                 string `json:"scope"`
		ExpiresIn             int64  `json:"expires_in"`
		RefreshToken          string `json:"refresh_token"`
		RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	}
	if err := json.Unmarshal(body, &t); err != nil || t.AccessToken == "" {
		return sdk.Credentials{}, sdk.Retryable(time.Second, "shopify: token endpoint answered without an access token")
	}
	now := clock.Now()
	c := sdk.Credentials{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Scope: t.Scope}
	if t.ExpiresIn > 0 {
		c.ExpiresAt = now.Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	if t.RefreshTokenExpiresIn > 0 {
		c.RefreshExpiresAt = now.Add(time.Duration(t.RefreshTokenExpiresIn) * time.Second)
	}
	return c, nil
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
