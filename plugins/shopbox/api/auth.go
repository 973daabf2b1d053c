package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
)

// login gets a fresh access token. stale is the token a caller saw refused:
// when another goroutine has replaced it meanwhile, that token is returned
// and no second login is made, so a burst of 401s costs one login.
func (c *Client) login(ctx context.Context, stale string) (string, error) {
	c.loginMu.Lock()
	defer c.loginMu.Unlock()
	c.mu.Lock()
	cur := c.token
	c.mu.Unlock()
	if cur != "" && cur != stale {
		return cur, nil
	}
	body, _ := json.Marshal(map[string]any{"username": c.cfg.Email, "password": c.cfg.Password, "remember_me": nil})
	req := Request{Method: http.MethodPost, Path: "authenticate/credentials", Idempotent: true}
	for attempt := 1; ; attempt++ {
		ans, raw, err := c.send(ctx, req, url.Values{}, body)
		if err != nil || ans.Status >= 500 {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			if attempt < c.cfg.Attempts {
				if werr := c.pause(ctx, attempt); werr != nil {
					return "", werr
				}
				continue
			}
			if err == nil {
				err = fmt.Errorf("status %d: %s", ans.Status, message(raw))
			}
			return "", sdk.Retryable(c.backoff(attempt), "logging in to Shopbox as %s failed: %v; try again later", c.cfg.Email, err)
		}
		switch {
		case ans.Status == http.StatusOK || ans.Status == http.StatusCreated:
			var out struct {
				AccessToken string `json:"accessToken"`
			}
			if err := json.Unmarshal(raw, &out); err != nil || out.AccessToken == "" {
				if attempt < c.cfg.Attempts {
					if werr := c.pause(ctx, attempt); werr != nil {
						return "", werr
					}
					continue
				}
				return "", sdk.Retryable(c.backoff(attempt), "logging in to Shopbox as %s: the answer holds no access token; try again later", c.cfg.Email)
			}
			c.mu.Lock()
			c.token = out.AccessToken
			c.mu.Unlock()
			c.logins.Add(1)
			c.cfg.Logger.Debug("logged in to Shopbox", "account", c.cfg.Email)
			return out.AccessToken, nil
		case ans.Status == http.StatusTooManyRequests:
			return "", sdk.RateLimited(retryAfter(ans), "logging in to Shopbox as %s was rate limited; wait and try again", c.cfg.Email)
		case ans.Status == http.StatusUnauthorized || ans.Status == http.StatusForbidden || ans.Status == http.StatusUnprocessableEntity || ans.Status == http.StatusBadRequest:
			return "", sdk.Unauthenticated("Shopbox refused the login of account %s (%s): check email and password in the link settings", c.cfg.Email, message(raw))
		default:
			return "", sdk.Errorf(sdk.ClassUnknown, "logging in to Shopbox as %s: unexpected status %d: %s", c.cfg.Email, ans.Status, message(raw))
		}
	}
}

// ensureClient returns the shop to act for, finding the account's only shop
// after the first login when the settings name none.
func (c *Client) ensureClient(ctx context.Context, token string) (int, error) {
	if id := c.ClientID(); id != 0 {
		return id, nil
	}
	shops, err := c.shopsWith(ctx, url.Values{"accessToken": {token}})
	if err != nil {
		return 0, err
	}
	switch len(shops) {
	case 0:
		return 0, sdk.Invalid("client_id", "Shopbox account %s has no shop it may act for; check the account in Shopbox", c.Account())
	case 1:
		c.mu.Lock()
		c.clientID = shops[0].UID
		c.mu.Unlock()
		return shops[0].UID, nil
	}
	return 0, sdk.Invalid("client_id", "Shopbox account %s has %d shops (%s): set client_id to the one this link is for", c.Account(), len(shops), ShopList(shops))
}

// ShopList renders shops for a message: `12 ("Oslo"), 13 ("Bergen")`.
func ShopList(shops []Shop) string {
	parts := make([]string, len(shops))
	for i, s := range shops {
		parts[i] = fmt.Sprintf("%d (%q)", s.UID, s.Name)
	}
	return strings.Join(parts, ", ")
}

// shopsWith lists the account's shops with the given credentials and no
// client, since the client is what is being looked for.
func (c *Client) shopsWith(ctx context.Context, q url.Values) ([]Shop, error) {
	q.Set("per-page", "100")
	req := Request{Method: http.MethodGet, Path: "clients/myclients", Idempotent: true}
	for attempt := 1; ; attempt++ {
		ans, raw, err := c.send(ctx, req, q, nil)
		if err == nil && ans.Status == http.StatusOK {
			var out struct {
				Data []Shop `json:"data"`
			}
			if err = json.Unmarshal(raw, &out); err == nil {
				return out.Data, nil
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err == nil && ans.Status < 500 {
			if ans.Status == http.StatusBadRequest || ans.Status == http.StatusUnprocessableEntity {
				return nil, sdk.Invalid("client_id", "Shopbox would not list the shops of account %s without a client id (%s): set client_id", c.Account(), message(raw))
			}
			return nil, c.classify(req, ans, raw, attempt)
		}
		if attempt >= c.cfg.Attempts {
			if err == nil {
				err = fmt.Errorf("status %d", ans.Status)
			}
			return nil, sdk.Retryable(c.backoff(attempt), "listing the shops of Shopbox account %s failed: %v; try again later", c.Account(), err)
		}
		if werr := c.pause(ctx, attempt); werr != nil {
			return nil, werr
		}
	}
}

// Shops lists the shops (clients) the account may act for.
func (c *Client) Shops(ctx context.Context) ([]Shop, error) {
	if c.cfg.APIToken != "" {
		return c.shopsWith(ctx, url.Values{"api-token": {c.cfg.APIToken}})
	}
	c.mu.Lock()
	token := c.token
	c.mu.Unlock()
	if token == "" {
		var err error
		if token, err = c.login(ctx, ""); err != nil {
			return nil, err
		}
	}
	return c.shopsWith(ctx, url.Values{"accessToken": {token}})
}

// Login logs in now (with credentials; a no-op with an api token) and
// resolves the shop, so Check can report each step on its own.
func (c *Client) Login(ctx context.Context) error {
	if c.cfg.APIToken != "" {
		return nil
	}
	_, err := c.login(ctx, "")
	return err
}

// fieldPrefix finds "field: message" in a validation message.
var fieldPrefix = regexp.MustCompile(`^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)?): `)

// classify turns a failed answer into a classed error.
func (c *Client) classify(req Request, ans Answer, raw []byte, attempt int) error {
	msg := message(raw)
	what := req.Method + " " + req.Path
	switch s := ans.Status; {
	case s == http.StatusUnauthorized:
		if c.cfg.APIToken != "" {
			return sdk.Unauthenticated("Shopbox refused the api token of account %s on %s (%s): check api_token in the link settings", c.Account(), what, msg)
		}
		return sdk.Unauthenticated("Shopbox refused the access of account %s on %s even after a fresh login (%s): check email and password in the link settings", c.Account(), what, msg)
	case s == http.StatusForbidden:
		e := sdk.Unauthenticated("Shopbox account %s may not act for shop %d on %s (%s): check client_id in the link settings", c.Account(), c.ClientID(), what, msg)
		e.Field = "client_id"
		return e
	case s == http.StatusNotFound:
		return sdk.NotFound("Shopbox %s: %s", what, msg)
	case s == http.StatusConflict:
		return sdk.Errorf(sdk.ClassConflict, "Shopbox %s: %s", what, msg)
	case s == http.StatusTooManyRequests:
		return sdk.RateLimited(retryAfter(ans), "Shopbox rate limit hit on %s; wait before the next request", what)
	case s == http.StatusBadRequest || s == http.StatusUnprocessableEntity:
		field := ""
		if m := fieldPrefix.FindStringSubmatch(msg); m != nil {
			field, msg = m[1], msg[len(m[0]):]
		}
		return sdk.Invalid(field, "Shopbox rejected %s: %s", what, msg)
	case s >= 500:
		return sdk.Retryable(c.backoff(attempt), "Shopbox %s answered %d (%s); try again later", what, s, msg)
	}
	return sdk.Errorf(sdk.ClassUnknown, "Shopbox %s answered %d: %s", what, ans.Status, msg)
}

func retryAfter(ans Answer) time.Duration {
	if ans.RetryAfter > 0 {
		return ans.RetryAfter
	}
	return time.Second
}

// message finds the human message of an error body.
func message(raw []byte) string {
	var shaped struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &shaped) == nil {
		if shaped.Error.Message != "" {
			return shaped.Error.Message
		}
		if shaped.Message != "" {
			return shaped.Message
		}
	}
	s := strings.TrimSpace(string(raw))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "no message"
	}
	return s
}

// backoff is the pause before attempt+1: exponential with jitter in its
// upper half, so clients that failed together do not retry together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.Backoff << min(attempt-1, 16)
	if d > c.cfg.MaxBackoff || d <= 0 {
		d = c.cfg.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

func (c *Client) pause(ctx context.Context, attempt int) error {
	t := time.NewTimer(c.backoff(attempt))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
