package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	sandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

// BenchmarkStockPush pushes 250-row stock batches to the sandbox on the
// standard plan in real time, starting from a drained bucket, and reports
// rows/s next to the bound of the cost model: the restore rate spent
// entirely on 250-row writes of 10 points (100/10×250 = 2,500 rows/s).
func BenchmarkStockPush(b *testing.B) {
	sb := sandbox.New(sandbox.Options{
		Catalog:      catalog.Generate(catalog.Config{Products: 300, Locations: 1, Seed: 9}),
		AccessTokens: []string{testToken},
		Plan:         "standard",
		Seed:         9,
	})
	srv := httptest.NewServer(sb)
	defer func() { srv.Close(); sb.Close() }()
	e := &env{sb: sb, srv: srv}
	settings, _ := json.Marshal(map[string]any{"shop": sb.Shop(), "access_token": testToken, "base_url": srv.URL})
	l, err := New().OpenLink(context.Background(), sdk.OpenRequest{LinkID: "bench", Settings: settings})
	if err != nil {
		b.Fatal(err)
	}
	lk := l.(*link)
	var levels []sdk.StockLevel
	_ = lk.ReadStock(context.Background(), sdk.StockReadRequest{}, func(p sdk.StockPage) error {
		levels = append(levels, p.Items...)
		if len(levels) >= StockBatch {
			return errEnough
		}
		return nil
	})
	if len(levels) < StockBatch {
		b.Fatalf("only %d levels", len(levels))
	}
	e.drain(b)
	// The bucket refills while draining ends; start from what is left.
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		req := sdk.StockWriteRequest{IdempotencyKey: fmt.Sprint("bench-", i)}
		for j, lv := range levels[:StockBatch] {
			req.Rows = append(req.Rows, sdk.StockWrite{Key: fmt.Sprint(j), Level: sdk.StockLevel{InventoryItemID: lv.InventoryItemID, LocationID: lv.LocationID, Quantity: int64((i + j) % 100)}})
		}
		res, err := lk.WriteStock(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		if res[0].Err != nil {
			b.Fatal(res[0].Err)
		}
	}
	el := time.Since(start).Seconds()
	b.StopTimer()
	rows := float64(b.N * StockBatch)
	_, _, rate := sb.ThrottleStatus()
	bound := rate / InventorySetCost * StockBatch
	b.ReportMetric(rows/el, "rows/s")
	b.ReportMetric(bound, "bound_rows/s")
	b.ReportMetric(rows/el/bound, "ratio")
	b.ReportMetric(float64(sb.ThrottledCount()), "throttled")
}
