package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/sdk"
)

// DefaultBaseURL is the real API.
const DefaultBaseURL = "https://api.shopbox.com/api/v3/"

// maxAnswer bounds what one answer may hold; a page of 100 products with
// variances is far below it.
const maxAnswer = 64 << 20

// Config says how a Client reaches one Shopbox account.
type Config struct {
	BaseURL string // default DefaultBaseURL
	// Email and Password log in (the seed's installation step); APIToken is
	// the dashboard token and, when set, is used instead.
	Email, Password string
	APIToken        string
	// ClientID is the shop to act for; 0 means the account's only shop,
	// found after login.
	ClientID int
	HTTP     *http.Client // default: 60 s timeout
	// Attempts is how often an idempotent request is tried on a transient
	// failure (default 4); Backoff is the first pause (default 300 ms),
	// doubled each time with jitter and capped at MaxBackoff (default 10 s).
	Attempts   int
	Backoff    time.Duration
	MaxBackoff time.Duration
	UserAgent  string
	Logger     hclog.Logger
}

// Client talks to one Shopbox account. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL

	loginMu  sync.Mutex // one login at a time; waiters reuse its token
	mu       sync.Mutex
	token    string
	clientID int
	logins   atomic.Int64
}

// New checks cfg and returns a client; it does no I/O.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if !strings.HasSuffix(cfg.BaseURL, "/") {
		cfg.BaseURL += "/"
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.APIToken == "" && (cfg.Email == "" || cfg.Password == "") {
		return nil, errors.New("either email and password or an api token is needed")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 4
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 300 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "shopbridge-connector-shopbox"
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	return &Client{cfg: cfg, base: base, clientID: cfg.ClientID}, nil
}

// Account names the account in messages: the e-mail, or "api token" when
// the link uses one. It is never a secret.
func (c *Client) Account() string {
	if c.cfg.APIToken != "" {
		if c.cfg.Email != "" {
			return c.cfg.Email
		}
		return "api token"
	}
	return c.cfg.Email
}

// Logins counts the logins this client has made.
func (c *Client) Logins() int64 { return c.logins.Load() }

// ClientID is the shop the client acts for; 0 until it is known.
func (c *Client) ClientID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clientID
}

// Request is one API call.
type Request struct {
	Method string
	Path   string // relative to the base URL, e.g. "products"
	Query  url.Values
	Body   any
	// Idempotent requests are retried on 5xx, dropped connections and
	// unreadable answers; others fail with a retryable error instead, so a
	// create is never sent twice by the client itself.
	Idempotent bool
}

// Answer is what a call returns besides its decoded body.
type Answer struct {
	Status int
	// ServerTime is the answer's Date header (the local clock when absent);
	// read cursors use it so that they never depend on the local clock.
	ServerTime time.Time
	RetryAfter time.Duration // the Retry-After header, when present
}

// Do sends req with the link's credentials and decodes the JSON answer into
// out (when out is not nil). Errors are *sdk.Error.
func (c *Client) Do(ctx context.Context, req Request, out any) (Answer, error) {
	var body []byte
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		if err != nil {
			return Answer{}, fmt.Errorf("encoding the %s %s body: %w", req.Method, req.Path, err)
		}
		body = b
	}
	relogged := false
	for attempt := 1; ; attempt++ {
		q, token, err := c.authQuery(ctx, req.Query)
		if err != nil {
			return Answer{}, err
		}
		ans, raw, err := c.send(ctx, req, q, body)
		if err != nil {
			if ctx.Err() != nil {
				return ans, ctx.Err()
			}
			if req.Idempotent && attempt < c.cfg.Attempts {
				if werr := c.pause(ctx, attempt); werr != nil {
					return ans, werr
				}
				continue
			}
			return ans, sdk.Retryable(c.backoff(attempt), "Shopbox %s %s: %v; try again later", req.Method, req.Path, err)
		}
		switch {
		case ans.Status >= 200 && ans.Status < 300:
			if out == nil || len(bytes.TrimSpace(raw)) == 0 {
				return ans, nil
			}
			if err := json.Unmarshal(raw, out); err != nil {
				if req.Idempotent && attempt < c.cfg.Attempts {
					if werr := c.pause(ctx, attempt); werr != nil {
						return ans, werr
					}
					continue
				}
				return ans, sdk.Retryable(c.backoff(attempt), "Shopbox %s %s answered %d with a body that is not the expected JSON (%v); try again later", req.Method, req.Path, ans.Status, err)
			}
			return ans, nil
		case ans.Status == http.StatusUnauthorized && token != "" && !relogged:
			// The access token expired or was revoked: log in once more and
			// repeat the request; a second refusal is final.
			relogged = true
			if _, err := c.login(ctx, token); err != nil {
				return ans, err
			}
			attempt--
			continue
		case ans.Status == http.StatusTooManyRequests && attempt < c.cfg.Attempts && retryAfter(ans) <= maxRateWait:
			// Shopbox did not apply a throttled request, so any request may
			// be repeated. Waiting here keeps a long read (a reconciliation,
			// an initial sync) moving instead of failing it and starting
			// the whole read over.
			t := time.NewTimer(retryAfter(ans))
			select {
			case <-ctx.Done():
				t.Stop()
				return ans, ctx.Err()
			case <-t.C:
			}
			continue
		case ans.Status >= 500 && req.Idempotent && attempt < c.cfg.Attempts:
			if werr := c.pause(ctx, attempt); werr != nil {
				return ans, werr
			}
			continue
		}
		return ans, c.classify(req, ans, raw, attempt)
	}
}

// authQuery adds the credentials to a copy of q; token is the access token
// used ("" with an api token).
// maxRateWait is the longest Retry-After the client waits out itself;
// a longer one goes back to the host as rate_limited.
const maxRateWait = 30 * time.Second

func (c *Client) authQuery(ctx context.Context, q url.Values) (url.Values, string, error) {
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	if c.cfg.APIToken != "" {
		out.Set("api-token", c.cfg.APIToken)
		if id := c.ClientID(); id != 0 {
			out.Set("client", strconv.Itoa(id))
		}
		return out, "", nil
	}
	c.mu.Lock()
	token := c.token
	c.mu.Unlock()
	if token == "" {
		var err error
		if token, err = c.login(ctx, ""); err != nil {
			return nil, "", err
		}
	}
	id, err := c.ensureClient(ctx, token)
	if err != nil {
		return nil, "", err
	}
	out.Set("accessToken", token)
	out.Set("client", strconv.Itoa(id))
	return out, token, nil
}

// send makes one HTTP exchange. Its error never holds the URL, which carries
// the credentials in its query.
func (c *Client) send(ctx context.Context, req Request, q url.Values, body []byte) (Answer, []byte, error) {
	u := c.base.ResolveReference(&url.URL{Path: req.Path})
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u.String(), rd)
	if err != nil {
		return Answer{}, nil, fmt.Errorf("building the request failed")
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", c.cfg.UserAgent)
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.cfg.HTTP.Do(hr)
	if err != nil {
		return Answer{}, nil, redact(err)
	}
	defer resp.Body.Close()
	ans := Answer{Status: resp.StatusCode, ServerTime: time.Now()}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		ans.ServerTime = d
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return ans, nil, fmt.Errorf("reading the answer: %w", redact(err))
	}
	if s, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && s >= 0 {
		ans.RetryAfter = time.Duration(s) * time.Second
	}
	return ans, raw, nil
}

// redact strips the URL (and with it the credentials) from a transport error.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request failed: %w", ue.Op, ue.Err)
	}
	return err
}
