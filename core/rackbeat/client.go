package rackbeat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/time/rate"
)

// DefaultRequestsPerMinute is what the client allows itself unless told
// otherwise: the pace a public Rackbeat client keeps (API-NOTES §1).
const DefaultRequestsPerMinute = 480

// DefaultAPIVersion is sent as the API-Version header.
const DefaultAPIVersion = "latest"

// maxBody caps what the client reads of one answer, so a broken server
// cannot exhaust memory; a page of 100 products is far below it.
const maxBody = 32 << 20

// Client talks to one Rackbeat account. It is safe for concurrent use; all
// requests share one limiter, and a 429 pauses every request of the client.
type Client struct {
	base       string
	token      string
	hc         *http.Client
	limiter    *rate.Limiter
	log        hclog.Logger
	consumer   string
	contact    string
	userAgent  string
	apiVersion string
	retries    int
	backoff    time.Duration
	backoffMax time.Duration
	// maxWait is the longest Retry-After the client sleeps through itself;
	// beyond it the caller gets RateLimited and can schedule the retry.
	maxWait time.Duration

	mu          sync.Mutex
	pausedUntil time.Time
}

// Option configures a Client.
type Option func(*Client) error

// WithHTTPClient uses hc for every request (timeouts, proxies, transports).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		if hc == nil {
			return errors.New("WithHTTPClient: nil client")
		}
		c.hc = hc
		return nil
	}
}

// WithRequestsPerMinute sets the client-side limit (default 480). Requests
// are spread evenly, without bursts, so no minute ever sees more than n.
func WithRequestsPerMinute(n int) Option {
	return func(c *Client) error {
		if n <= 0 {
			return fmt.Errorf("WithRequestsPerMinute: %d must be positive", n)
		}
		c.limiter = rate.NewLimiter(rate.Limit(float64(n)/60), 1)
		return nil
	}
}

// WithLogger sends the client's request log (method, path, status, attempt;
// never a header or a body) to l.
func WithLogger(l hclog.Logger) Option {
	return func(c *Client) error {
		if l != nil {
			c.log = l.Named("rackbeat")
		}
		return nil
	}
}

// WithConsumer names the integration to Rackbeat (Consumer-Name,
// Consumer-Contact and the User-Agent "name (contact)"), as Rackbeat asks of
// every integration.
func WithConsumer(name, contact string) Option {
	return func(c *Client) error {
		if strings.TrimSpace(name) == "" {
			return errors.New("WithConsumer: name is empty")
		}
		c.consumer, c.contact = name, contact
		return nil
	}
}

// WithRetries sets how many times a failed request is tried again (default
// 5). Zero turns retries off; 429 answers are then returned as RateLimited.
func WithRetries(n int) Option {
	return func(c *Client) error {
		if n < 0 {
			return fmt.Errorf("WithRetries: %d must not be negative", n)
		}
		c.retries = n
		return nil
	}
}

// WithBackoff sets the first and the longest pause between retries of
// server and network errors (default 500ms and 30s); each pause is drawn at
// random up to an exponentially growing ceiling.
func WithBackoff(first, max time.Duration) Option {
	return func(c *Client) error {
		if first <= 0 || max < first {
			return fmt.Errorf("WithBackoff: need 0 < first (%s) <= max (%s)", first, max)
		}
		c.backoff, c.backoffMax = first, max
		return nil
	}
}

// WithMaxRetryAfter sets the longest Retry-After the client waits out by
// itself (default 2 minutes); longer ones are returned as RateLimited.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *Client) error {
		c.maxWait = d
		return nil
	}
}

// WithAPIVersion sets the API-Version header (default "latest"; Rackbeat
// also accepts dated versions such as "2020-07-26").
func WithAPIVersion(v string) Option {
	return func(c *Client) error {
		c.apiVersion = v
		return nil
	}
}

// New returns a client for the Rackbeat API at baseURL (for the real service
// https://app.rackbeat.com/api) authenticating with the API token.
func New(baseURL string, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("rackbeat: base URL %q must be an absolute http(s) URL such as https://app.rackbeat.com/api", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("rackbeat: base URL %q must not carry a query or fragment", baseURL)
	}
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("rackbeat: the API token is empty; create one in Rackbeat under Settings → API")
	}
	c := &Client{
		base:       strings.TrimRight(u.String(), "/"),
		token:      token,
		hc:         &http.Client{Timeout: 60 * time.Second},
		log:        hclog.NewNullLogger(),
		consumer:   "shopbridge",
		contact:    "",
		apiVersion: DefaultAPIVersion,
		retries:    5,
		backoff:    500 * time.Millisecond,
		backoffMax: 30 * time.Second,
		maxWait:    2 * time.Minute,
	}
	if err := WithRequestsPerMinute(DefaultRequestsPerMinute)(c); err != nil {
		return nil, err
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, fmt.Errorf("rackbeat: %w", err)
		}
	}
	c.userAgent = c.consumer
	if c.contact != "" {
		c.userAgent += " (" + c.contact + ")"
	}
	return c, nil
}

// BaseURL is the API root the client talks to.
func (c *Client) BaseURL() string { return c.base }

// request is one call of the API. path is relative to the base and already
// escaped; op names the operation for errors and logs.
type request struct {
	method string
	path   string
	query  url.Values
	body   any
	op     string
}

// idempotent reports whether repeating the request cannot apply it twice.
func (r *request) idempotent() bool {
	switch r.method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// do sends r, retrying what is safe to retry, and decodes a successful
// answer into out (unless out is nil). It returns the final HTTP status.
func (c *Client) do(ctx context.Context, r request, out any) (int, error) {
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return 0, &Error{Op: r.op, Class: Invalid, Message: "cannot encode the request: " + err.Error(), Err: err}
		}
	}
	target := c.base + "/" + r.path
	if len(r.query) > 0 {
		target += "?" + r.query.Encode()
	}

	for attempt := 0; ; attempt++ {
		if err := c.wait(ctx); err != nil {
			return 0, c.ctxError(r, err)
		}
		status, wait, err := c.once(ctx, r, target, payload, out)
		if err == nil {
			return status, nil
		}
		var e *Error
		if !errors.As(err, &e) {
			return status, err // the context ended
		}
		if attempt >= c.retries || wait < 0 {
			return status, err
		}
		if wait == 0 {
			wait = c.backoffFor(attempt)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return status, err
		}
		c.log.Debug("retrying", "op", r.op, "method", r.method, "path", r.path,
			"status", e.Status, "class", e.Class, "attempt", attempt+1, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return status, c.ctxError(r, ctx.Err())
		case <-t.C:
		}
	}
}

// once makes one attempt. wait says what to do on failure: < 0 do not
// retry, 0 retry after the usual back-off, > 0 retry after that long.
func (c *Client) once(ctx context.Context, r request, target string, payload []byte, out any) (int, time.Duration, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return 0, -1, &Error{Op: r.op, Class: Invalid, Message: "cannot build the request: " + c.redact(err.Error()), Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("API-Version", c.apiVersion)
	req.Header.Set("Consumer-Name", c.consumer)
	if c.contact != "" {
		req.Header.Set("Consumer-Contact", c.contact)
	}
	req.Header.Set("User-Agent", c.userAgent)

	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, -1, c.ctxError(r, ctx.Err())
		}
		// A POST whose connection failed before it was sent was not applied
		// and is safe to repeat; after that, Rackbeat may have created it.
		wait := time.Duration(-1)
		if r.idempotent() || notSent(err) {
			wait = 0
		}
		c.log.Debug("request failed", "op", r.op, "method", r.method, "path", r.path, "error", c.redact(err.Error()))
		return 0, wait, &Error{Op: r.op, Class: Retryable, Message: "no answer: " + c.redact(transportText(err)), Err: err}
	}
	data, readErr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	c.log.Trace("request", "op", r.op, "method", r.method, "path", r.path, "status", resp.StatusCode, "took", time.Since(start))

	status := resp.StatusCode
	if readErr != nil {
		if ctx.Err() != nil {
			return status, -1, c.ctxError(r, ctx.Err())
		}
		wait := time.Duration(-1)
		if r.idempotent() || status == http.StatusTooManyRequests {
			wait = 0
		}
		return status, wait, &Error{Op: r.op, Status: status, Class: Retryable, Message: "answer cut short: " + c.redact(readErr.Error()), Err: readErr}
	}

	if status >= 200 && status < 300 {
		// Writes may answer with no body at all; a read must carry one.
		if out == nil || (len(bytes.TrimSpace(data)) == 0 && r.method != http.MethodGet) {
			return status, 0, nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			wait := time.Duration(-1)
			if r.idempotent() {
				wait = 0
			}
			return status, wait, &Error{Op: r.op, Status: status, Class: Retryable,
				Message: "malformed answer: " + c.redact(err.Error()), Err: err}
		}
		return status, 0, nil
	}

	msg, fields := decodeErrorBody(data)
	e := &Error{Op: r.op, Status: status, Class: classify(status, fields), Message: c.redact(msg), Fields: c.redactFields(fields)}
	e.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), time.Now())

	switch {
	case status == http.StatusTooManyRequests:
		// Not applied, so safe to repeat for every method.
		ra := e.RetryAfter
		if ra <= 0 {
			ra = c.backoff
		}
		c.pause(ra)
		c.log.Warn("rate limited by Rackbeat", "op", r.op, "retry_after", ra)
		if ra > c.maxWait {
			return status, -1, e
		}
		// A little jitter keeps concurrent callers from returning in a herd.
		return status, ra + time.Duration(rand.Int64N(int64(ra/10)+1)), e
	case e.Class == Retryable && r.idempotent():
		if e.RetryAfter > 0 && e.RetryAfter <= c.maxWait {
			return status, e.RetryAfter, e
		}
		return status, 0, e
	}
	return status, -1, e
}

// wait blocks until the limiter and any pause ordered by a 429 allow the
// next request.
func (c *Client) wait(ctx context.Context) error {
	for {
		c.mu.Lock()
		until := c.pausedUntil
		c.mu.Unlock()
		d := time.Until(until)
		if d <= 0 {
			break
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return c.limiter.Wait(ctx)
}

// pause holds back every request of the client for d.
func (c *Client) pause(d time.Duration) {
	until := time.Now().Add(d)
	c.mu.Lock()
	if until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
	c.mu.Unlock()
}

// backoffFor draws the pause before retry number attempt+1 ("full jitter").
func (c *Client) backoffFor(attempt int) time.Duration {
	ceil := c.backoff << min(attempt, 20)
	if ceil > c.backoffMax || ceil <= 0 {
		ceil = c.backoffMax
	}
	return c.backoff/2 + time.Duration(rand.Int64N(int64(ceil-c.backoff/2)+1))
}

func (c *Client) ctxError(r request, err error) error {
	return fmt.Errorf("rackbeat: %s: %w", r.op, err)
}

// redact removes the API token from text that came from elsewhere (a
// server's message, a transport error), in case it was echoed.
func (c *Client) redact(s string) string {
	if c.token == "" || !strings.Contains(s, c.token) {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[redacted]")
}

func (c *Client) redactFields(f map[string][]string) map[string][]string {
	for k, msgs := range f {
		for i, m := range msgs {
			msgs[i] = c.redact(m)
		}
		f[k] = msgs
	}
	return f
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// notSent reports whether err shows the request never left this machine.
func notSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// transportText drops the URL from a *url.Error: the op already names the object.
func transportText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// one makes a request whose answer is a single object wrapped under key
// ({"product":{…}}) and decodes that object into out (unless out is nil).
func (c *Client) one(ctx context.Context, r request, key string, out any) error {
	var raw json.RawMessage
	status, err := c.do(ctx, r, &raw)
	if err != nil || out == nil || len(raw) == 0 {
		return err
	}
	inner, err := unwrap(raw, key)
	if err == nil {
		err = json.Unmarshal(inner, out)
	}
	if err != nil {
		return &Error{Op: r.op, Status: status, Class: Retryable, Message: "malformed answer: " + c.redact(err.Error()), Err: err}
	}
	return nil
}
