package host

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/core/metrics"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/status"
	"github.com/shopbridge/shopbridge/sdk"
)

// flowOf names the flow a job kind belongs to, as the status page and the
// metrics show it.
func flowOf(kind string) string {
	switch {
	case strings.HasPrefix(kind, "orders."):
		return "orders"
	case strings.HasPrefix(kind, "products."):
		return "products"
	case strings.HasPrefix(kind, "stock."):
		return "stock"
	}
	return kind
}

// runStats keeps, per link and flow, what the status page shows: last run,
// last success, items moved, last error. It lives in memory: after a
// restart the page starts afresh, while the audit trail in the store keeps
// the history.
type runStats struct {
	mu    sync.Mutex
	flows map[[2]string]*status.FlowStatus
}

func (r *runStats) get(link, flow string) *status.FlowStatus {
	if r.flows == nil {
		r.flows = map[[2]string]*status.FlowStatus{}
	}
	k := [2]string{link, flow}
	if r.flows[k] == nil {
		r.flows[k] = &status.FlowStatus{Flow: flow}
	}
	return r.flows[k]
}

// observed wraps a job handler: it times the run, counts it in the metrics
// and keeps the flow's state for the status page, and logs one line per
// run of a link-wide job.
func (h *Host) observed(fn schedule.HandlerFunc) schedule.HandlerFunc {
	return func(ctx context.Context, job schedule.Job) error {
		flow := flowOf(job.Kind)
		start := time.Now()
		h.stats.mu.Lock()
		fs := h.stats.get(job.Link, flow)
		fs.Running, fs.LastRun = true, start
		h.stats.mu.Unlock()

		ctx, items := withItemCounter(ctx)
		err := fn(ctx, job)
		// A token the channel refused is refreshed (for links installed
		// with an OAuth grant) and the job tried again at once.
		refreshed := err != nil && h.RefreshIfUnauthenticated(ctx, job.Link, err)
		if refreshed {
			err = schedule.RetryAfter(time.Second, err)
		}

		h.metrics.ObserveJob(job.Kind, time.Since(start))
		h.stats.mu.Lock()
		fs.Running = false
		fs.ItemsLastRun = items.n
		fs.ItemsTotal += items.n
		if err != nil {
			fs.LastError = err.Error()
		} else {
			fs.LastError, fs.LastSuccess = "", time.Now()
		}
		h.stats.mu.Unlock()
		if err != nil {
			h.metrics.Error(job.Link, flow, err)
		} else {
			h.metrics.RunSucceeded(job.Link, flow, time.Now())
		}
		for outcome, n := range items.byOutcome() {
			h.metrics.ItemsSynced(job.Link, flow, outcome, n)
		}
		if job.Key != "" && items.empty() && !refreshed && ctx.Err() == nil {
			if outcome := itemOutcome(job, err); outcome != "" {
				h.metrics.ItemsSynced(job.Link, flow, outcome, 1)
			}
		}
		return err
	}
}

// itemOutcome says what became of the one item of an item job (an order
// import, a product or stock push of one SKU) that moved nothing: it
// failed and will be retried, it went to quarantine (the scheduler's rule:
// an error no retry can fix, or the last attempt; an item the flow put
// there itself was counted by flowStore), or it was skipped (already
// imported, not triggered yet, cancelled). A job that waits as the remote
// side asked is not an outcome yet: it runs again without spending an
// attempt.
func itemOutcome(job schedule.Job, err error) string {
	if err != nil {
		class, wait := classify(err)
		switch {
		case wait > 0 && (class == sdk.ClassRateLimited || class == sdk.ClassRetryable):
			return ""
		case class == sdk.ClassInvalid || class == sdk.ClassUnsupported,
			job.MaxAttempts > 0 && job.Attempt >= job.MaxAttempts:
			return metrics.ItemQuarantined
		}
		return metrics.ItemFailed
	}
	return metrics.ItemSkipped
}

// flowStore is the store the flows write to: the state database, with
// every item a flow puts in quarantine counted against the running job as
// it happens, so no job has to look through the quarantine afterwards to
// learn what became of its item.
type flowStore struct{ *state.DB }

func (s flowStore) AddQuarantine(ctx context.Context, item state.QuarantineItem) (int64, error) {
	id, err := s.DB.AddQuarantine(ctx, item)
	if err == nil {
		countOutcome(ctx, metrics.ItemQuarantined, 1)
	}
	return id, err
}

// itemCounter collects the items a running job handled, by outcome.
type itemCounter struct {
	mu sync.Mutex
	n  int64 // items moved (outcome ok), for the status page
	by map[string]int
}

func (c *itemCounter) byOutcome() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.by))
	for k, v := range c.by {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

// empty reports whether the job reported no item at all.
func (c *itemCounter) empty() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.by {
		if v > 0 {
			return false
		}
	}
	return true
}

type itemCounterKey struct{}

func withItemCounter(ctx context.Context) (context.Context, *itemCounter) {
	c := &itemCounter{}
	return context.WithValue(ctx, itemCounterKey{}, c), c
}

// countItems adds n items moved (created or updated) by the running job.
func countItems(ctx context.Context, n int) { countOutcome(ctx, metrics.ItemOK, n) }

// countOutcome adds n items of the running job that ended with outcome
// (one of the metrics.Item* constants), e.g. the Unchanged and Quarantined
// of a flow's report.
func countOutcome(ctx context.Context, outcome string, n int) {
	c, ok := ctx.Value(itemCounterKey{}).(*itemCounter)
	if !ok || n <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[string]int{}
	}
	c.by[outcome] += n
	if outcome == metrics.ItemOK {
		c.n += int64(n)
	}
}

// Processes implements status.Runtime.
func (h *Host) Processes() []status.Process {
	var out []status.Process
	for _, p := range h.plugins.Processes() {
		out = append(out, status.Process{Name: p.Name, Version: p.Version, PID: p.PID, Running: p.Running, Restarts: p.Restarts, Links: p.Links, LastError: p.LastError})
	}
	return out
}

// LinkRuntime implements status.Runtime.
func (h *Host) LinkRuntime(id string) status.LinkRuntime {
	l := h.link(id)
	if l == nil {
		return status.LinkRuntime{}
	}
	out := status.LinkRuntime{Account: l.plugin.Account()}
	modes := map[string]string{
		"orders":   "off",
		"products": l.cfg.Products.Direction,
		"stock":    "off",
	}
	if l.orders != nil {
		modes["orders"] = "on " + l.cfg.Orders.Trigger + " → " + strings.ReplaceAll(l.cfg.Orders.State, "_", " ")
	}
	if l.cfg.Stock.Enabled {
		modes["stock"] = "Rackbeat → channel (" + l.cfg.Stock.Quantity + ")"
	}
	h.stats.mu.Lock()
	defer h.stats.mu.Unlock()
	for _, flow := range []string{"orders", "products", "stock", "initial_sync"} {
		fs := *h.stats.get(id, flow)
		if m, ok := modes[flow]; ok {
			fs.Mode = m
		} else {
			fs.Mode = l.cfg.InitialSync
		}
		out.Flows = append(out.Flows, fs)
	}
	return out
}

// rateLimits asks each open link's connector how much of its channel's rate
// limit it has left, for the metrics at scrape time. A connector that
// cannot tell (built before the call, or without sdk.RateLimitReporter)
// answers once and is not asked again (plugin.Link remembers), and is left
// out quietly: it is not a fault. Other failures, such as a connector
// restarting, only leave the link out of this scrape.
func (h *Host) rateLimits(ctx context.Context) []metrics.RateLimit {
	var out []metrics.RateLimit
	for _, l := range h.openLinks() {
		if ctx.Err() != nil {
			break
		}
		rl, err := l.plugin.RateLimitStatus(ctx)
		if err != nil {
			if sdk.ClassOf(err) != sdk.ClassUnsupported {
				h.log.Debug("rate limit not read for the metrics", "link", l.ID(), "error", err)
			}
			continue
		}
		if rl.Capacity <= 0 {
			continue
		}
		name, _ := l.plugin.Connector()
		out = append(out, metrics.RateLimit{
			Link: l.ID(), Connector: name, Unit: rl.Unit,
			Available: rl.Available, Capacity: rl.Capacity, RestorePerSecond: rl.RestorePerSecond,
		})
	}
	return out
}
