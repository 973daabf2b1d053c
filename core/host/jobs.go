package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/core/flow"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sdk"
)

func (h *Host) registerJobs() {
	h.sched.Handle(schedule.KindOrdersImport, h.observed(h.jobOrdersImport))
	h.sched.Handle(schedule.KindOrdersPull, h.observed(h.jobOrdersPull))
	h.registerProductJobs()
}

// classify reads the class and the wait of an error from a connector or
// from Rackbeat, which share the contract's classes.
func classify(err error) (sdk.Class, time.Duration) {
	var se *sdk.Error
	if errors.As(err, &se) {
		return se.Class, se.RetryAfter
	}
	var re *rackbeat.Error
	if errors.As(err, &re) {
		return sdk.Class(re.Class), re.RetryAfter
	}
	return sdk.ClassUnknown, 0
}

// jobError tells the scheduler what to do with a flow's error: wait as the
// remote side asked without spending an attempt, quarantine now what no
// retry can fix, retry with back-off anything else.
func jobError(err error) error {
	if err == nil {
		return nil
	}
	class, wait := classify(err)
	switch {
	case class == sdk.ClassInvalid || class == sdk.ClassUnsupported:
		return schedule.Permanent(err)
	case wait > 0 && (class == sdk.ClassRateLimited || class == sdk.ClassRetryable):
		return schedule.RetryAfter(wait, err)
	}
	return err
}

func decodeArgs(job schedule.Job, into any) error {
	if err := json.Unmarshal(job.Args, into); err != nil {
		return schedule.Permanent(fmt.Errorf("job %s %d has unreadable arguments: %w", job.Kind, job.ID, err))
	}
	return nil
}

func (h *Host) jobOrdersImport(ctx context.Context, job schedule.Job) error {
	var a schedule.OrdersImport
	if err := decodeArgs(job, &a); err != nil {
		return err
	}
	l, err := h.OpenLink(ctx, a.Link)
	if err != nil {
		return err
	}
	if l.orders == nil {
		return schedule.Permanent(fmt.Errorf("link %s does not import orders (orders.enabled is off or its connector cannot read orders)", a.Link))
	}
	res, err := l.orders.Import(ctx, a.ChannelOrderID, a.Force)
	if err != nil {
		return jobError(err)
	}
	if res.Outcome == flow.Imported || res.Outcome == flow.Healed {
		countItems(ctx, 1)
	}
	h.log.Info("order", "link", a.Link, "order", a.ChannelOrderID, "outcome", res.Outcome, "rackbeat_order", res.RackbeatNumber, "source", a.Source, "reason", res.Reason)
	return nil
}

// ordersCursor is the flow name the order pull keeps its cursor under.
const ordersCursor = "orders"

// jobOrdersPull is the safety net behind the channel's webhooks: it reads
// orders changed since the last pull and queues an import for each one
// that reached the trigger and is not in Rackbeat yet. A page's jobs and
// its cursor commit together, so a crash repeats at most one page, and the
// unique import jobs absorb the repeat.
func (h *Host) jobOrdersPull(ctx context.Context, job schedule.Job) error {
	var a schedule.OrdersPull
	if err := decodeArgs(job, &a); err != nil {
		return err
	}
	l, err := h.OpenLink(ctx, a.Link)
	if err != nil {
		return err
	}
	if l.orders == nil {
		return nil
	}
	cursor, _, err := h.db.Cursor(ctx, a.Link, ordersCursor)
	if err != nil {
		return err
	}
	// Orders placed before the link first ran are history, not work: the
	// operator imports one of those on purpose with `orders import`.
	var since time.Time
	if rec, ok, err := h.db.Link(ctx, a.Link); err == nil && ok {
		since = rec.CreatedAt.Add(-time.Minute)
	}
	queued := 0
	err = l.plugin.ReadOrders(ctx, sdk.ReadRequest{Cursor: cursor, PageSize: 100}, func(p sdk.OrderPage) error {
		return h.db.InTx(ctx, func(tx *state.Tx) error {
			for _, o := range p.Items {
				if !o.CreatedAt.IsZero() && o.CreatedAt.Before(since) {
					continue
				}
				b, found, err := tx.OrderBinding(a.Link, o.ID)
				if err != nil {
					return err
				}
				imported := found && b.State == state.OrderCreated
				triggered, _ := l.orders.Triggered(o)
				if (imported && !o.Cancelled()) || (!imported && !triggered) {
					continue
				}
				if _, err := h.sched.EnqueueTx(ctx, tx, schedule.OrdersImport{Link: a.Link, ChannelOrderID: o.ID, Source: "pull"}); err != nil {
					return err
				}
				queued++
			}
			if p.Cursor == "" {
				return nil
			}
			return tx.SetCursor(a.Link, ordersCursor, p.Cursor)
		})
	})
	if err != nil {
		return jobError(fmt.Errorf("pull orders of link %s: %w", a.Link, err))
	}
	h.log.Info("orders pulled", "link", a.Link, "queued", queued)
	return nil
}

// ImportOrder runs the seed's troubleshooting tool, "sync this order id",
// now and in this process: idempotent unless force.
func (h *Host) ImportOrder(ctx context.Context, link, channelOrderID string, force bool) (flow.Result, error) {
	l, err := h.OpenLink(ctx, link)
	if err != nil {
		return flow.Result{}, err
	}
	if l.orders == nil {
		return flow.Result{}, fmt.Errorf("link %s does not import orders: set links[].orders.enabled and use a connector that reads orders", link)
	}
	// The running host may be importing the same order this moment (its
	// webhook came in too): wait for that import rather than fail, and
	// then answer what it did.
	deadline := time.Now().Add(45 * time.Second)
	for {
		res, err := l.orders.Import(ctx, channelOrderID, force)
		if !errors.Is(err, flow.ErrImportInProgress) || time.Now().After(deadline) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}
