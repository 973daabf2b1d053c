package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/shopbridge/shopbridge/sdk"
)

const namespace = "shopbridge"

// Outcomes of a connector call besides the error classes of the contract
// (retryable, rate_limited, invalid, not_found, conflict, unauthenticated,
// unsupported).
const (
	OutcomeOK       = "ok"
	OutcomeCanceled = "canceled"
	OutcomeTimeout  = "timeout"
	OutcomeError    = "error" // an error that carries no class
)

// Outcomes of an item in items_synced_total. The host counts each item once
// per handling: an item job that fails and is retried counts failed each
// time, and ok or quarantined when it ends.
const (
	ItemOK          = "ok"          // created or updated
	ItemUnchanged   = "unchanged"   // already right: nothing written
	ItemSkipped     = "skipped"     // left alone on purpose: already imported, not triggered yet, cancelled
	ItemQuarantined = "quarantined" // put in quarantine until an operator acts
	ItemFailed      = "failed"      // this attempt failed; the job will be retried
)

// Connector is one connector process as the host's plugin manager sees it.
type Connector struct {
	Name    string
	Version string
	Running bool
	// Restarts counts restarts since the host started; it only grows.
	Restarts int
}

// Metrics is the host's set of metrics. The zero value is not usable; call
// New. All methods are safe for concurrent use, and a nil *Metrics ignores
// every call, so code under test can run without one.
type Metrics struct {
	reg *prometheus.Registry

	itemsSynced  *prometheus.CounterVec
	errors       *prometheus.CounterVec
	jobDuration  *prometheus.HistogramVec
	calls        *prometheus.CounterVec
	callDuration *prometheus.HistogramVec
	webhooks     *prometheus.CounterVec
	sigFailures  *prometheus.CounterVec

	mu          sync.Mutex
	lastSuccess map[[2]string]time.Time
	queueDepth  func(context.Context) (map[string]int, error)
	kindsSeen   map[string]bool
	// depthErrors counts failed queue counts; it is reported by the same
	// collector that fails, so a scrape shows its own failure.
	depthErrors uint64
	connectors  func() []Connector
	now         func() time.Time
	quarantine  func(context.Context) (map[string]int, error)
	rateLimits  func(context.Context) []RateLimit
	linksSeen   map[string]bool // links quarantine was reported for
	// quarantineErrors counts failed quarantine counts, like depthErrors.
	quarantineErrors uint64
}

// New builds the metrics on a registry of their own (with the Go runtime and
// process collectors beside them), so nothing a library registers globally
// leaks into /metrics.
func New() *Metrics {
	m := &Metrics{
		reg:         prometheus.NewRegistry(),
		lastSuccess: map[[2]string]time.Time{},
		kindsSeen:   map[string]bool{},
		linksSeen:   map[string]bool{},
		now:         time.Now,
	}
	m.itemsSynced = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "items_synced_total",
		Help: "Items a flow handled, by link, flow and outcome (ok, unchanged, skipped, quarantined, failed).",
	}, []string{"link", "flow", "outcome"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "errors_total",
		Help: "Errors met by a flow, by link, flow and error class of the connector contract.",
	}, []string{"link", "flow", "class"})
	m.jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "job_duration_seconds",
		Help: "How long one attempt of a job took, by job kind.",
		// Item jobs take milliseconds; pulls and initial syncs take minutes.
		Buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200},
	}, []string{"kind"})
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "connector_calls_total",
		Help: "Calls from the host to a connector, by connector, version, method and outcome (ok, an error class, canceled, timeout, error).",
	}, []string{"connector", "version", "method", "outcome"})
	m.callDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "connector_call_duration_seconds",
		Help:    "How long a call to a connector took, by connector and method.",
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120},
	}, []string{"connector", "method"})
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "webhooks_received_total",
		Help: "Webhook deliveries received, by source (link:<id> or rackbeat, as core/server names them) and the HTTP status answered.",
	}, []string{"source", "status"})
	m.sigFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "webhook_signature_failures_total",
		Help: "Webhook deliveries refused because their signature was missing, forged or replayed, by source.",
	}, []string{"source"})

	m.reg.MustRegister(m.itemsSynced, m.errors, m.jobDuration, m.calls, m.callDuration,
		m.webhooks, m.sigFailures,
		scrapeTime{m},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format, for /metrics.
// A failing collector does not take the others down.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// ItemsSynced counts n items of a link's flow that ended with outcome.
func (m *Metrics) ItemsSynced(link, flow, outcome string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.itemsSynced.WithLabelValues(link, flow, outcome).Add(float64(n))
}

// Error counts one error of a link's flow, labelled with its class (see
// ClassOf).
func (m *Metrics) Error(link, flow string, err error) {
	if m == nil || err == nil {
		return
	}
	m.errors.WithLabelValues(link, flow, ClassOf(err)).Inc()
}

// ObserveJob records how long one attempt of a job of kind took.
func (m *Metrics) ObserveJob(kind string, d time.Duration) {
	if m == nil {
		return
	}
	m.jobDuration.WithLabelValues(kind).Observe(d.Seconds())
}

// RunSucceeded records that a link's flow last completed successfully at
// at; the lag reported at scrape time is the time since then. Call it at
// start with the last success the store remembers, so lag survives a
// restart.
func (m *Metrics) RunSucceeded(link, flow string, at time.Time) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := [2]string{link, flow}
	if at.After(m.lastSuccess[k]) {
		m.lastSuccess[k] = at
	}
}

// ForgetLink drops the lag series of a link that was removed from the
// config, so it does not grow forever on the dashboards.
func (m *Metrics) ForgetLink(link string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	for k := range m.lastSuccess {
		if k[0] == link {
			delete(m.lastSuccess, k)
		}
	}
	delete(m.linksSeen, link)
	m.mu.Unlock()
}

// SetQueueDepthFunc sets how waiting jobs per kind are counted (e.g.
// (*schedule.Scheduler).QueueDepth); it runs at each scrape with a short
// timeout. A kind once seen is reported as 0 when it has nothing waiting,
// so its series does not vanish.
func (m *Metrics) SetQueueDepthFunc(fn func(ctx context.Context) (map[string]int, error)) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.queueDepth = fn
	m.mu.Unlock()
}

// SetQuarantineFunc sets how the items waiting in quarantine are counted
// per link (from the store); it runs at each scrape with a short timeout. A
// link once reported is kept at 0 when its quarantine is empty, until
// ForgetLink.
func (m *Metrics) SetQuarantineFunc(fn func(ctx context.Context) (map[string]int, error)) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.quarantine = fn
	m.mu.Unlock()
}

// DeclareQueueKinds names job kinds whose queue depth is reported (as 0
// when nothing waits) from the first scrape on, so a dashboard's series
// exist before the first job of a kind is queued.
func (m *Metrics) DeclareQueueKinds(kinds ...string) {
	if m == nil {
		return
	}
	m.mu.Lock()
	for _, k := range kinds {
		m.kindsSeen[k] = true
	}
	m.mu.Unlock()
}

// SetConnectorsFunc sets how the connector processes are listed (from the
// plugin manager's Processes); it runs at each scrape and feeds the restart
// counter and the up gauge.
func (m *Metrics) SetConnectorsFunc(fn func() []Connector) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.connectors = fn
	m.mu.Unlock()
}

// ObserveCall records one call to a connector: its outcome (from err, see
// ClassOf) and how long it took. Its signature is plugin.Options.ObserveCall,
// so the plugin manager reports every call a link makes. The duration
// histogram leaves the version out to keep its series few.
func (m *Metrics) ObserveCall(connector, version, method string, err error, d time.Duration) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(connector, version, method, ClassOf(err)).Inc()
	m.callDuration.WithLabelValues(connector, method).Observe(d.Seconds())
}

// RateLimit is one link's budget at its channel's rate limit, as the
// connector models it (sdk.RateLimit): for a Shopify link, the GraphQL
// cost bucket in points.
type RateLimit struct {
	Link, Connector string
	Unit            string // "points", "requests"
	Available       float64
	Capacity        float64
	// RestorePerSecond is how fast the budget refills; 0 when unknown.
	RestorePerSecond float64
}

// SetRateLimitFunc sets how the links' rate-limit budgets are read (the
// host asks each open link's connector); it runs at each scrape with a
// short timeout and leaves out the links it has nothing for, so a removed
// link or a connector that cannot tell has no series.
func (m *Metrics) SetRateLimitFunc(fn func(ctx context.Context) []RateLimit) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.rateLimits = fn
	m.mu.Unlock()
}

// ObserveWebhook counts one webhook delivery and the HTTP status it was
// answered with. Its signature matches server.Options.Observe.
func (m *Metrics) ObserveWebhook(source string, status int) {
	if m == nil {
		return
	}
	m.webhooks.WithLabelValues(source, strconv.Itoa(status)).Inc()
}

// SignatureFailure counts one webhook refused for a missing, forged or
// replayed signature.
func (m *Metrics) SignatureFailure(source string) {
	if m == nil {
		return
	}
	m.sigFailures.WithLabelValues(source).Inc()
}

// ClassOf names the outcome of err as a label value: "ok" for nil, the error
// class of the connector contract when err carries one, "canceled" or
// "timeout" for context errors, otherwise "error".
func ClassOf(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, context.Canceled):
		return OutcomeCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return OutcomeTimeout
	}
	if c := sdk.ClassOf(err); c != sdk.ClassUnknown {
		return string(c)
	}
	return OutcomeError
}

// scrapeTime collects the values computed when Prometheus scrapes.
type scrapeTime struct{ m *Metrics }

var (
	queueDepthDesc = prometheus.NewDesc(namespace+"_queue_depth",
		"Jobs waiting to run (available, scheduled, retrying), by job kind.", []string{"kind"}, nil)
	lagDesc = prometheus.NewDesc(namespace+"_lag_seconds",
		"Seconds since a link's flow last completed successfully.", []string{"link", "flow"}, nil)
	restartsDesc = prometheus.NewDesc(namespace+"_connector_restarts_total",
		"Restarts of a connector process after it crashed, by connector and version.", []string{"connector", "version"}, nil)
	scrapeErrorsDesc = prometheus.NewDesc(namespace+"_scrape_errors_total",
		"Values that could not be read while serving /metrics (their series are missing from that scrape), by what.", []string{"what"}, nil)
	quarantineDesc = prometheus.NewDesc(namespace+"_quarantine_items",
		"Items waiting in quarantine for an operator to retry or drop, by link.", []string{"link"}, nil)
	upDesc = prometheus.NewDesc(namespace+"_connector_up",
		"1 when the connector process is running, 0 while it is down or restarting.", []string{"connector", "version"}, nil)
	rateAvailDesc = prometheus.NewDesc(namespace+"_channel_rate_limit_available",
		"What a link has left of its channel's rate limit, as its connector models it (for Shopify: points in the GraphQL cost bucket), by link, connector and unit.",
		[]string{"link", "connector", "unit"}, nil)
	rateCapacityDesc = prometheus.NewDesc(namespace+"_channel_rate_limit_capacity",
		"The most a link's channel rate limit holds (for Shopify: the cost bucket's size), by link, connector and unit.",
		[]string{"link", "connector", "unit"}, nil)
	rateRestoreDesc = prometheus.NewDesc(namespace+"_channel_rate_limit_restore_per_second",
		"How fast a link's channel rate limit refills, in its unit per second.",
		[]string{"link", "connector", "unit"}, nil)
)

// queueDepthTimeout bounds each count query at scrape time, below
// Prometheus' default scrape timeout of 10 s.
const queueDepthTimeout = 5 * time.Second

func (s scrapeTime) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueDepthDesc
	ch <- lagDesc
	ch <- restartsDesc
	ch <- upDesc
	ch <- quarantineDesc
	ch <- scrapeErrorsDesc
	ch <- rateAvailDesc
	ch <- rateCapacityDesc
	ch <- rateRestoreDesc
}

// collectCounts reads one set of counts at scrape time and sends a gauge
// per key: every key ever seen is sent, at 0 when it has nothing now, so a
// series drops to 0 instead of vanishing. A failed read is counted in
// *errs and sends nothing.
func (m *Metrics) collectCounts(ch chan<- prometheus.Metric, read func(context.Context) (map[string]int, error), desc *prometheus.Desc, seen map[string]bool, errs *uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), queueDepthTimeout)
	counts, err := read(ctx)
	cancel()
	m.mu.Lock()
	if err != nil {
		*errs++
		m.mu.Unlock()
		return
	}
	for k := range counts {
		seen[k] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	for _, k := range keys {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(counts[k]), k)
	}
}

func (s scrapeTime) Collect(ch chan<- prometheus.Metric) {
	m := s.m
	m.mu.Lock()
	depthFn, connFn, quarFn, rateFn, now := m.queueDepth, m.connectors, m.quarantine, m.rateLimits, m.now()
	lags := make(map[[2]string]time.Duration, len(m.lastSuccess))
	for k, t := range m.lastSuccess {
		lags[k] = max(now.Sub(t), 0)
	}
	m.mu.Unlock()

	for k, d := range lags {
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, d.Seconds(), k[0], k[1])
	}

	if depthFn != nil {
		m.collectCounts(ch, depthFn, queueDepthDesc, m.kindsSeen, &m.depthErrors)
	}
	if quarFn != nil {
		m.collectCounts(ch, quarFn, quarantineDesc, m.linksSeen, &m.quarantineErrors)
	}

	m.mu.Lock()
	depthErrors, quarantineErrors := m.depthErrors, m.quarantineErrors
	m.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(scrapeErrorsDesc, prometheus.CounterValue, float64(depthErrors), "queue_depth")
	if quarFn != nil {
		ch <- prometheus.MustNewConstMetric(scrapeErrorsDesc, prometheus.CounterValue, float64(quarantineErrors), "quarantine")
	}

	if rateFn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), queueDepthTimeout)
		limits := rateFn(ctx)
		cancel()
		seen := map[string]bool{}
		for _, r := range limits {
			// One series per link: a duplicate would make the registry
			// refuse the whole scrape.
			if r.Capacity <= 0 || seen[r.Link] {
				continue
			}
			seen[r.Link] = true
			ch <- prometheus.MustNewConstMetric(rateAvailDesc, prometheus.GaugeValue, r.Available, r.Link, r.Connector, r.Unit)
			ch <- prometheus.MustNewConstMetric(rateCapacityDesc, prometheus.GaugeValue, r.Capacity, r.Link, r.Connector, r.Unit)
			if r.RestorePerSecond > 0 {
				ch <- prometheus.MustNewConstMetric(rateRestoreDesc, prometheus.GaugeValue, r.RestorePerSecond, r.Link, r.Connector, r.Unit)
			}
		}
	}

	if connFn != nil {
		// Two processes of one version cannot run side by side, but a
		// careless caller could list one twice; summing keeps the
		// registry from refusing the whole scrape over a duplicate.
		type key struct{ name, version string }
		restarts, up := map[key]int{}, map[key]bool{}
		for _, c := range connFn() {
			k := key{c.Name, c.Version}
			restarts[k] += c.Restarts
			up[k] = up[k] || c.Running
		}
		for k, n := range restarts {
			ch <- prometheus.MustNewConstMetric(restartsDesc, prometheus.CounterValue, float64(n), k.name, k.version)
			v := 0.0
			if up[k] {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, v, k.name, k.version)
		}
	}
}
