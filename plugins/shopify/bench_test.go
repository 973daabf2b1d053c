package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
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

// BenchmarkBulkResultMemory measures what the connector keeps in memory of
// a bulk export of 20,000 products with three variants each: the on-disk
// result's index (what a read holds now) next to the same result decoded
// whole (what it held before the result went to disk).
func BenchmarkBulkResultMemory(b *testing.B) {
	const products = 20000
	var sb strings.Builder
	desc := strings.Repeat("Handgjord i Småland av lokal lera. ", 10)
	for i := range products {
		fmt.Fprintf(&sb, `{"id":"gid://shopify/Product/%d","title":"Vara %d","descriptionHtml":%q,"productType":"Keramik","vendor":"Lera AB","status":"ACTIVE","updatedAt":"2026-11-01T10:00:00Z"}`+"\n", i, i, desc)
		for v := range 3 {
			fmt.Fprintf(&sb, `{"id":"gid://shopify/ProductVariant/%d%d","sku":"P-%06d-%d","title":"Storlek %d","barcode":"73100000%05d","price":"249.00","updatedAt":"2026-11-01T10:00:00Z","selectedOptions":[{"name":"Storlek","value":"%d"}],"__parentId":"gid://shopify/Product/%d"}`+"\n", i, v, i, v, v, i, v, i)
		}
	}
	jsonl := sb.String()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	var indexed, decoded float64
	for b.Loop() {
		before := heap()
		res, err := indexBulk(b, jsonl)
		if err != nil {
			b.Fatal(err)
		}
		indexed = float64(heap()-before) / products
		all := make([]gqlProduct, res.Len())
		for i := range all {
			if all[i], err = res.Product(i); err != nil {
				b.Fatal(err)
			}
		}
		decoded = float64(heap()-before)/products - indexed
		runtime.KeepAlive(all)
		res.Close()
	}
	b.ReportMetric(indexed, "index-B/product")
	b.ReportMetric(decoded, "decoded-B/product")
}
