package host_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/host"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
	spsandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
)

// BenchmarkLatency measures, through the running host (real connector
// binaries, webhooks, the SQLite store and the scheduler at their default
// settings), the time from an event to its effect, for events arriving at
// 100 a second:
//
//   - orders: a paid Shopify order placed → the order created in Rackbeat;
//   - stock: a Rackbeat stock move (inventory.changed) → the Shopify level
//     updated.
//
// "Without throttling": the Rackbeat sandbox and the host's Rackbeat client
// have their 480/min limit lifted and the Shopify shop is on the enterprise
// plan (2,000 points/s), so the figures are the host's, not the channels'
// rate limits. Effects are seen by polling the sandboxes every 5 ms, which
// bounds the resolution; an effect not seen 20 s after the last event
// counts as lost. One run per sub-benchmark whatever b.N.
//
//	go test -run '^$' -bench Latency -benchtime 1x ./core/host/
func BenchmarkLatency(b *testing.B) {
	const events, perSecond = 300, 100
	b.Run("orders", func(b *testing.B) {
		w := newLatWorld(b, 3*events)
		w.start(b, (&world{urls: w.urls}).shopifyLink("orders", orders(), "", ""))
		// Orders take SKUs the shop has in stock: it refuses to oversell.
		var skus []string
		for _, p := range w.cat.Products {
			if v := p.Variants[0]; v.Stock[w.cat.Locations[0].Number] >= 5 {
				skus = append(skus, v.SKU)
			}
		}
		if len(skus) == 0 {
			b.Fatal("no SKU in stock in the generated catalogue")
		}
		placed := make([]time.Time, events)
		ids := make([]string, events)
		seen := w.watch(events, func(done []time.Time) {
			byRef := map[string]bool{}
			for _, o := range w.rb.Orders() {
				byRef[o.OtherReference] = true
			}
			for i, id := range ids {
				if id != "" && done[i].IsZero() && byRef["shopbridge:orders:"+id] {
					done[i] = time.Now()
				}
			}
		})
		w.pace(events, perSecond, func(i int) {
			w.mu.Lock()
			defer w.mu.Unlock()
			placed[i] = time.Now()
			id, err := w.shopify.PlaceOrder(spsandbox.OrderInput{Email: fmt.Sprintf("k%d@example.se", i%20), FirstName: "Karin", LastName: "Kund",
				FinancialStatus: "paid", Lines: []spsandbox.OrderLine{{SKU: skus[i%len(skus)], Quantity: 1}}, Location: w.cat.Locations[0].Name})
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = id
		})
		w.report(b, placed, seen())
	})
	b.Run("stock", func(b *testing.B) {
		w := newLatWorld(b, events+10)
		w.start(b, (&world{urls: w.urls}).shopifyLink("stock", orders("enabled", "false"), "", "enabled: true, quantity: available, locations: all"))
		main := w.cat.Locations[0].Name
		level := func(i int) int {
			q, _ := w.shopify.Level(w.cat.Products[i].Variants[0].SKU, main)
			return q.Available
		}
		want := func(i int) int {
			n := 0
			for _, v := range w.rb.Available(w.cat.Products[i].Variants[0].SKU) {
				n += v
			}
			return n
		}
		// The reconciliation at start brings the shop to Rackbeat's numbers
		// first, so that only the moves are measured.
		deadline := time.Now().Add(2 * time.Minute)
		for i := 0; i < events; i++ {
			for level(i) != want(i) {
				if time.Now().After(deadline) {
					b.Fatalf("the start-up reconciliation did not bring SKU %d to Rackbeat's level", i)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		moved := make([]time.Time, events)
		target := make([]int, events)
		seen := w.watch(events, func(done []time.Time) {
			for i := range done {
				if !moved[i].IsZero() && done[i].IsZero() && level(i) == target[i] {
					done[i] = time.Now()
				}
			}
		})
		w.pace(events, perSecond, func(i int) {
			w.mu.Lock()
			defer w.mu.Unlock()
			target[i] = want(i) + 7
			moved[i] = time.Now()
			if err := w.rb.MoveStock(w.cat.Products[i].Variants[0].SKU, w.cat.Locations[1].Number, 7); err != nil {
				b.Fatal(err)
			}
		})
		arrived := seen()
		for i := range arrived {
			if arrived[i].IsZero() {
				b.Logf("SKU %s: Rackbeat available %d, wanted %d in Shopify, Shopify shows %d", w.cat.Products[i].Variants[0].SKU, want(i), target[i], level(i))
			}
		}
		w.report(b, moved, arrived)
	})
}

// latWorld is the sandboxes and host of one latency run.
type latWorld struct {
	cat     *catalog.Catalog
	rb      *rbsandbox.Server
	shopify *spsandbox.Server
	urls    map[string]string
	mu      sync.Mutex // orders events and the watcher's view of them
}

func newLatWorld(b *testing.B, products int) *latWorld {
	w := &latWorld{cat: catalog.Generate(catalog.Config{Products: products, Locations: 2, Seed: 5}), urls: map[string]string{}}
	w.rb = rbsandbox.New(rbsandbox.Options{Catalog: w.cat, Tokens: []string{rbToken}, RequestsPerMinute: -1, Prerequisites: true, Seed: 5})
	w.shopify = spsandbox.New(spsandbox.Options{Catalog: w.cat, AccessTokens: []string{shopifyToken}, ClientSecret: shopifySec, Plan: "enterprise", Seed: 5})
	for name, h := range map[string]http.Handler{"rackbeat": w.rb, "shopify": w.shopify} {
		srv := httptest.NewServer(h)
		b.Cleanup(srv.Close)
		w.urls[name] = srv.URL
	}
	b.Cleanup(func() { w.rb.Close(); w.shopify.Close() })
	return w
}

// start runs the host with the given links and default scheduler settings
// until the benchmark ends.
func (w *latWorld) start(b *testing.B, links ...string) {
	ln := freeAddrTB(b)
	dir := b.TempDir()
	yaml := fmt.Sprintf(`
state: {driver: sqlite, path: %q}
server: {listen: %q, public_url: "http://%s"}
plugins: {dir: %q, lock: %q}
rackbeat: {url: %q, token: "${RACKBEAT_TOKEN}"}
log: {level: error}
links:%s`, filepath.Join(dir, "state.db"), ln, ln, pluginsDir, lockFile, w.urls["rackbeat"]+"/api", strings.Join(links, ""))
	env := map[string]string{"RACKBEAT_TOKEN": rbToken, "SHOPIFY_TOKEN": shopifyToken, "SHOPIFY_SECRET": shopifySec}
	cfg, err := config.Parse([]byte(yaml), config.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }))
	if err != nil {
		b.Fatalf("config: %v\n%s", err, yaml)
	}
	h, err := host.New(context.Background(), cfg, host.Options{
		Logger:          hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Error}),
		RackbeatOptions: []rackbeat.Option{rackbeat.WithRequestsPerMinute(6_000_000)},
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	deadline := time.Now().Add(time.Minute)
	for {
		res, err := http.Get("http://" + ln + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			b.Fatal("the host did not become ready within a minute")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddrTB(b *testing.B) string {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	return addr
}

// pace calls fire(i) for i in [0, n) at perSecond, on a fixed schedule so
// that a slow call does not slow the arrivals.
func (w *latWorld) pace(n, perSecond int, fire func(int)) {
	start := time.Now()
	every := time.Second / time.Duration(perSecond)
	for i := 0; i < n; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * every)))
		fire(i)
	}
}

// watch polls every 5 ms, letting look mark what has arrived, and returns
// a function that waits for all n, at most 20 s after it is called, and
// hands back the times of arrival; zero times never arrived.
func (w *latWorld) watch(n int, look func(done []time.Time)) func() []time.Time {
	done := make([]time.Time, n)
	var deadline time.Time // zero until the wait starts; guarded by w.mu
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			w.mu.Lock()
			look(done)
			all := true
			for _, t := range done {
				all = all && !t.IsZero()
			}
			over := !deadline.IsZero() && time.Now().After(deadline)
			w.mu.Unlock()
			if all || over {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() []time.Time {
		w.mu.Lock()
		deadline = time.Now().Add(20 * time.Second)
		w.mu.Unlock()
		<-finished
		return done
	}
}

func (w *latWorld) report(b *testing.B, from, to []time.Time) {
	var lat []time.Duration
	for i := range from {
		if !to[i].IsZero() && !from[i].IsZero() {
			lat = append(lat, to[i].Sub(from[i]))
		}
	}
	if len(lat) == 0 {
		b.Fatal("no event reached its effect")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Milliseconds()) }
	b.ReportMetric(q(0.50), "p50_ms")
	b.ReportMetric(q(0.99), "p99_ms")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max_ms")
	b.ReportMetric(float64(len(lat)), "arrived")
	b.ReportMetric(float64(len(from)-len(lat)), "lost")
	b.ReportMetric(float64(w.shopify.ThrottledCount()), "shopify_throttled")
}
