package host

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/status"
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
		if err != nil && h.RefreshIfUnauthenticated(ctx, job.Link, err) {
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
		if items.n > 0 {
			h.metrics.ItemsSynced(job.Link, flow, "ok", int(items.n))
		}
		return err
	}
}

type itemCounter struct {
	mu sync.Mutex
	n  int64
}

type itemCounterKey struct{}

func withItemCounter(ctx context.Context) (context.Context, *itemCounter) {
	c := &itemCounter{}
	return context.WithValue(ctx, itemCounterKey{}, c), c
}

// countItems adds n items moved by the running job.
func countItems(ctx context.Context, n int) {
	if c, ok := ctx.Value(itemCounterKey{}).(*itemCounter); ok {
		c.mu.Lock()
		c.n += int64(n)
		c.mu.Unlock()
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
