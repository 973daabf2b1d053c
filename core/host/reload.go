package host

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sdk"
)

// ReloadReport says what a reload did.
type ReloadReport struct {
	// Moved are the links now on another connector version.
	Moved []LinkMove
	// Retargeted are links whose constraint changed but that stay on the
	// version they run on (it satisfies the new constraint too), or that
	// are not open and take the new constraint when they next open.
	Retargeted []string
	// NeedRestart lists changes a reload does not apply, one line each.
	NeedRestart []string
}

// LinkMove is one link moved to another connector version.
type LinkMove struct {
	Link     string
	From, To string // connector versions
	// Drain is how long the link's item jobs in flight took to finish (its
	// long jobs are stopped and run again afterwards); Swap how long
	// opening it on the new version and closing it on the old took. New
	// jobs of the link waited in the queue for both.
	Drain, Swap time.Duration
}

// String is the report on one line.
func (r ReloadReport) String() string {
	var parts []string
	for _, m := range r.Moved {
		parts = append(parts, fmt.Sprintf("link %s moved from connector %s to %s", m.Link, m.From, m.To))
	}
	for _, l := range r.Retargeted {
		parts = append(parts, "link "+l+" keeps its connector version under the new constraint")
	}
	parts = append(parts, r.NeedRestart...)
	if len(parts) == 0 {
		return "no connector changed"
	}
	return strings.Join(parts, "; ")
}

// reloadMu serialises reloads: two SIGHUPs in a row apply one after the
// other.
var reloadMu sync.Mutex

// Reload applies a re-read configuration: every open link whose connector
// constraint changed is drained (its item jobs in flight finish, its long
// jobs stop and run again after the move, new ones wait in the queue),
// moved to the version the new constraint selects (the old process stops
// when no link uses it) and resumed. Other links are not
// touched. Changes a reload cannot apply (links added or removed, another
// connector name, settings and flow options) are listed in NeedRestart and
// left as they were.
func (h *Host) Reload(ctx context.Context, newCfg *config.Config) (ReloadReport, error) {
	reloadMu.Lock()
	defer reloadMu.Unlock()
	rep, err := h.reload(ctx, newCfg)
	// The audit trail tells `shopbridge reload`, which only sent a signal,
	// what came of it.
	if err != nil {
		h.AuditReload(ctx, err.Error(), false)
	} else {
		h.AuditReload(ctx, rep.String(), true)
	}
	return rep, err
}

// ReloadAuditFlow is the audit flow under which reloads are recorded, with
// an empty link; the action is "reloaded" or "reload_failed".
const ReloadAuditFlow = "reload"

// AuditReload records the outcome of a reload (also one that failed before
// Reload ran, e.g. on a configuration that does not load).
func (h *Host) AuditReload(ctx context.Context, detail string, ok bool) {
	action := "reloaded"
	if !ok {
		action = "reload_failed"
	}
	if err := h.db.Audit(ctx, state.AuditEntry{Flow: ReloadAuditFlow, Action: action, Detail: detail}); err != nil {
		h.log.Warn("reload not recorded in the audit trail", "error", err)
	}
}

func (h *Host) reload(ctx context.Context, newCfg *config.Config) (ReloadReport, error) {
	var rep ReloadReport
	old := map[string]*config.Link{}
	for i := range h.cfg.Links {
		old[h.cfg.Links[i].ID] = &h.cfg.Links[i]
	}
	seen := map[string]bool{}
	var changed []*config.Link
	for i := range newCfg.Links {
		nl := &newCfg.Links[i]
		seen[nl.ID] = true
		ol := old[nl.ID]
		switch {
		case ol == nil:
			rep.NeedRestart = append(rep.NeedRestart, "link "+nl.ID+" is new: restart the host to open it")
			continue
		case nl.ConnectorName != ol.ConnectorName:
			rep.NeedRestart = append(rep.NeedRestart, fmt.Sprintf("link %s changes connector from %s to %s: restart the host to apply it", nl.ID, ol.ConnectorName, nl.ConnectorName))
			continue
		}
		if !sameApartFromConnector(ol, nl) {
			rep.NeedRestart = append(rep.NeedRestart, "link "+nl.ID+" has other changed settings: restart the host to apply them")
		}
		if nl.ConnectorConstraint != ol.ConnectorConstraint {
			changed = append(changed, nl)
		}
	}
	for id := range old {
		if !seen[id] {
			rep.NeedRestart = append(rep.NeedRestart, "link "+id+" was removed: restart the host to close it")
		}
	}
	sort.Strings(rep.NeedRestart)

	for _, nl := range changed {
		l := h.link(nl.ID)
		if l == nil {
			h.setConstraint(old[nl.ID], nl)
			rep.Retargeted = append(rep.Retargeted, nl.ID)
			continue
		}
		_, from := l.plugin.Connector()
		caps := l.plugin.Description().Capabilities
		began := time.Now()
		// Long jobs (pulls, reconciliations, the initial sync) are
		// cancelled rather than waited for, which could take hours; they
		// spend no attempt and run again after Resume, on the new version.
		// Nothing is lost by that: orders.pull saves its cursor per page,
		// and products.pull and the initial sync theirs, so they go on
		// from where they stopped; reconciliations start again from page
		// 1, which is safe because a level that has not changed is not
		// written again. Item jobs (imports, pushes) are short and are
		// waited for.
		if err := h.sched.Drain(ctx, nl.ID, schedule.CancelLongJobs()); err != nil {
			h.sched.Resume(nl.ID)
			return rep, fmt.Errorf("reload: link %s: %w", nl.ID, err)
		}
		drained := time.Now()
		err := h.plugins.Swap(ctx, nl.ID, nl.ConnectorConstraint)
		h.sched.Resume(nl.ID)
		move := LinkMove{Link: nl.ID, From: from, Drain: drained.Sub(began), Swap: time.Since(drained)}
		if err != nil {
			return rep, fmt.Errorf("reload: link %s stays on connector %s %s: %w", nl.ID, nl.ConnectorName, from, err)
		}
		h.setConstraint(old[nl.ID], nl)
		name, to := l.plugin.Connector()
		if err := h.db.UpsertLink(ctx, state.Link{ID: nl.ID, Connector: name, ConnectorVersion: to}); err != nil {
			h.log.Warn("link moved but the store still names the old version", "link", nl.ID, "error", err)
		}
		if to == from {
			rep.Retargeted = append(rep.Retargeted, nl.ID)
			continue
		}
		move.To = to
		rep.Moved = append(rep.Moved, move)
		// The link's flows and schedules were built from what the old
		// version could do; calls now reach the new one, but a flow it
		// gained or lost only follows at the next start.
		if change := capabilityChange(caps, l.plugin.Description().Capabilities); change != "" {
			rep.NeedRestart = append(rep.NeedRestart, fmt.Sprintf("link %s: connector %s %s %s compared with %s: restart the host so the link's flows follow", nl.ID, name, to, change, from))
		}
		// How long the link's jobs were held is what an operator weighs
		// against the next swap: the drain waits for its longest item job.
		h.log.Info("link moved to another connector version", "link", nl.ID, "from", from, "to", to,
			"drain", move.Drain.Round(time.Millisecond), "swap", move.Swap.Round(time.Millisecond))
	}
	return rep, nil
}

// capabilityChange says which capabilities were added and dropped from
// before to after, or "" when none were.
func capabilityChange(before, after []sdk.Capability) string {
	had := map[sdk.Capability]bool{}
	for _, c := range before {
		had[c] = true
	}
	var added, dropped []string
	for _, c := range after {
		if !had[c] {
			added = append(added, string(c))
		}
		delete(had, c)
	}
	for c := range had {
		dropped = append(dropped, string(c))
	}
	sort.Strings(dropped)
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "adds capabilities "+strings.Join(added, ", "))
	}
	if len(dropped) > 0 {
		parts = append(parts, "drops capabilities "+strings.Join(dropped, ", "))
	}
	return strings.Join(parts, " and ")
}

// setConstraint records a link's new connector constraint in the running
// configuration, so a later open (after a restart of its connector) uses
// it.
func (h *Host) setConstraint(lc, nl *config.Link) {
	h.mu.Lock()
	defer h.mu.Unlock()
	lc.Connector, lc.ConnectorConstraint = nl.Connector, nl.ConnectorConstraint
}

// sameApartFromConnector compares two configurations of a link ignoring
// the connector constraint.
func sameApartFromConnector(a, b *config.Link) bool {
	return reflect.DeepEqual(reloadView(a), reloadView(b))
}

// reloadView is the part of a link's configuration a reload compares,
// without the connector and its parsed constraint.
func reloadView(l *config.Link) config.Link {
	return config.Link{ID: l.ID, Settings: l.Settings, Products: l.Products, Orders: l.Orders, Stock: l.Stock, InitialSync: l.InitialSync, Disabled: l.Disabled}
}
