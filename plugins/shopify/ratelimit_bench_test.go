package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	sandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

// BenchmarkRateLimit measures how much of the standard plan's cost budget
// the connector turns into rows, on a 100,000-SKU shop (50,000 products ×
// 2 variants, one location):
//
//   - read-stock: the whole catalogue's stock levels read back, paged;
//   - read-products: a 5,000-product (10,000-SKU) catalogue read back,
//     paged: the sandbox's paging costs it O(catalogue) per page, so the
//     100,000-SKU read takes minutes of CPU; the host asks for a bulk
//     export above bulk_threshold, which this read (AllowBulk false)
//     leaves out on purpose: it measures the paced, paged read;
//   - push-100k: stock for all 100,000 SKUs pushed from a bucket another app
//     has just drained, in 250-row inventorySetQuantities calls;
//   - naive-per-sku: the same push for 500 SKUs, one call per SKU.
//
// The connector and the sandbox share a fake clock: waiting for the bucket
// advances it instead of sleeping, so a run that would take about a minute
// of waiting takes only the CPU time of the requests. The rates are rows per
// second of that shared clock, which is the clock the sandbox refills its
// bucket by; the bucket model is the same one the real-time benchmarks
// (BenchmarkStockPush here, BenchmarkShopifyPushRealTime in core/plugin)
// run against. Each sub-benchmark does one run whatever b.N is.
//
//	go test -run '^$' -bench RateLimit -benchtime 1x ./plugins/shopify/
func BenchmarkRateLimit(b *testing.B) {
	const products, variants = 50_000, 2
	clock := newFakeClock()
	sb := sandbox.New(sandbox.Options{
		Catalog:      catalog.Generate(catalog.Config{Products: products, MinVariants: variants, MaxVariants: variants, Locations: 1, Seed: 11}),
		AccessTokens: []string{testToken}, Plan: "standard", Seed: 11, Now: clock.Now,
	})
	meter := &costMeter{h: sb, now: clock.Now}
	srv := httptest.NewServer(meter)
	b.Cleanup(func() { srv.Close(); sb.Close() })
	e := &env{sb: sb, srv: srv, clock: clock}
	open := func(id string) *link {
		settings, _ := json.Marshal(map[string]any{"shop": sb.Shop(), "access_token": testToken, "base_url": srv.URL})
		l, err := New(WithClock(clock)).OpenLink(context.Background(), sdk.OpenRequest{LinkID: id, Settings: settings})
		if err != nil {
			b.Fatal(err)
		}
		return l.(*link)
	}
	_, _, rate := sb.ThrottleStatus()
	ctx := context.Background()

	var th0 int64 // THROTTLED answers before the phase
	// report adds the figures of one phase: rows per second of sandbox
	// time, the bound the points actually spent allow (restore rate ×
	// rows ÷ points), and their ratio.
	report := func(b *testing.B, rows int, el time.Duration, points float64, wall time.Duration, bound float64) {
		perSec := float64(rows) / el.Seconds()
		if bound == 0 {
			bound = rate * float64(rows) / points
		}
		b.ReportMetric(perSec, "rows/s")
		b.ReportMetric(bound, "bound_rows/s")
		b.ReportMetric(perSec/bound, "ratio")
		b.ReportMetric(el.Seconds(), "sandbox_s")
		b.ReportMetric(wall.Seconds(), "wall_s")
		b.ReportMetric(float64(sb.ThrottledCount()-th0), "throttled")
		b.ReportMetric(float64(meter.throttled()), "throttled_after_1s")
		b.ReportMetric(points/float64(rows), "points/row")
	}
	var levels []sdk.StockLevel
	phase := func(b *testing.B, fn func() (rows int, bound float64)) {
		e.drain(b)
		th0 = sb.ThrottledCount()
		meter.reset()
		t0, w0 := clock.Now(), time.Now()
		rows, bound := fn()
		report(b, rows, clock.Now().Sub(t0), meter.points(), time.Since(w0), bound)
	}
	b.Run("read-stock", func(b *testing.B) {
		phase(b, func() (int, float64) {
			levels = levels[:0]
			if err := open("read-stock").ReadStock(ctx, sdk.StockReadRequest{}, func(p sdk.StockPage) error {
				levels = append(levels, p.Items...)
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			if len(levels) != products*variants {
				b.Fatalf("read %d levels, want %d", len(levels), products*variants)
			}
			return len(levels), 0
		})
	})
	b.Run("read-products", func(b *testing.B) { benchReadProducts(b, 5_000, variants) })
	if len(levels) == 0 {
		b.Skip("push needs the levels read by read-stock")
	}
	push := func(b *testing.B, rows []sdk.StockLevel, perCall int) {
		l := open(fmt.Sprintf("push-%d", perCall))
		phase(b, func() (int, float64) {
			for start := 0; start < len(rows); start += perCall {
				req := sdk.StockWriteRequest{IdempotencyKey: fmt.Sprintf("bench-%d-%d", perCall, start)}
				for i, lv := range rows[start:min(len(rows), start+perCall)] {
					req.Rows = append(req.Rows, sdk.StockWrite{Key: fmt.Sprint(start + i), Level: sdk.StockLevel{InventoryItemID: lv.InventoryItemID, LocationID: lv.LocationID, Quantity: lv.Quantity + 3}})
				}
				res, err := l.WriteStock(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range res {
					if r.Err != nil {
						b.Fatalf("row %s: %v", r.Key, r.Err)
					}
				}
			}
			// The cost model's bound for batched writes: every point of
			// the restore rate spent on full 250-row calls.
			return len(rows), rate / InventorySetCost * StockBatch
		})
		b.ReportMetric(float64(l.gql.Throttled()), "client_throttled")
	}
	b.Run("push-100k", func(b *testing.B) { push(b, levels, len(levels)) })
	b.Run("naive-per-sku", func(b *testing.B) { push(b, levels[:500], 1) })
}

// benchReadProducts reads a catalogue of n products back, paged, on a shop
// of its own.
func benchReadProducts(b *testing.B, n, variants int) {
	clock := newFakeClock()
	sb := sandbox.New(sandbox.Options{
		Catalog:      catalog.Generate(catalog.Config{Products: n, MinVariants: variants, MaxVariants: variants, Locations: 1, Seed: 12}),
		AccessTokens: []string{testToken}, Plan: "standard", Seed: 12, Now: clock.Now,
	})
	meter := &costMeter{h: sb}
	srv := httptest.NewServer(meter)
	defer func() { srv.Close(); sb.Close() }()
	e := &env{sb: sb, srv: srv, clock: clock}
	settings, _ := json.Marshal(map[string]any{"shop": sb.Shop(), "access_token": testToken, "base_url": srv.URL})
	l, err := New(WithClock(clock)).OpenLink(context.Background(), sdk.OpenRequest{LinkID: "read-products", Settings: settings})
	if err != nil {
		b.Fatal(err)
	}
	_, _, rate := sb.ThrottleStatus()
	e.drain(b)
	meter.reset()
	t0, w0 := clock.Now(), time.Now()
	rows := 0
	if err := l.(*link).ReadProducts(context.Background(), sdk.ReadRequest{}, func(p sdk.ProductPage) error {
		for _, pr := range p.Items {
			rows += len(pr.Variants)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if rows != n*variants {
		b.Fatalf("read %d variants, want %d", rows, n*variants)
	}
	el := clock.Now().Sub(t0)
	perSec, bound := float64(rows)/el.Seconds(), rate*float64(rows)/meter.points()
	b.ReportMetric(perSec, "rows/s")
	b.ReportMetric(bound, "bound_rows/s")
	b.ReportMetric(perSec/bound, "ratio")
	b.ReportMetric(meter.points()/float64(rows), "points/row")
	b.ReportMetric(el.Seconds(), "sandbox_s")
	b.ReportMetric(time.Since(w0).Seconds(), "wall_s")
	b.ReportMetric(float64(sb.ThrottledCount()), "throttled")
}

// costMeter sums the actualQueryCost of every answer: the points the
// connector really spent.
type costMeter struct {
	h     http.Handler
	now   func() time.Time // the sandbox's clock, to date THROTTLED answers
	mu    sync.Mutex
	spent float64
	since time.Time     // start of the phase
	late  int           // THROTTLED answers more than a second into the phase
	first time.Duration // when the first THROTTLED answer came, -1 for none
}

func (m *costMeter) reset() {
	m.mu.Lock()
	m.spent, m.late, m.first = 0, 0, -1
	if m.now != nil {
		m.since = m.now()
	}
	m.mu.Unlock()
}

// throttled reports THROTTLED answers after the first second of the phase.
func (m *costMeter) throttled() int { m.mu.Lock(); defer m.mu.Unlock(); return m.late }

func (m *costMeter) points() float64 { m.mu.Lock(); defer m.mu.Unlock(); return m.spent }

func (m *costMeter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &teeWriter{ResponseWriter: w}
	m.h.ServeHTTP(rec, r)
	var body struct {
		Extensions struct {
			Cost struct {
				Actual *float64 `json:"actualQueryCost"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	if json.Unmarshal(rec.buf.Bytes(), &body) == nil && body.Extensions.Cost.Actual != nil {
		m.mu.Lock()
		m.spent += *body.Extensions.Cost.Actual
		m.mu.Unlock()
	}
	if m.now != nil && bytes.Contains(rec.buf.Bytes(), []byte(`"THROTTLED"`)) {
		m.mu.Lock()
		at := m.now().Sub(m.since)
		if m.first < 0 {
			m.first = at
		}
		if at > time.Second {
			m.late++
		}
		m.mu.Unlock()
	}
}

type teeWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (t *teeWriter) Write(p []byte) (int, error) {
	t.buf.Write(p)
	return t.ResponseWriter.Write(p)
}
