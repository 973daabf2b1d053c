package host

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/flow"
	"github.com/shopbridge/shopbridge/core/metrics"
	"github.com/shopbridge/shopbridge/core/plugin"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/server"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/status"
)

// Options tune a Host beyond its configuration.
type Options struct {
	Logger    hclog.Logger
	Scheduler schedule.Options
	// RackbeatOptions are added to the Rackbeat client's (tests).
	RackbeatOptions []rackbeat.Option
	// OrderLease is how long an order import's claim keeps other imports
	// of the same order away before they look it up in Rackbeat
	// (flow.Orders.Lease; 0: the flow's 30 s). Tests that lose answers on
	// purpose shorten it so the heal path runs within seconds.
	OrderLease time.Duration
	// StockBatch is how many pending SKUs one stock flush job pushes
	// (0: 1,000); a fuller backlog is left to a follow-up job. Tests make
	// it small to show a backlog of several batches drains.
	StockBatch int
}

// Host is one shopbridge: a store, a scheduler, a Rackbeat client, the
// connector processes and the links.
type Host struct {
	cfg     *config.Config
	log     hclog.Logger
	db      *state.DB
	sched   *schedule.Scheduler
	rb      *rackbeat.Client
	plugins *plugin.Manager
	routes  map[string]http.Handler

	customers flow.KeyLock // one find-or-create of a customer at a time, across links
	// refreshMu serialises OAuth refreshes: channels rotate refresh
	// tokens, so two refreshes at once would leave one of them stored with
	// a token the channel has already replaced.
	refreshMu  sync.Mutex
	orderLease time.Duration
	stockBatch int
	metrics    *metrics.Metrics
	stats      runStats

	mu        sync.Mutex
	links     map[string]*Link
	memTokens []string // Rackbeat webhook tokens when there is no state key to keep them
	srv       *server.Server
	ready     atomic.Bool
}

// New opens the store (applying migrations), the scheduler, the Rackbeat
// client and the plugin manager. Nothing runs and no link opens until Run
// or OpenLink.
func New(ctx context.Context, cfg *config.Config, opts Options) (*Host, error) {
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	db, err := state.Open(ctx, state.Options{Driver: cfg.State.Driver, Path: cfg.State.Path, DSN: cfg.State.DSN.Value(), Logger: log.Named("state")})
	if err != nil {
		return nil, fmt.Errorf("open the state database (state.%s): %w", stateKey(cfg), err)
	}
	h := &Host{cfg: cfg, log: log, db: db, links: map[string]*Link{}, routes: map[string]http.Handler{}, metrics: metrics.New(), orderLease: opts.OrderLease, stockBatch: opts.StockBatch}
	if h.stockBatch <= 0 {
		h.stockBatch = defaultStockBatch
	}
	fail := func(err error) (*Host, error) { h.Close(); return nil, err }

	// Long runs (a reconciliation, the initial sync) hold a worker for
	// minutes; a link's order imports must not queue behind them.
	so := opts.Scheduler
	if so.Workers == 0 {
		so.Workers = cmp.Or(cfg.Jobs.Workers, 20)
	}
	if so.PerLinkConcurrency == 0 {
		so.PerLinkConcurrency = cmp.Or(cfg.Jobs.PerLink, 6)
	}
	if so.DeadAfter == 0 {
		so.DeadAfter = cfg.Jobs.DeadAfter
	}
	if h.sched, err = schedule.New(db, log.Named("jobs"), so); err != nil {
		return fail(fmt.Errorf("start the job queue: %w", err))
	}
	rbOpts := append([]rackbeat.Option{
		rackbeat.WithRequestsPerMinute(cfg.Rackbeat.RequestsPerMinute),
		rackbeat.WithLogger(log.Named("rackbeat")),
		rackbeat.WithConsumer("shopbridge", "https://github.com/shopbridge/shopbridge"),
	}, opts.RackbeatOptions...)
	if h.rb, err = rackbeat.New(cfg.Rackbeat.URL, cfg.Rackbeat.Token.Value(), rbOpts...); err != nil {
		return fail(fmt.Errorf("rackbeat.url: %w", err))
	}
	if h.plugins, err = plugin.NewManager(plugin.Options{
		Dir: cfg.Plugins.Dir, Lock: cfg.Plugins.Lock, Logger: log.Named("connector"),
		ObserveCall: h.metrics.ObserveCall,
	}); err != nil {
		return fail(err)
	}
	h.registerJobs()
	h.metrics.SetQueueDepthFunc(h.sched.QueueDepth)
	h.metrics.DeclareQueueKinds(schedule.Kinds...)
	h.metrics.SetQuarantineFunc(status.FromState(db, nil, nil).QuarantineCounts)
	h.metrics.SetRateLimitFunc(h.rateLimits)
	h.metrics.SetConnectorsFunc(func() []metrics.Connector {
		var out []metrics.Connector
		for _, p := range h.plugins.Processes() {
			out = append(out, metrics.Connector{Name: p.Name, Version: p.Version, Running: p.Running, Restarts: p.Restarts})
		}
		return out
	})
	h.routes["GET /metrics"] = h.metrics.Handler()
	page := status.New(status.Options{
		Source: status.FromState(db, h.sched, h), Token: cfg.Server.OperatorToken,
		Secrets: status.SecretValues(cfg), Logger: log.Named("status"),
	})
	for p, hd := range page.Routes() {
		h.routes[p] = hd
	}
	return h, nil
}

func stateKey(cfg *config.Config) string {
	if cfg.State.Driver == state.DriverPostgres {
		return "dsn"
	}
	return "path " + cfg.State.Path
}

// Close stops the connector processes and closes the store.
func (h *Host) Close() {
	h.mu.Lock()
	links := h.links
	h.links = map[string]*Link{}
	h.mu.Unlock()
	for _, l := range links {
		_ = l.plugin.Close(context.Background())
	}
	if h.plugins != nil {
		_ = h.plugins.Close()
	}
	if h.db != nil {
		h.db.Close()
	}
}

// Config is the host's configuration.
func (h *Host) Config() *config.Config { return h.cfg }

// Store is the host's state database.
func (h *Host) Store() *state.DB { return h.db }

// Scheduler is the host's job queue.
func (h *Host) Scheduler() *schedule.Scheduler { return h.sched }

// Rackbeat is the host's Rackbeat client.
func (h *Host) Rackbeat() *rackbeat.Client { return h.rb }

// Plugins is the host's plugin manager.
func (h *Host) Plugins() *plugin.Manager { return h.plugins }

// Handle adds a route to the host's HTTP port (the status page, metrics);
// call it before Run.
func (h *Host) Handle(pattern string, handler http.Handler) { h.routes[pattern] = handler }

// Addr is the address the HTTP port listens on once Run has started it.
func (h *Host) Addr() net.Addr {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.srv == nil {
		return nil
	}
	a, err := net.ResolveTCPAddr("tcp", h.srv.Addr())
	if err != nil {
		return nil
	}
	return a
}

// Run serves until ctx ends: it listens on server.listen, opens every
// enabled link, subscribes webhooks, schedules the periodic pulls and
// reconciliations, and works jobs. A link that cannot be opened is logged
// and reported by /readyz; the other links run.
func (h *Host) Run(ctx context.Context) error {
	defer h.Close()
	routes := map[string]http.Handler{}
	for p, hd := range h.routes {
		routes[p] = hd
	}
	srv := server.New(server.Options{
		Listen: h.cfg.Server.Listen, MaxBodyBytes: h.cfg.Server.MaxBodyBytes, Logger: h.log.Named("http"),
		Sink: h, Ready: h.readiness, Routes: routes,
		Observe: func(source string, code int) {
			h.metrics.ObserveWebhook(source, code)
			if code == http.StatusUnauthorized {
				h.metrics.SignatureFailure(source)
			}
		},
	})
	if err := srv.Start(); err != nil {
		return err
	}
	h.mu.Lock()
	h.srv = srv
	h.mu.Unlock()
	h.log.Info("listening", "addr", srv.Addr())
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	for i := range h.cfg.Links {
		lc := &h.cfg.Links[i]
		if lc.Disabled {
			h.log.Info("link disabled; not opened", "link", lc.ID)
			continue
		}
		if _, err := h.OpenLink(ctx, lc.ID); err != nil {
			h.log.Error("link not opened; the other links run", "link", lc.ID, "error", err)
			continue
		}
		if err := h.schedulePeriodic(lc); err != nil {
			return err
		}
	}
	h.subscribeWebhooks(ctx)

	if err := h.sched.Start(ctx); err != nil {
		return fmt.Errorf("start the job workers: %w", err)
	}
	h.ready.Store(true)
	h.log.Info("running", "links", len(h.openLinks()))
	<-ctx.Done()
	h.log.Info("stopping: finishing jobs in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := h.sched.Stop(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		h.log.Warn("job workers stopped with an error", "error", err)
	}
	h.log.Info("stopped")
	return nil
}

func (h *Host) openLinks() []*Link {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*Link, 0, len(h.links))
	for _, l := range h.links {
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].cfg.ID < out[j].cfg.ID })
	return out
}

// readiness is what /readyz reports: every enabled link open on a running
// connector process.
func (h *Host) readiness() error {
	var problems []string
	if !h.ready.Load() {
		problems = append(problems, "starting: links are being opened")
	}
	for _, lc := range h.cfg.Links {
		if !lc.Disabled && h.link(lc.ID) == nil {
			problems = append(problems, "link "+lc.ID+" is not open (see the log)")
		}
	}
	for _, p := range h.plugins.Processes() {
		if !p.Running {
			problems = append(problems, fmt.Sprintf("connector %s %s is not running (%s); links %s wait for it", p.Name, p.Version, p.LastError, strings.Join(p.Links, ", ")))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return errors.New(strings.Join(problems, "; "))
}

// schedulePeriodic adds the link's safety-net pulls and reconciliations.
func (h *Host) schedulePeriodic(lc *config.Link) error {
	l := h.link(lc.ID)
	add := func(kind string, every time.Duration) error {
		if every <= 0 {
			return nil
		}
		if err := h.sched.AddPeriodic(kind, lc.ID, every); err != nil {
			return fmt.Errorf("schedule %s for link %s: %w", kind, lc.ID, err)
		}
		return nil
	}
	if lc.Orders.Enabled && l.orders != nil {
		if err := add(schedule.KindOrdersPull, lc.Orders.PullEvery); err != nil {
			return err
		}
	}
	return h.schedulePeriodicProducts(lc, add)
}
