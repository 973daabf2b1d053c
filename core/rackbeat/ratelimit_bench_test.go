package rackbeat_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/rackbeat"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
)

// BenchmarkFullCatalogueRead reads a whole 10,000-product catalogue at the
// client's default limit (480 requests/min), in real time, and reports
// rows/s next to the bound that limit allows (8 requests/s × 100 rows =
// 800 rows/s). The client paces with golang.org/x/time/rate on the wall
// clock, so the run takes its real 12.5 s; a 100,000-product catalogue
// would take 125 s at the same rate. The naive sub-benchmark fetches 40
// products one request each, as a connector that reads by SKU would, for
// the ratio of the two approaches. One run per sub-benchmark whatever b.N.
//
//	go test -run '^$' -bench FullCatalogueRead -benchtime 1x ./core/rackbeat/
func BenchmarkFullCatalogueRead(b *testing.B) {
	const products = 10_000
	cat := catalogOf(products)
	e := newEnv(b, rbsandbox.Options{Catalog: cat, Seed: 1, RequestsPerMinute: rackbeat.DefaultRequestsPerMinute})
	c, err := rackbeat.New(e.base, e.token)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// One read first, so every timed request pays the limiter's steady
	// pace rather than the free first token.
	if _, err := c.ProductsPage(ctx, 1, 1, rackbeat.Filter{}); err != nil {
		b.Fatal(err)
	}
	bound := float64(rackbeat.DefaultRequestsPerMinute) / 60 * rackbeat.DefaultLimit
	report := func(b *testing.B, rows int, el time.Duration, bound float64) {
		b.ReportMetric(float64(rows)/el.Seconds(), "rows/s")
		b.ReportMetric(bound, "bound_rows/s")
		b.ReportMetric(float64(rows)/el.Seconds()/bound, "ratio")
		b.ReportMetric(el.Seconds(), "wall_s")
	}
	b.Run("paged", func(b *testing.B) {
		rows := 0
		start := time.Now()
		for _, err := range c.Products(ctx, rackbeat.Filter{}) {
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		el := time.Since(start)
		if rows != products {
			b.Fatalf("read %d rows, want %d", rows, products)
		}
		report(b, rows, el, bound)
	})
	b.Run("naive-per-sku", func(b *testing.B) {
		const n = 40
		start := time.Now()
		for i := range n {
			if _, err := c.Product(ctx, cat.Products[i].Number); err != nil {
				b.Fatal(err)
			}
		}
		// Compared with the paged bound: how far below it one request
		// per SKU stays.
		report(b, n, time.Since(start), bound)
	})
}
