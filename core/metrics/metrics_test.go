package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/server"
	"github.com/shopbridge/shopbridge/sdk"
)

// scrape fetches /metrics as Prometheus would and returns each series line
// ("name{labels}") with its value.
func scrape(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("content type %q, want the text format", ct)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func want(t *testing.T, got map[string]float64, series string, v float64) {
	t.Helper()
	g, ok := got[series]
	if !ok {
		var near []string
		name := series[:strings.IndexByte(series+"{", '{')]
		for k := range got {
			if strings.HasPrefix(k, name) {
				near = append(near, k)
			}
		}
		t.Fatalf("series %s missing; series of that name: %v", series, near)
	}
	if g != v {
		t.Errorf("%s = %v, want %v", series, g, v)
	}
}

func absent(t *testing.T, got map[string]float64, prefix string) {
	t.Helper()
	for k := range got {
		if strings.HasPrefix(k, prefix) {
			t.Errorf("series %s present, want none starting %s", k, prefix)
		}
	}
}

func TestFlowCountersCarryLinkFlowAndOutcome(t *testing.T) {
	m := New()
	m.ItemsSynced("webshop", "orders", "created", 3)
	m.ItemsSynced("webshop", "orders", "created", 2)
	m.ItemsSynced("webshop", "stock", "updated", 250)
	m.ItemsSynced("pos", "orders", "quarantined", 1)
	m.ItemsSynced("pos", "orders", "ignored", 0) // nothing happened: no series
	m.Error("webshop", "stock", sdk.RateLimited(time.Second, "bucket empty"))
	m.Error("webshop", "stock", fmt.Errorf("push batch: %w", sdk.Errorf(sdk.ClassInvalid, "negative quantity")))
	m.Error("webshop", "stock", errors.New("connection reset"))
	m.Error("webshop", "stock", nil)

	got := scrape(t, m)
	want(t, got, `shopbridge_items_synced_total{flow="orders",link="webshop",outcome="created"}`, 5)
	want(t, got, `shopbridge_items_synced_total{flow="stock",link="webshop",outcome="updated"}`, 250)
	want(t, got, `shopbridge_items_synced_total{flow="orders",link="pos",outcome="quarantined"}`, 1)
	absent(t, got, `shopbridge_items_synced_total{flow="orders",link="pos",outcome="ignored"}`)
	want(t, got, `shopbridge_errors_total{class="rate_limited",flow="stock",link="webshop"}`, 1)
	want(t, got, `shopbridge_errors_total{class="invalid",flow="stock",link="webshop"}`, 1)
	want(t, got, `shopbridge_errors_total{class="error",flow="stock",link="webshop"}`, 1)
}

func TestJobLatencyIsAHistogramByKind(t *testing.T) {
	m := New()
	m.ObserveJob("stock.push", 30*time.Millisecond)
	m.ObserveJob("stock.push", 3*time.Second)
	m.ObserveJob("orders.pull", 90*time.Second)

	got := scrape(t, m)
	want(t, got, `shopbridge_job_duration_seconds_count{kind="stock.push"}`, 2)
	want(t, got, `shopbridge_job_duration_seconds_bucket{kind="stock.push",le="0.05"}`, 1)
	want(t, got, `shopbridge_job_duration_seconds_bucket{kind="stock.push",le="5"}`, 2)
	want(t, got, `shopbridge_job_duration_seconds_sum{kind="stock.push"}`, 3.03)
	want(t, got, `shopbridge_job_duration_seconds_bucket{kind="orders.pull",le="60"}`, 0)
	want(t, got, `shopbridge_job_duration_seconds_bucket{kind="orders.pull",le="300"}`, 1)
}

func TestQueueDepthIsReadAtScrapeTimeAndKeepsKindsAtZero(t *testing.T) {
	m := New()
	var mu sync.Mutex
	depth := map[string]int{"stock.push": 12, "orders.import": 1}
	var fail error
	m.SetQueueDepthFunc(func(ctx context.Context) (map[string]int, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("queue depth callback got a context without a deadline")
		}
		mu.Lock()
		defer mu.Unlock()
		return depth, fail
	})

	m.DeclareQueueKinds("products.pull")
	got := scrape(t, m)
	want(t, got, `shopbridge_queue_depth{kind="stock.push"}`, 12)
	want(t, got, `shopbridge_queue_depth{kind="orders.import"}`, 1)
	want(t, got, `shopbridge_queue_depth{kind="products.pull"}`, 0)

	mu.Lock()
	depth = map[string]int{"stock.push": 4}
	mu.Unlock()
	got = scrape(t, m)
	want(t, got, `shopbridge_queue_depth{kind="stock.push"}`, 4)
	want(t, got, `shopbridge_queue_depth{kind="orders.import"}`, 0)

	// A failing count leaves the other metrics served and is itself counted.
	mu.Lock()
	fail = errors.New("database is locked")
	mu.Unlock()
	m.ItemsSynced("webshop", "orders", "created", 1)
	got = scrape(t, m)
	absent(t, got, "shopbridge_queue_depth{")
	want(t, got, `shopbridge_scrape_errors_total{what="queue_depth"}`, 1)
	want(t, got, `shopbridge_items_synced_total{flow="orders",link="webshop",outcome="created"}`, 1)
}

func TestLagIsSecondsSinceLastSuccessfulRun(t *testing.T) {
	m := New()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := base
	m.now = func() time.Time { return clock }

	m.RunSucceeded("webshop", "stock", base.Add(-90*time.Second))
	m.RunSucceeded("webshop", "products", base.Add(-2*time.Hour))
	// An older report arriving late does not make the lag look worse.
	m.RunSucceeded("webshop", "stock", base.Add(-10*time.Minute))

	got := scrape(t, m)
	want(t, got, `shopbridge_lag_seconds{flow="stock",link="webshop"}`, 90)
	want(t, got, `shopbridge_lag_seconds{flow="products",link="webshop"}`, 7200)

	clock = base.Add(30 * time.Second)
	got = scrape(t, m)
	want(t, got, `shopbridge_lag_seconds{flow="stock",link="webshop"}`, 120)

	m.RunSucceeded("webshop", "stock", clock)
	got = scrape(t, m)
	want(t, got, `shopbridge_lag_seconds{flow="stock",link="webshop"}`, 0)

	m.ForgetLink("webshop")
	absent(t, scrape(t, m), "shopbridge_lag_seconds{")
}

func TestConnectorCallsByMethodAndOutcome(t *testing.T) {
	m := New()
	m.ObserveCall("shopify", "1.2.0", "WriteStock", nil, 120*time.Millisecond)
	m.ObserveCall("shopify", "1.2.0", "WriteStock", nil, 80*time.Millisecond)
	m.ObserveCall("shopify", "1.2.0", "WriteStock", sdk.RateLimited(2*time.Second, "throttled"), time.Millisecond)
	m.ObserveCall("shopbox", "1.0.0", "ReadOrders", context.DeadlineExceeded, 30*time.Second)
	m.ObserveCall("shopbox", "1.0.0", "Check", fmt.Errorf("check: %w", sdk.Errorf(sdk.ClassUnauthenticated, "login refused")), time.Millisecond)

	got := scrape(t, m)
	want(t, got, `shopbridge_connector_calls_total{connector="shopify",method="WriteStock",outcome="ok",version="1.2.0"}`, 2)
	want(t, got, `shopbridge_connector_calls_total{connector="shopify",method="WriteStock",outcome="rate_limited",version="1.2.0"}`, 1)
	want(t, got, `shopbridge_connector_calls_total{connector="shopbox",method="ReadOrders",outcome="timeout",version="1.0.0"}`, 1)
	want(t, got, `shopbridge_connector_calls_total{connector="shopbox",method="Check",outcome="unauthenticated",version="1.0.0"}`, 1)
	want(t, got, `shopbridge_connector_call_duration_seconds_count{connector="shopify",method="WriteStock"}`, 3)
}

func TestQuarantinePerLinkIsReadAtScrapeTime(t *testing.T) {
	m := New()
	var mu sync.Mutex
	counts := map[string]int{"webshop": 2, "pos": 0}
	var fail error
	m.SetQuarantineFunc(func(ctx context.Context) (map[string]int, error) {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("quarantine callback got a context without a deadline")
		}
		mu.Lock()
		defer mu.Unlock()
		return counts, fail
	})
	got := scrape(t, m)
	want(t, got, `shopbridge_quarantine_items{link="webshop"}`, 2)
	want(t, got, `shopbridge_quarantine_items{link="pos"}`, 0)

	// The operator drops both items: the link stays, at zero.
	mu.Lock()
	counts = map[string]int{}
	mu.Unlock()
	got = scrape(t, m)
	want(t, got, `shopbridge_quarantine_items{link="webshop"}`, 0)

	mu.Lock()
	fail = errors.New("database is locked")
	mu.Unlock()
	got = scrape(t, m)
	absent(t, got, "shopbridge_quarantine_items{")
	want(t, got, `shopbridge_scrape_errors_total{what="quarantine"}`, 1)

	mu.Lock()
	fail = nil
	mu.Unlock()
	m.ForgetLink("pos")
	got = scrape(t, m)
	absent(t, got, `shopbridge_quarantine_items{link="pos"}`)
	want(t, got, `shopbridge_quarantine_items{link="webshop"}`, 0)
}

func TestConnectorRestartsAndUpComeFromTheProcessList(t *testing.T) {
	m := New()
	procs := []Connector{
		{Name: "shopify", Version: "1.2.0", Running: true, Restarts: 3},
		{Name: "shopbox", Version: "1.0.0", Running: false, Restarts: 0},
	}
	m.SetConnectorsFunc(func() []Connector { return procs })

	got := scrape(t, m)
	want(t, got, `shopbridge_connector_restarts_total{connector="shopify",version="1.2.0"}`, 3)
	want(t, got, `shopbridge_connector_up{connector="shopify",version="1.2.0"}`, 1)
	want(t, got, `shopbridge_connector_restarts_total{connector="shopbox",version="1.0.0"}`, 0)
	want(t, got, `shopbridge_connector_up{connector="shopbox",version="1.0.0"}`, 0)
}

func TestRateLimitsAreReadAtScrapeTime(t *testing.T) {
	m := New()
	var mu sync.Mutex
	limits := []RateLimit{
		{Link: "webshop", Connector: "shopify", Unit: "points", Available: 1450, Capacity: 2000, RestorePerSecond: 100},
		{Link: "pos", Connector: "shopbox", Unit: "requests", Capacity: 0}, // not known yet
	}
	m.SetRateLimitFunc(func(ctx context.Context) []RateLimit {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("rate-limit callback got a context without a deadline")
		}
		mu.Lock()
		defer mu.Unlock()
		return limits
	})
	got := scrape(t, m)
	want(t, got, `shopbridge_channel_rate_limit_available{connector="shopify",link="webshop",unit="points"}`, 1450)
	want(t, got, `shopbridge_channel_rate_limit_capacity{connector="shopify",link="webshop",unit="points"}`, 2000)
	want(t, got, `shopbridge_channel_rate_limit_restore_per_second{connector="shopify",link="webshop",unit="points"}`, 100)
	absent(t, got, `shopbridge_channel_rate_limit_available{connector="shopbox"`)

	// The link is closed: its series go with it.
	mu.Lock()
	limits = nil
	mu.Unlock()
	absent(t, scrape(t, m), "shopbridge_channel_rate_limit_available{")
}

func TestWebhooks(t *testing.T) {
	m := New()
	m.ObserveWebhook("webshop", http.StatusOK)
	m.ObserveWebhook("webshop", http.StatusOK)
	m.ObserveWebhook("webshop", http.StatusUnauthorized)
	m.ObserveWebhook("rackbeat", http.StatusServiceUnavailable)
	m.SignatureFailure("webshop")

	got := scrape(t, m)
	want(t, got, `shopbridge_webhooks_received_total{source="webshop",status="200"}`, 2)
	want(t, got, `shopbridge_webhooks_received_total{source="webshop",status="401"}`, 1)
	want(t, got, `shopbridge_webhooks_received_total{source="rackbeat",status="503"}`, 1)
	want(t, got, `shopbridge_webhook_signature_failures_total{source="webshop"}`, 1)
}

func TestRuntimeMetricsAreServed(t *testing.T) {
	got := scrape(t, New())
	if _, ok := got["go_goroutines"]; !ok {
		t.Error("go_goroutines missing: the Go collector is not registered")
	}
}

func TestNilMetricsIgnoreCalls(t *testing.T) {
	var m *Metrics
	m.ItemsSynced("l", "f", "o", 1)
	m.Error("l", "f", errors.New("x"))
	m.ObserveJob("k", time.Second)
	m.RunSucceeded("l", "f", time.Now())
	m.ObserveCall("c", "v", "m", nil, time.Second)
	m.SetRateLimitFunc(nil)
	m.ObserveWebhook("s", 200)
	m.SignatureFailure("s")
	m.SetQueueDepthFunc(nil)
	m.SetConnectorsFunc(nil)
	m.ForgetLink("l")
}

func TestConcurrentUseIsSafe(t *testing.T) {
	m := New()
	m.SetQueueDepthFunc(func(context.Context) (map[string]int, error) { return map[string]int{"stock.push": 1}, nil })
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				link := fmt.Sprintf("link%d", i)
				m.ItemsSynced(link, "stock", "updated", 1)
				m.RunSucceeded(link, "stock", time.Now())
				m.ObserveCall("shopify", "1.2.0", "WriteStock", nil, time.Duration(j)*time.Millisecond)
			}
		}()
	}
	for range 5 {
		scrape(t, m)
	}
	wg.Wait()
	got := scrape(t, m)
	want(t, got, `shopbridge_items_synced_total{flow="stock",link="link7",outcome="updated"}`, 200)
	want(t, got, `shopbridge_connector_calls_total{connector="shopify",method="WriteStock",outcome="ok",version="1.2.0"}`, 1600)
}

// refusingSink refuses every delivery as a forged one.
type refusingSink struct{}

func (refusingSink) ChannelWebhook(context.Context, string, http.Header, []byte) error {
	return sdk.Errorf(sdk.ClassUnauthenticated, "bad signature")
}

func (refusingSink) RackbeatWebhook(context.Context, http.Header, []byte) error { return nil }

// The host wires the metrics into its port as /metrics and as the webhook
// observer; deliveries show up in the scrape with the status they got.
func TestMountsOnTheHostsServer(t *testing.T) {
	m := New()
	srv := server.New(server.Options{
		Sink:    refusingSink{},
		Routes:  map[string]http.Handler{"GET /metrics": m.Handler()},
		Observe: m.ObserveWebhook,
	})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	for _, path := range []string{"/hooks/webshop", "/hooks/rackbeat"} {
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`shopbridge_webhooks_received_total{source="link:webshop",status="401"} 1`,
		`shopbridge_webhooks_received_total{source="rackbeat",status="200"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("scrape lacks %s", want)
		}
	}
}
