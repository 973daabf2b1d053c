package graphql

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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shopbridge/shopbridge/sdk"
)

// MaxQueryCost is the most a single query may cost (MAX_COST_EXCEEDED above).
const MaxQueryCost = 1000

// Options configure a Client.
type Options struct {
	// Endpoint is the full URL of graphql.json,
	// e.g. https://shop.myshopify.com/admin/api/2026-10/graphql.json.
	Endpoint string
	// Token returns the access token for each request, so that a refreshed
	// token is picked up without a new client.
	Token  func(ctx context.Context) (string, error)
	HTTP   *http.Client
	Pacer  *Pacer
	Clock  Clock
	Logger hclog.Logger
	// MaxAttempts bounds the tries of one request on transient failures
	// (5xx, dropped connections, malformed answers); default 5.
	MaxAttempts int
	// MaxThrottleWaits bounds how often one request waits after THROTTLED
	// before the caller is told to come back later; default 20.
	MaxThrottleWaits int
	// Backoff is the first retry delay; it doubles per attempt, with
	// jitter (half fixed, half random), up to 8 s. Default 250 ms.
	Backoff time.Duration
	// Timeout bounds one HTTP exchange; default 60 s.
	Timeout time.Duration
}

// Client sends documents to one shop.
type Client struct {
	opts    Options
	pacer   *Pacer
	clock   Clock
	log     hclog.Logger
	learned sync.Map // cost key → requested cost Shopify charged last time
	actual  sync.Map // cost key → actual cost of the last answer

	throttled atomic.Int64 // THROTTLED answers received
	requests  atomic.Int64
}

// New returns a client. Endpoint and Token are required.
func New(opts Options) *Client {
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	if opts.Pacer == nil {
		opts.Pacer = NewPacer(opts.Clock, 0, 0)
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	if opts.MaxThrottleWaits <= 0 {
		opts.MaxThrottleWaits = 20
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 250 * time.Millisecond
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	return &Client{opts: opts, pacer: opts.Pacer, clock: opts.Clock, log: opts.Logger}
}

// Pacer returns the client's pacer.
func (c *Client) Pacer() *Pacer { return c.pacer }

// Throttled is how many THROTTLED answers the client has received.
func (c *Client) Throttled() int64 { return c.throttled.Load() }

// Requests is how many HTTP requests the client has sent.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Request is one document to send.
type Request struct {
	Doc       Document
	Variables map[string]any
	// Cost is the caller's estimate of the requested cost. The client uses
	// the larger of it and what Shopify charged for the same document and
	// estimate last time.
	Cost int
	// Unsafe marks a mutation that is not idempotent: it is retried only
	// when Shopify certainly did not run it (THROTTLED, refused connection).
	Unsafe bool
}

// Response is a GraphQL answer.
type Response struct {
	Data       json.RawMessage `json:"data"`
	Errors     []Error         `json:"errors"`
	Extensions struct {
		Cost *Cost `json:"cost"`
	} `json:"extensions"`
}

// Cost is extensions.cost.
type Cost struct {
	RequestedQueryCost float64        `json:"requestedQueryCost"`
	ActualQueryCost    *float64       `json:"actualQueryCost"`
	ThrottleStatus     ThrottleStatus `json:"throttleStatus"`
}

// Error is one entry of a GraphQL answer's errors.
type Error struct {
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Code    string  `json:"code"`
		Cost    float64 `json:"cost"`
		MaxCost float64 `json:"maxCost"`
	} `json:"extensions"`
}

// CostExceededError says a query asked for more than MaxQueryCost; the
// caller splits it (a smaller first) and tries again.
type CostExceededError struct {
	Doc       string
	Requested float64
	Max       float64
}

func (e *CostExceededError) Error() string {
	return fmt.Sprintf("shopify: %s would cost %.0f points, above the single-query limit of %.0f: ask for fewer items per page", e.Doc, e.Requested, e.Max)
}

func (c *Client) costKey(r Request) string { return r.Doc.Name + "/" + strconv.Itoa(r.Cost) }

// charged estimates what Shopify took for a request whose answer was lost
// after it probably ran: its actual cost last time, or the whole
// reservation when it has not been answered before.
func (c *Client) charged(r Request, reserved float64) float64 {
	if v, ok := c.actual.Load(c.costKey(r)); ok {
		return min(reserved, v.(float64))
	}
	return reserved
}

func (c *Client) estimate(r Request) float64 {
	est := float64(r.Cost)
	if v, ok := c.learned.Load(c.costKey(r)); ok {
		est = max(est, v.(float64))
	}
	if est <= 0 {
		est = 1
	}
	return est
}

// Do sends r and decodes its data into out (which may be nil). It waits
// for the bucket, retries what is safe to retry, and returns classed
// errors (*sdk.Error, or *CostExceededError) when it gives up.
func (c *Client) Do(ctx context.Context, r Request, out any) (*Response, error) {
	body, err := json.Marshal(map[string]any{"query": r.Doc.Text, "variables": r.Variables})
	if err != nil {
		return nil, sdk.Invalid("variables", "shopify: encode the variables of %s: %v", r.Doc.Name, err)
	}
	attempts, throttles := 0, 0
	for {
		cost := c.estimate(r)
		if err := c.pacer.Wait(ctx, cost); err != nil {
			return nil, err
		}
		resp, status, retryAfter, sent, unreadable, err := c.send(ctx, body)
		if err != nil {
			if sent {
				// The connection dropped after the request left: Shopify
				// may have run it.
				c.pacer.Settle(cost, c.charged(r, cost))
			} else {
				c.pacer.Release(cost)
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			attempts++
			if r.Unsafe && sent || attempts >= c.opts.MaxAttempts {
				return nil, sdk.Retryable(c.backoff(attempts), "shopify: %s failed: %v", r.Doc.Name, err)
			}
			c.log.Debug("shopify request failed; retrying", "doc", r.Doc.Name, "attempt", attempts, "error", err)
			if err := c.clock.Sleep(ctx, c.backoff(attempts)); err != nil {
				return nil, err
			}
			continue
		}
		if resp != nil && resp.Extensions.Cost != nil {
			cst := resp.Extensions.Cost
			if cst.RequestedQueryCost > 0 {
				c.learned.Store(c.costKey(r), cst.RequestedQueryCost)
			}
			if cst.ActualQueryCost != nil {
				c.actual.Store(c.costKey(r), *cst.ActualQueryCost)
			}
			if isThrottled(resp) {
				c.throttled.Add(1)
				throttles++
				wait := c.pacer.Throttled(cost, cst.ThrottleStatus)
				if throttles > c.opts.MaxThrottleWaits {
					return nil, sdk.RateLimited(wait, "shopify: %s throttled %d times in a row", r.Doc.Name, throttles)
				}
				c.log.Debug("shopify answered THROTTLED; waiting for the bucket", "doc", r.Doc.Name, "wait", wait, "status", status)
				if err := c.clock.Sleep(ctx, wait); err != nil {
					return nil, err
				}
				continue
			}
			actual := cost
			if cst.ActualQueryCost != nil {
				actual = *cst.ActualQueryCost
			}
			c.pacer.Observe(cost, actual, cst.ThrottleStatus)
		} else if unreadable {
			// A truncated or malformed 2xx: the query ran, its cost
			// report was lost with the rest of the answer.
			c.pacer.Settle(cost, c.charged(r, cost))
		} else {
			// A bare 5xx or 429 comes from before the query ran.
			c.pacer.Release(cost)
		}
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return nil, sdk.Unauthenticated("shopify refused the access token (HTTP %d): reinstall the app or check the link's access_token", status)
		case status == http.StatusTooManyRequests:
			throttles++
			c.throttled.Add(1)
			wait := retryAfter
			if wait <= 0 {
				wait = time.Second
			}
			if throttles > c.opts.MaxThrottleWaits {
				return nil, sdk.RateLimited(wait, "shopify: %s answered 429 %d times in a row", r.Doc.Name, throttles)
			}
			if err := c.clock.Sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		case status >= 500 || resp == nil:
			attempts++
			// A 503 or an unreadable body may come from a proxy before
			// Shopify ran anything, but nothing says so for certain.
			if r.Unsafe || attempts >= c.opts.MaxAttempts {
				return nil, sdk.Retryable(c.backoff(attempts), "shopify: %s answered HTTP %d", r.Doc.Name, status)
			}
			if err := c.clock.Sleep(ctx, c.backoff(attempts)); err != nil {
				return nil, err
			}
			continue
		case status != http.StatusOK:
			return nil, sdk.Invalid("query", "shopify: %s answered HTTP %d", r.Doc.Name, status)
		}
		if err := c.topErrors(r, resp); err != nil {
			var rerr *sdk.Error
			if errors.As(err, &rerr) && rerr.Class == sdk.ClassRetryable && !r.Unsafe {
				attempts++
				if attempts < c.opts.MaxAttempts {
					if err := c.clock.Sleep(ctx, c.backoff(attempts)); err != nil {
						return nil, err
					}
					continue
				}
			}
			return resp, err
		}
		if out != nil && len(resp.Data) > 0 {
			if err := json.Unmarshal(resp.Data, out); err != nil {
				return resp, sdk.Retryable(0, "shopify: decode the answer to %s: %v", r.Doc.Name, err)
			}
		}
		return resp, nil
	}
}

// send does one HTTP exchange. sent is false when the request certainly
// never reached the server; unreadable is true when a 2xx answer's body
// could not be read or decoded (resp is then nil and status 502).
func (c *Client) send(ctx context.Context, body []byte) (resp *Response, status int, retryAfter time.Duration, sent, unreadable bool, err error) {
	token, err := c.opts.Token(ctx)
	if err != nil {
		return nil, 0, 0, false, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opts.Endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, 0, 0, false, false, fmt.Errorf("build request to %s: %w", c.opts.Endpoint, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Shopify-Access-Token", token)
	req.Header.Set("User-Agent", "shopbridge-connector-shopify")
	c.requests.Add(1)
	hr, err := c.opts.HTTP.Do(req)
	if err != nil {
		var op *net.OpError
		sent = !(errors.As(err, &op) && op.Op == "dial")
		// The URL error carries the endpoint but never the token header.
		return nil, 0, 0, sent, false, err
	}
	defer hr.Body.Close()
	if s := hr.Header.Get("Retry-After"); s != "" {
		if f, perr := strconv.ParseFloat(s, 64); perr == nil {
			retryAfter = time.Duration(f * float64(time.Second))
		}
	}
	raw, rerr := io.ReadAll(io.LimitReader(hr.Body, 256<<20))
	status = hr.StatusCode
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		return nil, status, retryAfter, true, false, nil
	}
	ok := status >= 200 && status < 300
	if rerr != nil {
		return nil, status, retryAfter, true, ok, nil
	}
	var r Response
	if jerr := json.Unmarshal(raw, &r); jerr != nil {
		// A truncated or malformed body: treat it as transient.
		if status == http.StatusOK {
			status = http.StatusBadGateway
		}
		return nil, status, retryAfter, true, ok, nil
	}
	return &r, status, retryAfter, true, false, nil
}

func isThrottled(r *Response) bool {
	for _, e := range r.Errors {
		if e.Extensions.Code == "THROTTLED" {
			return true
		}
	}
	return false
}

// topErrors classes the top-level errors of an answer. Field-level
// userErrors are in the data and are the caller's to map.
func (c *Client) topErrors(r Request, resp *Response) error {
	if len(resp.Errors) == 0 {
		return nil
	}
	e := resp.Errors[0]
	switch e.Extensions.Code {
	case "MAX_COST_EXCEEDED":
		req := e.Extensions.Cost
		if req == 0 && resp.Extensions.Cost != nil {
			req = resp.Extensions.Cost.RequestedQueryCost
		}
		mx := e.Extensions.MaxCost
		if mx == 0 {
			mx = MaxQueryCost
		}
		return &CostExceededError{Doc: r.Doc.Name, Requested: req, Max: mx}
	case "ACCESS_DENIED":
		return sdk.Unauthenticated("shopify: %s: access denied (%s): the app lacks a scope; reinstall it with the scopes the connector asks for", r.Doc.Name, e.Message)
	case "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT":
		return sdk.Retryable(time.Second, "shopify: %s: %s", r.Doc.Name, e.Message)
	case "IDEMPOTENCY_CONCURRENT_REQUEST":
		return sdk.Retryable(time.Second, "shopify: %s: the same idempotency key is being processed", r.Doc.Name)
	}
	msgs := make([]string, 0, len(resp.Errors))
	for _, e := range resp.Errors {
		m := e.Message
		if e.Extensions.Code != "" {
			m += " (" + e.Extensions.Code + ")"
		}
		msgs = append(msgs, m)
	}
	err := sdk.Invalid("query", "shopify rejected %s: %s", r.Doc.Name, strings.Join(msgs, "; "))
	err.Code = e.Extensions.Code
	return err
}

// backoff is the delay before retry n (1-based): exponential with
// jitter, so that many clients retrying together spread out.
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.Backoff << min(n-1, 5)
	if d > 8*time.Second {
		d = 8 * time.Second
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}
