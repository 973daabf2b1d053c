package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
)

// Link is the host's handle on an open link. It stays valid across
// restarts of the connector process: every call goes to the link as opened
// on the current process. It implements sdk.Link and every capability
// interface; a call the connector does not declare fails with
// sdk.ClassUnsupported.
type Link struct {
	m        *Manager
	id       string
	name     string
	settings json.RawMessage
	creds    func() *sdk.Credentials

	mu         sync.RWMutex
	constraint string
	proc       *process
	remote     *sdk.RemoteLink
	gen        int   // the process generation remote belongs to
	openErr    error // why re-opening on the current generation failed
	closed     bool
	// noRateLimit is set once the process answered RateLimitStatus with
	// "unsupported", so it is not asked again at every scrape.
	noRateLimit unsupportedOn
}

var (
	_ sdk.Link           = (*Link)(nil)
	_ sdk.ProductReader  = (*Link)(nil)
	_ sdk.ProductWriter  = (*Link)(nil)
	_ sdk.OrderReader    = (*Link)(nil)
	_ sdk.StockReader    = (*Link)(nil)
	_ sdk.StockWriter    = (*Link)(nil)
	_ sdk.WebhookHandler = (*Link)(nil)
	_ sdk.LocationLister = (*Link)(nil)
	_ sdk.CategoryLister = (*Link)(nil)
	_ sdk.Authorizer     = (*Link)(nil)
)

// ID is the link's id.
func (l *Link) ID() string { return l.id }

// Connector returns the name and version of the connector the link runs on.
func (l *Link) Connector() (name, version string) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.proc == nil {
		return l.name, ""
	}
	return l.proc.entry.Name, l.proc.entry.Version
}

// Description is the connector's Describe answer.
func (l *Link) Description() sdk.Description {
	l.mu.RLock()
	p := l.proc
	l.mu.RUnlock()
	if p == nil {
		return sdk.Description{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.desc
}

// Has reports whether the connector declares capability c.
func (l *Link) Has(c sdk.Capability) bool { return l.Description().Has(c) }

// Account is the channel account the connector reported when the link opened.
func (l *Link) Account() string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.remote == nil {
		return ""
	}
	return l.remote.Account()
}

// current returns the link as opened on the running process, or a
// Retryable error while the process restarts.
func (l *Link) current() (*sdk.RemoteLink, *process, int, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return nil, nil, 0, fmt.Errorf("link %s is closed", l.id)
	}
	p := l.proc
	running, gen, retryIn, lastErr := p.state()
	if !running {
		if lastErr == "" {
			lastErr = "not running"
		}
		return nil, nil, 0, sdk.Retryable(retryIn, "connector %s %s of link %s is restarting (%s): try again later", p.entry.Name, p.entry.Version, l.id, lastErr)
	}
	if l.gen != gen || l.remote == nil {
		if l.openErr != nil {
			return nil, nil, 0, fmt.Errorf("link %s could not be opened again after connector %s %s restarted: %w", l.id, p.entry.Name, p.entry.Version, l.openErr)
		}
		return nil, nil, 0, sdk.Retryable(retryIn, "link %s is being opened again on connector %s %s: try again later", l.id, p.entry.Name, p.entry.Version)
	}
	return l.remote, p, gen, nil
}

// settle marks an error as Retryable when the process died under the call.
func (l *Link) settle(p *process, gen int, err error) error {
	if err == nil || sdk.ClassOf(err) == sdk.ClassRetryable || p.alive(gen) {
		return err
	}
	return sdk.Retryable(0, "connector %s %s stopped during a call on link %s: %w", p.entry.Name, p.entry.Version, l.id, err)
}

// call runs f, the connector call named method, on the current remote
// link, and reports the call to Options.ObserveCall: every host-side call
// passes here, so the metrics count them all.
func call[T any](l *Link, method string, f func(*sdk.RemoteLink) (T, error)) (T, error) {
	start := time.Now()
	r, p, gen, err := l.current()
	if err != nil {
		l.observe(method, err, start)
		var zero T
		return zero, err
	}
	v, err := f(r)
	err = l.settle(p, gen, err)
	l.observeOn(p, method, err, start)
	return v, err
}

// observe reports a call that never reached a process.
func (l *Link) observe(method string, err error, start time.Time) {
	if l.m.opts.ObserveCall == nil {
		return
	}
	name, version := l.Connector()
	l.m.opts.ObserveCall(name, version, method, err, time.Since(start))
}

// observeOn reports a call made on process p.
func (l *Link) observeOn(p *process, method string, err error, start time.Time) {
	if l.m.opts.ObserveCall == nil {
		return
	}
	l.m.opts.ObserveCall(p.entry.Name, p.entry.Version, method, err, time.Since(start))
}

// Close closes the link in the connector; the process stops when no other
// link uses it.
func (l *Link) Close(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	p, r := l.proc, l.remote
	l.mu.Unlock()
	l.m.mu.Lock()
	if l.m.links[l.id] == l {
		delete(l.m.links, l.id)
	}
	l.m.mu.Unlock()
	var err error
	if r != nil && p.alive(l.gen) {
		err = r.Close(ctx)
	}
	p.release(l.id)
	if err != nil {
		return fmt.Errorf("closing link %s: %w", l.id, err)
	}
	return nil
}

// Check asks the connector to reach the channel.
func (l *Link) Check(ctx context.Context) (sdk.CheckReport, error) {
	return call(l, "Check", func(r *sdk.RemoteLink) (sdk.CheckReport, error) { return r.Check(ctx) })
}

// ListLocations lists the channel's locations.
func (l *Link) ListLocations(ctx context.Context) ([]sdk.Location, error) {
	return call(l, "ListLocations", func(r *sdk.RemoteLink) ([]sdk.Location, error) { return r.ListLocations(ctx) })
}

// ListCategories lists the channel's categories.
func (l *Link) ListCategories(ctx context.Context) ([]sdk.Category, error) {
	return call(l, "ListCategories", func(r *sdk.RemoteLink) ([]sdk.Category, error) { return r.ListCategories(ctx) })
}

// ReadProducts streams product pages.
func (l *Link) ReadProducts(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error {
	_, err := call(l, "ReadProducts", func(r *sdk.RemoteLink) (struct{}, error) { return struct{}{}, r.ReadProducts(ctx, req, emit) })
	return err
}

// WriteProducts writes a batch of products.
func (l *Link) WriteProducts(ctx context.Context, writes []sdk.ProductWrite) ([]sdk.ProductWriteResult, error) {
	return call(l, "WriteProducts", func(r *sdk.RemoteLink) ([]sdk.ProductWriteResult, error) { return r.WriteProducts(ctx, writes) })
}

// ReadOrders streams order pages.
func (l *Link) ReadOrders(ctx context.Context, req sdk.ReadRequest, emit func(sdk.OrderPage) error) error {
	_, err := call(l, "ReadOrders", func(r *sdk.RemoteLink) (struct{}, error) { return struct{}{}, r.ReadOrders(ctx, req, emit) })
	return err
}

// ReadStock streams stock pages.
func (l *Link) ReadStock(ctx context.Context, req sdk.StockReadRequest, emit func(sdk.StockPage) error) error {
	_, err := call(l, "ReadStock", func(r *sdk.RemoteLink) (struct{}, error) { return struct{}{}, r.ReadStock(ctx, req, emit) })
	return err
}

// WriteStock writes a batch of stock levels.
func (l *Link) WriteStock(ctx context.Context, req sdk.StockWriteRequest) ([]sdk.StockWriteResult, error) {
	return call(l, "WriteStock", func(r *sdk.RemoteLink) ([]sdk.StockWriteResult, error) { return r.WriteStock(ctx, req) })
}

// EnsureWebhooks subscribes the link's webhooks.
func (l *Link) EnsureWebhooks(ctx context.Context, callbackURL string, topics []string) ([]sdk.WebhookSubscription, error) {
	return call(l, "EnsureWebhooks", func(r *sdk.RemoteLink) ([]sdk.WebhookSubscription, error) {
		return r.EnsureWebhooks(ctx, callbackURL, topics)
	})
}

// HandleWebhook verifies and reads a delivery.
func (l *Link) HandleWebhook(ctx context.Context, w sdk.Webhook) (sdk.WebhookResult, error) {
	return call(l, "HandleWebhook", func(r *sdk.RemoteLink) (sdk.WebhookResult, error) { return r.HandleWebhook(ctx, w) })
}

// StartAuthorization returns the URL an operator opens to authorize the link.
func (l *Link) StartAuthorization(ctx context.Context, redirectURL, state string) (string, error) {
	return call(l, "StartAuthorization", func(r *sdk.RemoteLink) (string, error) { return r.StartAuthorization(ctx, redirectURL, state) })
}

// CompleteAuthorization exchanges the callback's query for credentials.
func (l *Link) CompleteAuthorization(ctx context.Context, redirectURL string, query url.Values) (sdk.Credentials, error) {
	return call(l, "CompleteAuthorization", func(r *sdk.RemoteLink) (sdk.Credentials, error) {
		return r.CompleteAuthorization(ctx, redirectURL, query)
	})
}

// RefreshAuthorization renews credentials.
func (l *Link) RefreshAuthorization(ctx context.Context, c sdk.Credentials) (sdk.Credentials, error) {
	return call(l, "RefreshAuthorization", func(r *sdk.RemoteLink) (sdk.Credentials, error) { return r.RefreshAuthorization(ctx, c) })
}
