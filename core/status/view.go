package status

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Snapshot is what the page shows, and the body of /status.json (for
// `shopbridge status`). Every text in it has been filtered: no secret, and
// for anyone but the operator no payload and no e-mail address.
type Snapshot struct {
	GeneratedAt time.Time `json:"generated_at"`
	// Operator is true when the request carried the operator token.
	Operator bool `json:"operator"`
	// ReadOnly says why there are no actions, when there are none.
	ReadOnly     string         `json:"read_only,omitempty"`
	Links        []LinkView     `json:"links"`
	Queue        []QueueRow     `json:"queue"`
	QueueTotal   int            `json:"queue_total"`
	Processes    []ProcessView  `json:"processes"`
	ProcessesUp  int            `json:"processes_running"`
	Quarantine   QuarantinePage `json:"quarantine"`
	RecentErrors []ErrorView    `json:"recent_errors"`
	// Problems are the parts of the snapshot that could not be read.
	Problems []string `json:"problems,omitempty"`
	// CSRF is the token the operator's POSTs must carry in the form field
	// "csrf".
	CSRF string `json:"csrf,omitempty"`

	// Page-only fields.
	Session        bool   `json:"-"` // logged in by cookie: offer log out
	LoginOffered   bool   `json:"-"`
	Flash          string `json:"-"`
	FlashBad       bool   `json:"-"`
	FlashKind      string `json:"-"` // names the flash element: retried, dropped, loggedin, loggedout, error
	RefreshSeconds int    `json:"-"`
	SelfURL        string `json:"-"`
}

// LinkView is a link on the page.
type LinkView struct {
	ID        string     `json:"id"`
	Connector string     `json:"connector"`
	Version   string     `json:"version,omitempty"`
	Account   string     `json:"account,omitempty"`
	Disabled  bool       `json:"disabled,omitempty"`
	Flows     []FlowView `json:"flows"`
}

// FlowView is one flow of a link on the page.
type FlowView struct {
	Flow string `json:"flow"`
	Mode string `json:"mode,omitempty"`
	// State is running, ok, error or idle (never ran).
	State        string     `json:"state"`
	LastRun      *time.Time `json:"last_run,omitempty"`
	LastSuccess  *time.Time `json:"last_success,omitempty"`
	NextRun      *time.Time `json:"next_run,omitempty"`
	ItemsLastRun int64      `json:"items_last_run"`
	ItemsTotal   int64      `json:"items_total"`
	// LagSeconds is the time since the last success; absent before the
	// first one.
	LagSeconds *float64 `json:"lag_seconds,omitempty"`
	LastError  string   `json:"last_error,omitempty"`
}

// QueueRow is the number of waiting jobs of one kind.
type QueueRow struct {
	Kind    string `json:"kind"`
	Waiting int    `json:"waiting"`
}

// ProcessView is a connector process on the page.
type ProcessView struct {
	Name      string   `json:"name"`
	Version   string   `json:"version"`
	PID       int      `json:"pid,omitempty"`
	Running   bool     `json:"running"`
	Restarts  int      `json:"restarts"`
	Links     []string `json:"links,omitempty"`
	LastError string   `json:"last_error,omitempty"`
}

// QuarantinePage is one page of quarantine.
type QuarantinePage struct {
	Items []QuarantineView `json:"items"`
	// After is the id this page starts after; Next the id to ask for the
	// next page with (?after=), 0 on the last page.
	After int64 `json:"after,omitempty"`
	Next  int64 `json:"next,omitempty"`
	Shown int   `json:"shown"`
}

// QuarantineView is one quarantined item; Payload only for the operator.
type QuarantineView struct {
	ID        int64     `json:"id"`
	Link      string    `json:"link"`
	Flow      string    `json:"flow"`
	Key       string    `json:"key"`
	Reason    string    `json:"reason"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Payload   string    `json:"payload,omitempty"`
}

// ErrorView is one recent problem from the audit trail.
type ErrorView struct {
	At     time.Time `json:"at"`
	Link   string    `json:"link"`
	Flow   string    `json:"flow"`
	Action string    `json:"action"`
	Key    string    `json:"key,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// maxPayload bounds the payload shown per item; quarantined orders are a
// few kilobytes, and a huge one must not make the page unusable.
const maxPayload = 16 << 10

// recentErrors is how many audit problems the page lists.
const recentErrors = 20

// snapshot reads everything the page shows. A part that cannot be read is
// named in Problems and the rest is still shown: the page is most needed
// when something is broken.
func (h *Handler) snapshot(ctx context.Context, op bool, after int64) *Snapshot {
	now := h.now().UTC()
	s := &Snapshot{GeneratedAt: now, Operator: op}
	clean := func(v string) string { return h.filter.clean(v, op) }
	problem := func(what string, err error) {
		h.log.Warn("status page: could not read "+what, "error", err)
		s.Problems = append(s.Problems, clean(fmt.Sprintf("Could not read %s: %v", what, err)))
	}

	links, err := h.src.Links(ctx)
	if err != nil {
		problem("the links", err)
	}
	for _, l := range links {
		lv := LinkView{ID: l.ID, Connector: l.Connector, Version: l.Version, Account: clean(l.Account), Disabled: l.Disabled, Flows: []FlowView{}}
		for _, f := range l.Flows {
			fv := FlowView{Flow: f.Flow, Mode: f.Mode, LastRun: timePtr(f.LastRun), LastSuccess: timePtr(f.LastSuccess),
				NextRun: timePtr(f.NextRun), ItemsLastRun: f.ItemsLastRun, ItemsTotal: f.ItemsTotal, LastError: clean(f.LastError)}
			switch {
			case f.Running:
				fv.State = "running"
			case f.LastError != "":
				fv.State = "error"
			case f.LastRun.IsZero() && f.LastSuccess.IsZero():
				fv.State = "idle"
			default:
				fv.State = "ok"
			}
			if !f.LastSuccess.IsZero() {
				lag := max(now.Sub(f.LastSuccess), 0).Round(time.Second).Seconds()
				fv.LagSeconds = &lag
			}
			lv.Flows = append(lv.Flows, fv)
		}
		s.Links = append(s.Links, lv)
	}

	depth, err := h.src.QueueDepth(ctx)
	if err != nil {
		problem("the queue", err)
	}
	for k, n := range depth {
		s.Queue = append(s.Queue, QueueRow{Kind: k, Waiting: n})
		s.QueueTotal += n
	}
	sort.Slice(s.Queue, func(i, j int) bool { return s.Queue[i].Kind < s.Queue[j].Kind })

	for _, p := range h.src.Processes() {
		s.Processes = append(s.Processes, ProcessView{Name: p.Name, Version: p.Version, PID: p.PID, Running: p.Running,
			Restarts: p.Restarts, Links: p.Links, LastError: clean(p.LastError)})
		if p.Running {
			s.ProcessesUp++
		}
	}

	s.Quarantine.After = after
	items, err := h.src.Quarantine(ctx, after, h.pageSize+1)
	if err != nil {
		problem("the quarantine", err)
	}
	if len(items) > h.pageSize {
		items = items[:h.pageSize]
		s.Quarantine.Next = items[len(items)-1].ID
	}
	for _, it := range items {
		qv := QuarantineView{ID: it.ID, Link: it.Link, Flow: it.Flow, Key: clean(it.Key), Reason: clean(it.Reason),
			Attempts: it.Attempts, LastError: clean(it.LastError), CreatedAt: it.CreatedAt.UTC(), UpdatedAt: it.UpdatedAt.UTC()}
		if op && len(it.Payload) > 0 {
			qv.Payload = clean(showPayload(it.Payload))
		}
		s.Quarantine.Items = append(s.Quarantine.Items, qv)
	}
	s.Quarantine.Shown = len(s.Quarantine.Items)

	errs, err := h.src.RecentErrors(ctx, recentErrors)
	if err != nil {
		problem("the recent errors", err)
	}
	for _, e := range errs {
		s.RecentErrors = append(s.RecentErrors, ErrorView{At: e.At.UTC(), Link: e.Link, Flow: e.Flow, Action: e.Action,
			Key: clean(e.Key), Detail: clean(e.Detail)})
	}

	// JSON clients get lists, never null.
	if s.Links == nil {
		s.Links = []LinkView{}
	}
	if s.Queue == nil {
		s.Queue = []QueueRow{}
	}
	if s.Processes == nil {
		s.Processes = []ProcessView{}
	}
	if s.Quarantine.Items == nil {
		s.Quarantine.Items = []QuarantineView{}
	}
	if s.RecentErrors == nil {
		s.RecentErrors = []ErrorView{}
	}
	return s
}

// showPayload indents a JSON payload for reading and cuts a huge one.
func showPayload(p []byte) string {
	var b bytes.Buffer
	if json.Indent(&b, p, "", "  ") != nil {
		b.Reset()
		b.Write(bytes.ToValidUTF8(p, []byte("�")))
	}
	if b.Len() > maxPayload {
		return b.String()[:maxPayload] + "\n… (cut at 16 KiB)"
	}
	return b.String()
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// Template helpers.

func ago(now time.Time, t any) string {
	tt := deref(t)
	if tt.IsZero() {
		return "never"
	}
	d := now.Sub(tt)
	if d < 0 {
		return "just now"
	}
	return human(d) + " ago"
}

func until(now time.Time, t any) string {
	tt := deref(t)
	if tt.IsZero() {
		return "–"
	}
	d := tt.Sub(now)
	if d <= 0 {
		return "due"
	}
	return "in " + human(d)
}

func lag(sec *float64) string {
	if sec == nil {
		return "–"
	}
	return human(time.Duration(*sec * float64(time.Second)))
}

func stamp(t any) string {
	tt := deref(t)
	if tt.IsZero() {
		return ""
	}
	return tt.UTC().Format("2006-01-02 15:04:05 UTC")
}

func clock(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func deref(t any) time.Time {
	switch v := t.(type) {
	case time.Time:
		return v
	case *time.Time:
		if v != nil {
			return *v
		}
	}
	return time.Time{}
}

// human writes a duration the way a person reads a status page: "45s",
// "12m", "3h 5m", "2d 4h".
func human(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		h := int(d.Hours())
		return fmt.Sprintf("%dh %dm", h, int(d.Minutes())-60*h)
	}
	days := int(d.Hours()) / 24
	return fmt.Sprintf("%dd %dh", days, int(d.Hours())-24*days)
}

func stateClass(s string) string {
	switch s {
	case "ok":
		return "b-ok"
	case "running":
		return "b-warn"
	case "error":
		return "b-bad"
	}
	return "b-idle"
}

func join(s []string) string { return strings.Join(s, ", ") }
