package status

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
)

// Runtime is what only the running host knows: its connector processes and
// how each link's flows are doing.
type Runtime interface {
	Processes() []Process
	// LinkRuntime describes a link the store knows; a link the host does not
	// run (yet) gets the zero value.
	LinkRuntime(id string) LinkRuntime
}

// LinkRuntime is a link's account and flow states, from the host.
type LinkRuntime struct {
	Account string
	Flows   []FlowStatus
}

// StateSource is a Source built on the store and the scheduler.
type StateSource struct {
	db    *state.DB
	sched *schedule.Scheduler
	rt    Runtime
}

var _ Source = (*StateSource)(nil)

// FromState returns a Source that reads links, quarantine, the audit trail
// and queue depth from the store and the scheduler, and asks rt for the
// rest. rt may be nil (no processes, no flow states).
func FromState(db *state.DB, sched *schedule.Scheduler, rt Runtime) *StateSource {
	return &StateSource{db: db, sched: sched, rt: rt}
}

// Links lists the links the store knows, with the host's flow states.
func (s *StateSource) Links(ctx context.Context) ([]LinkStatus, error) {
	links, err := s.db.Links(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]LinkStatus, 0, len(links))
	for _, l := range links {
		ls := LinkStatus{ID: l.ID, Connector: l.Connector, Version: l.ConnectorVersion, Disabled: l.Disabled}
		if s.rt != nil {
			r := s.rt.LinkRuntime(l.ID)
			ls.Account, ls.Flows = r.Account, r.Flows
		}
		out = append(out, ls)
	}
	return out, nil
}

// Quarantine pages through the quarantine in id order.
func (s *StateSource) Quarantine(ctx context.Context, after int64, limit int) ([]state.QuarantineItem, error) {
	return s.db.ListQuarantine(ctx, state.QuarantineFilter{AfterID: after, Limit: limit})
}

// QuarantineCounts counts the items waiting in quarantine per link, with 0
// for every other link the store knows, for the metrics.
func (s *StateSource) QuarantineCounts(ctx context.Context) (map[string]int, error) {
	links, err := s.db.Links(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.db.QuarantineCounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if _, ok := out[l.ID]; !ok {
			out[l.ID] = 0
		}
	}
	return out, nil
}

// Retry re-enqueues a quarantined item and removes it, in one transaction.
// Items the scheduler quarantined (their flow is a job kind) are re-enqueued
// from their saved arguments; an order a flow quarantined (flow "orders",
// key the channel order id) is imported again. Any other item cannot be
// retried from here: fix its cause at the source, which brings it back, and
// drop it.
func (s *StateSource) Retry(ctx context.Context, id int64) error {
	it, ok, err := s.db.QuarantineItem(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("quarantine item %d: %w", id, state.ErrNotFound)
	}
	if slices.Contains(schedule.Kinds, it.Flow) {
		_, err := s.sched.RetryQuarantine(ctx, id)
		return err
	}
	var args schedule.Args
	switch {
	case it.Flow == "orders" && it.Key != "":
		args = schedule.OrdersImport{Link: it.Link, ChannelOrderID: it.Key, Source: "quarantine"}
	default:
		return fmt.Errorf("quarantine item %d (%s/%s) cannot be retried from the status page: fix its cause at the source and drop it", id, it.Link, it.Flow)
	}
	return s.db.InTx(ctx, func(tx *state.Tx) error {
		if _, err := s.sched.EnqueueTx(ctx, tx, args); err != nil {
			return err
		}
		return tx.DropQuarantine(id)
	})
}

// Drop removes a quarantined item.
func (s *StateSource) Drop(ctx context.Context, id int64) error {
	return s.db.DropQuarantine(ctx, id)
}

// Processes asks the runtime.
func (s *StateSource) Processes() []Process {
	if s.rt == nil {
		return nil
	}
	return s.rt.Processes()
}

// QueueDepth counts waiting jobs per kind.
func (s *StateSource) QueueDepth(ctx context.Context) (map[string]int, error) {
	return s.sched.QueueDepth(ctx)
}

// auditScan bounds how far back RecentErrors looks for problems among the
// audit entries, most of which record success.
const auditScan = 1000

// RecentErrors returns the newest audit entries whose action is a problem
// (see IsProblem).
func (s *StateSource) RecentErrors(ctx context.Context, limit int) ([]state.AuditEntry, error) {
	all, err := s.db.ListAudit(ctx, "", auditScan)
	if err != nil {
		return nil, err
	}
	var out []state.AuditEntry
	for _, e := range all {
		if IsProblem(e.Action) {
			out = append(out, e)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// IsProblem says whether an audit action records something that went wrong:
// quarantined, failed, refused, rejected, conflict, error.
func IsProblem(action string) bool {
	a := strings.ToLower(action)
	for _, w := range []string{"quarantin", "fail", "error", "refus", "reject", "conflict"} {
		if strings.Contains(a, w) {
			return true
		}
	}
	return false
}
