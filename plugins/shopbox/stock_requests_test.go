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

// A reconciliation asks for the stock of a hundred SKUs at a time: at a
// branch with fewer pages than that the branch is read page by page, and
// the levels are the same as those the SKUs' own queries give.
func TestReadStockOfManySKUsReadsAtMostTheBranch(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a catalogue of 1,000 products")
	}
	cat := catalog.Generate(catalog.Config{Products: 1000, MinVariants: 1, MaxVariants: 3, Locations: 2, Seed: 7})
	units := 0
	for _, p := range cat.Products {
		units += len(p.Variants)
	}
	pages := int64((units + 99) / 100)
	var n requestCounter
	e := startSandbox(t, sandbox.Options{Catalog: cat}, n.wrap)
	l := e.open(t, nil)
	ctx := context.Background()
	var skus, locs []string
	for i := range 100 {
		skus = append(skus, unitSKU(e.sb, i))
	}
	for _, b := range e.sb.Branches() {
		locs = append(locs, strconv.Itoa(b.UID))
	}
	read := func(skus []string) []sdk.StockLevel {
		t.Helper()
		var got []sdk.StockLevel
		err := l.ReadStock(ctx, sdk.StockReadRequest{ReadRequest: sdk.ReadRequest{SKUs: skus}, LocationIDs: locs}, func(p sdk.StockPage) error {
			got = append(got, p.Items...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if _, err := l.ListLocations(ctx); err != nil {
		t.Fatal(err)
	}
	n.reset()
	got := read(skus)
	reads := n.reads.Load()
	t.Logf("ReadStock of %d SKUs at %d branches of %d pages: %d reads", len(skus), len(locs), pages, reads)
	if max := int64(len(locs)) * pages; reads > max {
		t.Errorf("ReadStock of %d SKUs took %d reads; the %d branches hold %d pages", len(skus), reads, len(locs), max)
	}
	if len(got) != len(skus)*len(locs) {
		t.Fatalf("ReadStock of %d SKUs at %d branches gave %d levels", len(skus), len(locs), len(got))
	}
	for _, lv := range got {
		b, _ := strconv.Atoi(lv.LocationID)
		if want := e.sb.Stock(lv.SKU, b); lv.Quantity != int64(want) {
			t.Errorf("%s at %s reads %d, the sandbox holds %d", lv.SKU, lv.LocationID, lv.Quantity, want)
		}
	}
	// A few SKUs are asked for one by one.
	n.reset()
	if got := read(skus[:3]); len(got) != 3*len(locs) {
		t.Errorf("ReadStock of 3 SKUs gave %d levels", len(got))
	}
	if reads := n.reads.Load(); reads != int64(3*len(locs)) {
		t.Errorf("ReadStock of 3 SKUs at %d branches took %d reads, want %d", len(locs), reads, 3*len(locs))
	}
}

// Rows that name variances of one product by inventory item id share one
// read of that product's stock.
func TestWriteStockByInventoryItemIDReadsEachProductOnce(t *testing.T) {
	var n requestCounter
	e := startSandbox(t, sandbox.Options{}, n.wrap)
	l := e.open(t, nil)
	ctx := context.Background()
	if _, err := l.ListLocations(ctx); err != nil {
		t.Fatal(err)
	}
	var p sandbox.ProductWithVariances
	for _, c := range e.sb.Products() {
		if len(c.ProductVariances) >= 2 {
			p = c
			break
		}
	}
	if p.UID == 0 {
		t.Fatal("the test catalogue has no product with two variances")
	}
	branch := e.sb.Branches()[0].UID
	var rows []sdk.StockWrite
	for i, v := range p.ProductVariances {
		id := strconv.Itoa(p.UID) + "/" + strconv.Itoa(v.UID)
		q := int64(e.sb.Stock(v.SKUCode, branch) + 5 + i)
		rows = append(rows, sdk.StockWrite{Key: id, Level: sdk.StockLevel{InventoryItemID: id, LocationID: strconv.Itoa(branch), Quantity: q}})
	}
	n.reset()
	res, err := l.WriteStock(ctx, sdk.StockWriteRequest{IdempotencyKey: "ids", Rows: rows})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		v := p.ProductVariances[i]
		if r.Err != nil {
			t.Fatalf("row %s: %v", rows[i].Key, r.Err)
		}
		if got := e.sb.Stock(v.SKUCode, branch); int64(got) != rows[i].Level.Quantity || r.Previous != rows[i].Level.Quantity-5-int64(i) {
			t.Errorf("%s: stock %d, previous %d; want %d and %d", v.SKUCode, got, r.Previous, rows[i].Level.Quantity, rows[i].Level.Quantity-5-int64(i))
		}
	}
	if reads := n.reads.Load(); reads != 1 {
		t.Errorf("writing %d variances of one product took %d reads, want 1", len(rows), reads)
	}
}

// A SKU no inventory row of the branch carries (a unit Shopbox has not
// counted there yet) is found with the product lookup and written from 0.
func TestWriteStockOfAUnitWithoutARowAtTheBranch(t *testing.T) {
	var hidden atomic.Value
	hidden.Store("")
	hide := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/product-inventories") && r.Method == http.MethodGet && r.URL.Query().Get("sku_code") == hidden.Load().(string) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"data":[],"meta":{"pagination":{"total":0,"count":0,"per_page":100,"current_page":1,"total_pages":1,"links":{}}}}`)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	e := startSandbox(t, sandbox.Options{}, hide)
	l := e.open(t, nil)
	branch := e.sb.Branches()[0].UID
	sku := unitSKU(e.sb, 3)
	hidden.Store(sku)
	res, err := l.WriteStock(context.Background(), sdk.StockWriteRequest{IdempotencyKey: "norow", Rows: []sdk.StockWrite{
		{Key: "a", Level: sdk.StockLevel{SKU: sku, LocationID: strconv.Itoa(branch), Quantity: 77}},
		{Key: "b", Level: sdk.StockLevel{SKU: "NO-SUCH-SKU", LocationID: strconv.Itoa(branch), Quantity: 1}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].Previous != 0 || e.sb.Stock(sku, branch) != 77 {
		t.Errorf("row without an inventory row: %+v, stock %d; want written from 0 to 77", res[0], e.sb.Stock(sku, branch))
	}
	if sdk.ClassOf(res[1].Err) != sdk.ClassNotFound {
		t.Errorf("unknown SKU: %+v, want not found", res[1])
	}
}

// Two rows of one batch for the same unit: the second sees what the first
// wrote, as it would in Shopbox, so its Previous and its compare-and-set are
// about the quantity the unit really holds.
func TestWriteStockSecondRowOfAUnitSeesTheFirst(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	branch := e.sb.Branches()[0].UID
	loc := strconv.Itoa(branch)
	sku := unitSKU(e.sb, 1)
	first := int64(e.sb.Stock(sku, branch) + 4)
	res, err := l.WriteStock(context.Background(), sdk.StockWriteRequest{IdempotencyKey: "twice", Rows: []sdk.StockWrite{
		{Key: "a", Level: sdk.StockLevel{SKU: sku, LocationID: loc, Quantity: first}},
		{Key: "b", Level: sdk.StockLevel{SKU: sku, LocationID: loc, Quantity: 2}, Expected: &first},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[1].Err != nil || res[1].Previous != first || e.sb.Stock(sku, branch) != 2 {
		t.Errorf("results %+v, stock %d; want both applied, the second from %d to 2", res, e.sb.Stock(sku, branch), first)
	}
}

// ignoreFilters makes the sandbox answer as an API that filters
// product-inventories by branch only (all the API notes document): it
// drops the sku_code and product parameters.
func ignoreFilters(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/product-inventories") && r.Method == http.MethodGet {
			q := r.URL.Query()
			q.Del("sku_code")
			q.Del("product")
			r.URL.RawQuery = q.Encode()
		}
		h.ServeHTTP(w, r)
	})
}

// If Shopbox ignored the sku_code and product filters, a SKU far down the
// branch would be missing from the first answer page; the write must still
// start from the quantity the branch holds, not from 0.
func TestWriteStockWhenShopboxIgnoresTheInventoryFilters(t *testing.T) {
	cat := catalog.Generate(catalog.Config{Products: 300, MinVariants: 1, MaxVariants: 3, Locations: 2, Seed: 7})
	e := startSandbox(t, sandbox.Options{Catalog: cat}, ignoreFilters)
	l := e.open(t, nil)
	ctx := context.Background()
	branch := e.sb.Branches()[0].UID
	sku := unitSKU(e.sb, 280)
	before := e.sb.Stock(sku, branch)
	want := int64(before + 4)
	res, err := l.WriteStock(ctx, sdk.StockWriteRequest{IdempotencyKey: "unfiltered", Rows: []sdk.StockWrite{{
		Key: sku, Level: sdk.StockLevel{SKU: sku, LocationID: strconv.Itoa(branch), Quantity: want},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatalf("row %s: %v", sku, res[0].Err)
	}
	if res[0].Previous != int64(before) {
		t.Errorf("Previous = %d, want the %d the branch held", res[0].Previous, before)
	}
	if got := e.sb.Stock(sku, branch); int64(got) != want {
		t.Errorf("%s holds %d at branch %d after the write, want %d", sku, got, branch, want)
	}
}
