package shopbox_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	sandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	"github.com/shopbridge/shopbridge/sdk"
)

// requestCounter counts the API requests the sandbox serves, reads and
// writes apart: under Shopbox's rate limit every one of them costs.
type requestCounter struct{ reads, writes atomic.Int64 }

func (c *requestCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/api/v3/") {
			if r.Method == http.MethodGet {
				c.reads.Add(1)
			} else {
				c.writes.Add(1)
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (c *requestCounter) reset() { c.reads.Store(0); c.writes.Store(0) }

// stockWriteCost writes rows changed stock levels (one unit of each of the
// first rows products, at the first branch) to a sandbox holding products
// products with 1–3 variants at 2 branches, and says how many requests the
// WriteStock took. It fails the test when a row was not written.
func stockWriteCost(tb testing.TB, products, rows int) (reads, writes int64) {
	tb.Helper()
	cat := catalog.Generate(catalog.Config{Products: products, MinVariants: 1, MaxVariants: 3, Locations: 2, Seed: 7})
	var n requestCounter
	e := startSandbox(tb, sandbox.Options{Catalog: cat}, n.wrap)
	l := e.open(tb, nil)
	ctx := context.Background()
	// The branch list is read once per link, not per write: load it first.
	if _, err := l.ListLocations(ctx); err != nil {
		tb.Fatal(err)
	}
	branch := e.sb.Branches()[0].UID
	loc := strconv.Itoa(branch)
	var batch []sdk.StockWrite
	want := map[string]int{}
	for i := range rows {
		sku := unitSKU(e.sb, i)
		q := e.sb.Stock(sku, branch) + 1 + i
		want[sku] = q
		batch = append(batch, sdk.StockWrite{Key: sku, Level: sdk.StockLevel{SKU: sku, LocationID: loc, Quantity: int64(q)}})
	}
	n.reset()
	res, err := l.WriteStock(ctx, sdk.StockWriteRequest{IdempotencyKey: "cost", Rows: batch})
	if err != nil {
		tb.Fatalf("WriteStock of %d rows: %v", rows, err)
	}
	reads, writes = n.reads.Load(), n.writes.Load()
	for i, r := range res {
		if r.Err != nil {
			tb.Fatalf("row %s: %v", batch[i].Key, r.Err)
		}
	}
	for sku, q := range want {
		if got := e.sb.Stock(sku, branch); got != q {
			tb.Fatalf("after WriteStock %s holds %d at branch %d, want %d", sku, got, branch, q)
		}
	}
	return reads, writes
}

// A stock push of a few rows costs the same few requests whatever the size
// of the catalogue: the demo's pushes had waited minutes behind whole-branch
// reads under the rate limit.
func TestWriteStockRequestsDoNotGrowWithCatalogue(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a catalogue of 1,000 products")
	}
	for _, rows := range []int{5, 20} {
		smallR, smallW := stockWriteCost(t, 100, rows)
		bigR, bigW := stockWriteCost(t, 1000, rows)
		t.Logf("WriteStock of %d rows: %d reads + %d writes with 100 products, %d + %d with 1,000", rows, smallR, smallW, bigR, bigW)
		if smallR+smallW != bigR+bigW {
			t.Errorf("WriteStock of %d rows took %d requests with 100 products and %d with 1,000; want the same", rows, smallR+smallW, bigR+bigW)
		}
		// One read per row finds its unit and its current quantity; one
		// write sets it.
		if bigR > int64(rows) || bigW != int64(rows) {
			t.Errorf("WriteStock of %d changed rows took %d reads and %d writes; want at most %d of each", rows, bigR, bigW, rows)
		}
	}
	// Past a few rows a small branch is read whole when that is cheaper,
	// but no catalogue makes a batch read more than its rows and one look.
	const rows = 30
	for _, products := range []int{100, 1000} {
		reads, writes := stockWriteCost(t, products, rows)
		t.Logf("WriteStock of %d rows: %d reads + %d writes with %d products", rows, reads, writes, products)
		if reads > rows+1 || writes != rows {
			t.Errorf("WriteStock of %d changed rows with %d products took %d reads and %d writes; want at most %d reads and %d writes", rows, products, reads, writes, rows+1, rows)
		}
	}
}

// A batch larger than the branch's inventory has pages reads the branch
// page by page instead of row by row: never more reads than rows + 1, nor
// than the branch's pages + 1.
func TestWriteStockBigBatchReadsAtMostTheBranch(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a catalogue of 1,000 products")
	}
	const products, rows = 1000, 250
	cat := catalog.Generate(catalog.Config{Products: products, MinVariants: 1, MaxVariants: 3, Locations: 2, Seed: 7})
	units := 0
	for _, p := range cat.Products {
		units += len(p.Variants)
	}
	pages := int64((units + 99) / 100) // every unit has a row at every branch
	reads, writes := stockWriteCost(t, products, rows)
	t.Logf("WriteStock of %d rows, %d units a branch (%d pages): %d reads + %d writes", rows, units, pages, reads, writes)
	if reads > pages+1 {
		t.Errorf("WriteStock of %d rows took %d reads; the branch is %d pages", rows, reads, pages)
	}
	if writes != rows {
		t.Errorf("WriteStock of %d changed rows took %d writes", rows, writes)
	}
}

// BenchmarkWriteStockRequests reports the requests one WriteStock takes
// (reads/op, writes/op) for batches of 5 and 250 changed rows against
// catalogues of 1,000 and 3,000 products. The sandbox is seeded once per
// sub-benchmark; b.N only repeats the measurement.
func BenchmarkWriteStockRequests(b *testing.B) {
	for _, products := range []int{1000, 3000} {
		for _, rows := range []int{5, 250} {
			b.Run(fmt.Sprintf("products=%d/rows=%d", products, rows), func(b *testing.B) {
				var reads, writes int64
				for b.Loop() {
					reads, writes = stockWriteCost(b, products, rows)
				}
				b.ReportMetric(float64(reads), "reads/op")
				b.ReportMetric(float64(writes), "writes/op")
			})
		}
	}
}
