package status

import (
	"context"
	"time"

	"github.com/shopbridge/shopbridge/core/state"
)

// Source is what the status page reads and the actions it takes. The host
// implements it, usually with FromState.
type Source interface {
	// Links lists the configured links with the state of their flows.
	Links(ctx context.Context) ([]LinkStatus, error)
	// Quarantine returns up to limit items with an id above after, in id
	// order.
	Quarantine(ctx context.Context, after int64, limit int) ([]state.QuarantineItem, error)
	// Retry sends a quarantined item back to work and removes it from
	// quarantine; an error wrapping state.ErrNotFound means there is no such
	// item.
	Retry(ctx context.Context, id int64) error
	// Drop removes a quarantined item for good.
	Drop(ctx context.Context, id int64) error
	// Processes lists the connector processes.
	Processes() []Process
	// QueueDepth counts waiting jobs per job kind.
	QueueDepth(ctx context.Context) (map[string]int, error)
	// RecentErrors returns the newest problems recorded in the audit trail,
	// newest first.
	RecentErrors(ctx context.Context, limit int) ([]state.AuditEntry, error)
}

// LinkStatus is one link as the page shows it.
type LinkStatus struct {
	ID        string
	Connector string
	Version   string
	// Account names the channel account without any credential: a Shopify
	// shop domain, a Shopbox account e-mail.
	Account  string
	Disabled bool
	Flows    []FlowStatus
}

// FlowStatus is the state of one flow of a link.
type FlowStatus struct {
	// Flow is products, orders, stock or initial_sync.
	Flow string
	// Mode says in a few words what the flow does on this link, e.g.
	// "inventory → channel", "on paid", "off".
	Mode    string
	Running bool
	LastRun time.Time
	// LastSuccess is when a run last completed without error; the page
	// shows the time since then as lag.
	LastSuccess time.Time
	NextRun     time.Time
	// ItemsLastRun and ItemsTotal count items moved by the last run and
	// since the host started.
	ItemsLastRun int64
	ItemsTotal   int64
	// LastError is the last run's error, empty when it succeeded.
	LastError string
}

// Process is one connector process.
type Process struct {
	Name    string
	Version string
	PID     int // 0 while not running
	Running bool
	// Restarts after crashes since the host started.
	Restarts  int
	Links     []string
	LastError string
}
