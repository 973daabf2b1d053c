package shopify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
)

// TestStockPushNeverThrottled pushes 20,000 rows through a standard-plan
// bucket that another app has just drained: the pacer must wait for the
// bucket instead of being told THROTTLED.
func TestStockPushNeverThrottled(t *testing.T) {
	e := newEnv(t, 300, nil)
	ctx := context.Background()
	levels := e.levels(t, 250)
	// Another app spends the bucket down to almost nothing.
	e.drain(t)
	start := e.clock.Now()
	const rows = 20_000
	req := sdk.StockWriteRequest{IdempotencyKey: "push-20000"}
	for i := 0; i < rows; i++ {
		lv := levels[i%len(levels)]
		req.Rows = append(req.Rows, sdk.StockWrite{Key: fmt.Sprint(i), Level: sdk.StockLevel{InventoryItemID: lv.InventoryItemID, LocationID: lv.LocationID, Quantity: int64(i % 50)}})
	}
	res, err := e.link.WriteStock(ctx, req)
	if err != nil {
		t.Fatalf("write stock: %v", err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("row %s: %v", r.Key, r.Err)
		}
	}
	if n := e.sb.ThrottledCount(); n != 0 {
		t.Fatalf("the sandbox answered THROTTLED %d times while pacing 20,000 rows", n)
	}
	if n := e.link.gql.Throttled(); n != 0 {
		t.Fatalf("the client saw %d THROTTLED answers", n)
	}
	// 80 writes of 10 points from an empty bucket take at least 8 s at 100
	// points/s: the pacer waited rather than burst.
	if el := e.clock.Now().Sub(start); el < 7*time.Second {
		t.Fatalf("20,000 rows from a drained bucket went out in %v of sandbox time; the bucket allows no less than ~8 s", el)
	}
	last := levels[(rows-1)%len(levels)]
	q, ok := e.sb.Level(last.SKU, last.LocationID)
	if !ok || int64(q.Available) != int64((rows-1)%50) {
		t.Fatalf("level of %s is %+v, want available %d", last.SKU, q, (rows-1)%50)
	}
}

func TestStaleChangeFromQuantityRecovered(t *testing.T) {
	e := newEnv(t, 20, nil)
	ctx := context.Background()
	lv := e.levels(t, 1)[0]
	// An order arrives in Shopify after the host read the level.
	if err := e.sb.SetLevel(lv.SKU, lv.LocationID, "available", int(lv.Quantity)-1); err != nil {
		t.Fatal(err)
	}
	expected := lv.Quantity
	res, err := e.link.WriteStock(ctx, sdk.StockWriteRequest{IdempotencyKey: "stale", Rows: []sdk.StockWrite{{
		Key: "a", Level: sdk.StockLevel{SKU: lv.SKU, LocationID: lv.LocationID, Quantity: 42}, Expected: &expected}}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatalf("stale write not recovered: %v", res[0].Err)
	}
	if res[0].Previous != lv.Quantity-1 {
		t.Fatalf("previous = %d, want the re-read %d", res[0].Previous, lv.Quantity-1)
	}
	if q, _ := e.sb.Level(lv.SKU, lv.LocationID); q.Available != 42 {
		t.Fatalf("available = %d, want 42", q.Available)
	}
}

func TestReplayedIdempotencyKeyAppliedOnce(t *testing.T) {
	e := newEnv(t, 20, nil)
	ctx := context.Background()
	lv := e.levels(t, 1)[0]
	req := sdk.StockWriteRequest{IdempotencyKey: "once", Rows: []sdk.StockWrite{{Key: "a", Level: sdk.StockLevel{SKU: lv.SKU, LocationID: lv.LocationID, Quantity: 7}}}}
	first, err := e.link.WriteStock(ctx, req)
	if err != nil || first[0].Err != nil || first[0].Replayed {
		t.Fatalf("first write: %v %+v", err, first)
	}
	// The merchant changes the level; a retried request must not undo it.
	if err := e.sb.SetLevel(lv.SKU, lv.LocationID, "available", 3); err != nil {
		t.Fatal(err)
	}
	again, err := e.link.WriteStock(ctx, req)
	if err != nil || again[0].Err != nil {
		t.Fatalf("replay: %v %+v", err, again)
	}
	if !again[0].Replayed {
		t.Fatal("the replayed request is not reported as Replayed")
	}
	if q, _ := e.sb.Level(lv.SKU, lv.LocationID); q.Available != 3 {
		t.Fatalf("available = %d after the replay, want 3: the retried batch was applied twice", q.Available)
	}
}

func TestStockRowErrorsArePerRow(t *testing.T) {
	e := newEnv(t, 20, nil)
	ctx := context.Background()
	lv := e.levels(t, 1)[0]
	res, err := e.link.WriteStock(ctx, sdk.StockWriteRequest{IdempotencyKey: "mixed", Rows: []sdk.StockWrite{
		{Key: "good", Level: sdk.StockLevel{SKU: lv.SKU, LocationID: lv.LocationID, Quantity: 5}},
		{Key: "unknown", Level: sdk.StockLevel{SKU: "NO-SUCH-SKU", LocationID: lv.LocationID, Quantity: 5}},
		{Key: "badItem", Level: sdk.StockLevel{InventoryItemID: "gid://shopify/InventoryItem/1", LocationID: lv.LocationID, Quantity: 5}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil {
		t.Fatalf("good row failed: %v", res[0].Err)
	}
	if sdk.ClassOf(res[1].Err) != sdk.ClassNotFound || sdk.ClassOf(res[2].Err) != sdk.ClassNotFound {
		t.Fatalf("bad rows: %v / %v, want not_found", res[1].Err, res[2].Err)
	}
	if q, _ := e.sb.Level(lv.SKU, lv.LocationID); q.Available != 5 {
		t.Fatalf("available = %d, want 5", q.Available)
	}
}
