package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/host"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/status"
)

// statusReport is what `status` shows, read from the store and the queue,
// which the running host and this command share.
type statusReport struct {
	Host         hostState        `json:"host"`
	Links        []linkState      `json:"links"`
	Queue        map[string]int   `json:"queue"`
	Quarantine   quarantineCounts `json:"quarantine"`
	RecentErrors []auditLine      `json:"recent_errors"`
}

type hostState struct {
	Running bool   `json:"running"`
	PID     int    `json:"pid,omitempty"`
	Listen  string `json:"listen"`
	Ready   string `json:"ready,omitempty"` // what /readyz answered
}

type linkState struct {
	ID          string            `json:"id"`
	Connector   string            `json:"connector"` // as configured: name@constraint
	Version     string            `json:"version,omitempty"`
	Disabled    bool              `json:"disabled,omitempty"`
	FirstRun    *time.Time        `json:"first_run,omitempty"`
	Credentials string            `json:"credentials,omitempty"` // stored OAuth credentials: when they expire
	InitialSync string            `json:"initial_sync,omitempty"`
	Flows       []auditLine       `json:"flows"`
	Cursors     map[string]string `json:"cursors,omitempty"`
}

type auditLine struct {
	At     time.Time `json:"at"`
	Link   string    `json:"link,omitempty"`
	Flow   string    `json:"flow"`
	Action string    `json:"action"`
	Key    string    `json:"key,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

type quarantineCounts struct {
	Total  int            `json:"total"`
	ByLink map[string]int `json:"by_link"`
}

func newStatusCmd() *cobra.Command {
	var hc hostCmd
	var asJSON bool
	c := &cobra.Command{
		Use:   "status [--json] -c FILE",
		Short: "Show links and their connector versions, the last run of each flow, the queue, the quarantine and recent errors",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, h, err := hc.open(c.Context())
			if err != nil {
				return err
			}
			defer h.Close()
			rep, err := buildStatus(c.Context(), cfg, h)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(c.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			printStatus(c.OutOrStdout(), rep)
			return nil
		},
	}
	hc.flags(c)
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func buildStatus(ctx context.Context, cfg *config.Config, h *host.Host) (*statusReport, error) {
	db := h.Store()
	rep := &statusReport{Host: hostState{Listen: cfg.Server.Listen}, Quarantine: quarantineCounts{ByLink: map[string]int{}}}
	if pid, ok := runningPID(cfg); ok {
		rep.Host.Running, rep.Host.PID = true, pid
		rep.Host.Ready = probeReady(cfg.Server.Listen)
	}
	stored := map[string]state.Link{}
	links, err := db.Links(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the links from the store: %w", err)
	}
	for _, l := range links {
		stored[l.ID] = l
	}
	for _, lc := range cfg.Links {
		ls := linkState{ID: lc.ID, Connector: lc.Connector, Disabled: lc.Disabled, Flows: []auditLine{}}
		if s, ok := stored[lc.ID]; ok {
			ls.Version = s.ConnectorVersion
			t := s.CreatedAt
			ls.FirstRun = &t
		}
		if exp, ok, err := h.StoredCredentials(ctx, lc.ID); err == nil && ok {
			ls.Credentials = "stored, expire " + expiry(exp)
		}
		if rec, ok, err := db.InitialSync(ctx, lc.ID); err == nil && ok {
			ls.InitialSync = fmt.Sprintf("ran at %s: %s", rec.RanAt.Local().Format(time.DateTime), rec.Result)
		} else if lc.InitialSync == "none" {
			ls.InitialSync = "none"
		} else {
			ls.InitialSync = "not run yet"
		}
		entries, err := db.ListAudit(ctx, lc.ID, 500)
		if err != nil {
			return nil, fmt.Errorf("read the audit trail of link %s: %w", lc.ID, err)
		}
		seen := map[string]bool{}
		for _, e := range entries {
			if !seen[e.Flow] {
				seen[e.Flow] = true
				ls.Flows = append(ls.Flows, fromAudit(e))
			}
		}
		sort.Slice(ls.Flows, func(i, j int) bool { return ls.Flows[i].Flow < ls.Flows[j].Flow })
		for _, f := range []string{"orders", "products", "stock"} {
			if v, ok, err := db.Cursor(ctx, lc.ID, f); err == nil && ok && v != "" {
				if ls.Cursors == nil {
					ls.Cursors = map[string]string{}
				}
				ls.Cursors[f] = v
			}
		}
		rep.Links = append(rep.Links, ls)
	}
	if rep.Queue, err = h.Scheduler().QueueDepth(ctx); err != nil {
		return nil, err
	}
	for after := int64(0); ; {
		page, err := db.ListQuarantine(ctx, state.QuarantineFilter{AfterID: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, it := range page {
			rep.Quarantine.Total++
			rep.Quarantine.ByLink[it.Link]++
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	errs, err := status.FromState(db, h.Scheduler(), nil).RecentErrors(ctx, 10)
	if err != nil {
		return nil, err
	}
	rep.RecentErrors = []auditLine{}
	for _, e := range errs {
		rep.RecentErrors = append(rep.RecentErrors, fromAudit(e))
	}
	return rep, nil
}

func fromAudit(e state.AuditEntry) auditLine {
	return auditLine{At: e.At, Link: e.Link, Flow: e.Flow, Action: e.Action, Key: e.Key, Detail: e.Detail}
}

func expiry(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.DateTime)
}

// probeReady asks the running host's /readyz, briefly.
func probeReady(listen string) string {
	cl := http.Client{Timeout: 2 * time.Second}
	res, err := cl.Get("http://" + listen + "/readyz")
	if err != nil {
		return "not answering on " + listen
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode == http.StatusOK {
		return "ready"
	}
	return strings.TrimSpace(string(b))
}

func printStatus(w io.Writer, r *statusReport) {
	if r.Host.Running {
		fmt.Fprintf(w, "host: running (pid %d) on %s: %s\n", r.Host.PID, r.Host.Listen, r.Host.Ready)
	} else {
		fmt.Fprintf(w, "host: not running (start it with shopbridge run)\n")
	}
	for _, l := range r.Links {
		v := l.Version
		if v == "" {
			v = "not opened yet"
		}
		state := ""
		if l.Disabled {
			state = ", disabled"
		}
		fmt.Fprintf(w, "\nlink %s: %s, running %s%s\n", l.ID, l.Connector, v, state)
		if l.Credentials != "" {
			fmt.Fprintf(w, "  credentials: %s\n", l.Credentials)
		}
		fmt.Fprintf(w, "  initial sync: %s\n", l.InitialSync)
		if len(l.Flows) == 0 {
			fmt.Fprintln(w, "  no flow has run yet")
		}
		for _, f := range l.Flows {
			fmt.Fprintf(w, "  %-10s last %s at %s%s\n", f.Flow, f.Action, f.At.Local().Format(time.DateTime), detail(f))
		}
	}
	fmt.Fprintln(w)
	if len(r.Queue) == 0 {
		fmt.Fprintln(w, "queue: empty")
	} else {
		kinds := make([]string, 0, len(r.Queue))
		for k := range r.Queue {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "queue:")
		for _, k := range kinds {
			fmt.Fprintf(tw, "  %s\t%d waiting\n", k, r.Queue[k])
		}
		_ = tw.Flush()
	}
	fmt.Fprintf(w, "quarantine: %d item(s)", r.Quarantine.Total)
	if r.Quarantine.Total > 0 {
		links := make([]string, 0, len(r.Quarantine.ByLink))
		for l, n := range r.Quarantine.ByLink {
			links = append(links, fmt.Sprintf("%s %d", l, n))
		}
		sort.Strings(links)
		fmt.Fprintf(w, " (%s): see shopbridge quarantine list", strings.Join(links, ", "))
	}
	fmt.Fprintln(w)
	if len(r.RecentErrors) > 0 {
		fmt.Fprintln(w, "recent errors:")
		for _, e := range r.RecentErrors {
			link := e.Link
			if link == "" {
				link = "host"
			}
			fmt.Fprintf(w, "  %s %s %s %s%s\n", e.At.Local().Format(time.DateTime), link, e.Flow, e.Action, detail(e))
		}
	}
}

func detail(a auditLine) string {
	s := ""
	if a.Key != "" {
		s += " " + a.Key
	}
	if a.Detail != "" {
		s += ": " + oneLine(a.Detail)
	}
	return s
}
