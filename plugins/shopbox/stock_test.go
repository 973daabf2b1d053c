package shopbox_test

import (
	"context"
	"strconv"
	"testing"

	sandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	"github.com/shopbridge/shopbridge/sdk"
)

func TestStockWritesAreAppliedOncePerKey(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	ctx := context.Background()
	branch := e.sb.Branches()[0].UID
	sku := unitSKU(e.sb, 2)
	loc := strconv.Itoa(branch)
	write := func(key string, qty int64, expected *int64) sdk.StockWriteResult {
		t.Helper()
		res, err := l.WriteStock(ctx, sdk.StockWriteRequest{IdempotencyKey: key, Rows: []sdk.StockWrite{
			{Key: "r1", Level: sdk.StockLevel{SKU: sku, LocationID: loc, Quantity: qty}, Expected: expected},
		}})
		if err != nil {
			t.Fatalf("WriteStock %s: %v", key, err)
		}
		return res[0]
	}
	before := int64(e.sb.Stock(sku, branch))
	if r := write("k1", before+10, nil); r.Err != nil || r.Replayed || r.Previous != before {
		t.Fatalf("first write: %+v, want applied with previous %d", r, before)
	}
	// A sale moves the stock; the retried k1 must not put it back.
	if _, err := e.sb.PlaceSale(sandbox.Sale{CashRegister: e.sb.Branches()[0].CashRegisters[0].UID, Items: []sandbox.SaleItem{{SKU: sku, Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	if r := write("k1", before+10, nil); !r.Replayed || r.Err != nil {
		t.Errorf("replayed write: %+v, want Replayed", r)
	}
	if got := int64(e.sb.Stock(sku, branch)); got != before+9 {
		t.Errorf("after the sale and the replay the stock is %d, want %d", got, before+9)
	}
	writes := 0
	for _, w := range e.sb.InventoryWrites() {
		if w.SKUCode == sku && w.Branch == branch {
			writes++
		}
	}
	if writes != 1 {
		t.Errorf("the sandbox saw %d inventory writes, want 1", writes)
	}
	// Compare-and-set: the host expects the quantity it wrote, Shopbox
	// holds one less after the sale.
	stale := before + 10
	r := write("k2", 3, &stale)
	if sdk.ClassOf(r.Err) != sdk.ClassConflict || r.Previous != before+9 {
		t.Errorf("a write with a stale Expected gave %+v, want conflict with previous %d", r, before+9)
	}
	fresh := before + 9
	if r := write("k3", 3, &fresh); r.Err != nil || e.sb.Stock(sku, branch) != 3 {
		t.Errorf("a write with the current Expected: %+v, stock %d", r, e.sb.Stock(sku, branch))
	}
}

func TestStockReadAndPerRowErrors(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	ctx := context.Background()
	var levels []sdk.StockLevel
	pages := 0
	err := l.ReadStock(ctx, sdk.StockReadRequest{}, func(p sdk.StockPage) error {
		pages++
		levels = append(levels, p.Items...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(levels) == 0 || pages < 2 {
		t.Fatalf("read %d levels in %d pages", len(levels), pages)
	}
	for _, lv := range levels[:5] {
		b, _ := strconv.Atoi(lv.LocationID)
		if got := e.sb.Stock(lv.SKU, b); int64(got) != lv.Quantity {
			t.Errorf("%s at %s reads %d, the sandbox holds %d", lv.SKU, lv.LocationID, lv.Quantity, got)
		}
	}
	// A cash register stands for its branch; unknown SKUs and locations
	// fail alone.
	reg := e.sb.Branches()[0].CashRegisters[0].UID
	res, err := l.WriteStock(ctx, sdk.StockWriteRequest{IdempotencyKey: "rows", Rows: []sdk.StockWrite{
		{Key: "good", Level: sdk.StockLevel{SKU: levels[0].SKU, LocationID: strconv.Itoa(reg), Quantity: 42}},
		{Key: "sku", Level: sdk.StockLevel{SKU: "NO-SUCH-SKU", LocationID: levels[0].LocationID, Quantity: 1}},
		{Key: "loc", Level: sdk.StockLevel{SKU: levels[0].SKU, LocationID: "777777", Quantity: 1}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[1].Err == nil || res[2].Err == nil {
		t.Errorf("per-row results %+v, want the good row done and the two bad rows failed", res)
	}
	if got := e.sb.Stock(levels[0].SKU, e.sb.Branches()[0].UID); got != 42 {
		t.Errorf("writing at cash register %d set the branch stock to %d, want 42", reg, got)
	}
}
