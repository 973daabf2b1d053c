package rackbeat_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/rackbeat"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
)

// BenchmarkCatalogueRead reads a 2,000-product catalogue at the default
// client limit (480 requests/min) and reports rows/s next to the bound that
// limit allows: requests/s × page size = 8 × 100 = 800 rows/s.
//
//	go test -run XXX -bench CatalogueRead -benchtime 3x ./core/rackbeat/
func BenchmarkCatalogueRead(b *testing.B) {
	const products = 2000
	e := newEnv(b, rbsandbox.Options{Catalog: catalogOf(products), Seed: 1, RequestsPerMinute: rackbeat.DefaultRequestsPerMinute})
	c, err := rackbeat.New(e.base, e.token)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// One read first, so every timed request pays the limiter's steady pace
	// rather than the free first token.
	if _, err := c.ProductsPage(ctx, 1, 1, rackbeat.Filter{}); err != nil {
		b.Fatal(err)
	}
	rows := 0
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for _, err := range c.Products(ctx, rackbeat.Filter{}) {
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
	}
	el := time.Since(start).Seconds()
	b.StopTimer()
	if rows != products*b.N {
		b.Fatalf("read %d rows, want %d", rows, products*b.N)
	}
	bound := float64(rackbeat.DefaultRequestsPerMinute) / 60 * rackbeat.DefaultLimit
	b.ReportMetric(float64(rows)/el, "rows/s")
	b.ReportMetric(bound, "bound-rows/s")
	b.ReportMetric(float64(rows)/el/bound, "ratio")
}
