package flow

import (
	"context"
	"testing"

	"github.com/shopbridge/shopbridge/config"
)

func mustStock(t testing.TB) func(StockReport, error) StockReport {
	return func(rep StockReport, err error) StockReport {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
}

// Shopify seed, "Huvudlager" = "Alla": every Rackbeat location is summed
// into the shop's one location; only the available quantity counts.
func TestMainWarehouseAll(t *testing.T) {
	e := newEnv(t, 5, "shopify", nil, nil)
	ctx := context.Background()
	sku := e.cat.Products[0].Variants[0].SKU
	e.ch.setStock(sku, "main", 0)
	if err := e.rb.SetStock(sku, 1, 7); err != nil {
		t.Fatal(err)
	}
	if err := e.rb.SetStock(sku, 2, 5); err != nil {
		t.Fatal(err)
	}
	want := int64(0)
	for _, q := range e.rb.Available(sku) {
		want += int64(q)
	}
	rep := mustStock(t)(e.stock.PushSKUs(ctx, []string{sku}))
	if q, _ := e.ch.level(sku, "main"); q != want || want != 12 || rep.Rows != 1 {
		t.Fatalf("channel %d, Rackbeat available %d: %+v", q, want, rep)
	}
	if w, ok, _ := e.store.LastStockWrite(ctx, "shop", sku, "main"); !ok || w.Quantity != 12 {
		t.Fatalf("write not recorded: %+v", w)
	}
}

// Shopbox seed, "Lokasjoner": one Rackbeat location per cash-register
// location.
func TestStockLocationPerCashRegister(t *testing.T) {
	e := newEnv(t, 5, "shopbox", nil, func(s *config.StockSettings) {
		s.Locations = config.StockLocations{Mappings: []config.LocationMapping{
			{Rackbeat: config.RackbeatLocations{IDs: []int{1}}, Channel: "101"},
			{Rackbeat: config.RackbeatLocations{IDs: []int{2}}, Channel: "102"},
		}}
		s.DefaultRackbeatLocation, s.DefaultChannelLocation = 1, "101"
	})
	ctx := context.Background()
	sku := e.cat.Products[1].Variants[0].SKU
	e.ch.setStock(sku, "101", 0)
	e.ch.setStock(sku, "102", 0)
	_ = e.rb.SetStock(sku, 1, 3)
	_ = e.rb.SetStock(sku, 2, 9)
	mustStock(t)(e.stock.PushSKUs(ctx, []string{sku}))
	a, _ := e.ch.level(sku, "101")
	b, _ := e.ch.level(sku, "102")
	if a != 3 || b != 9 {
		t.Fatalf("101=%d (want 3), 102=%d (want 9)", a, b)
	}
}

// A burst of 50 changes to one SKU is one write of the latest number.
func TestFiftyChangesOneWrite(t *testing.T) {
	e := newEnv(t, 5, "shopify", nil, nil)
	ctx := context.Background()
	sku := e.cat.Products[0].Variants[0].SKU
	e.ch.setStock(sku, "main", 0)
	c := &Coalescer{Stock: e.stock}
	for i := 0; i < 50; i++ {
		if err := e.rb.MoveStock(sku, 1, 1); err != nil {
			t.Fatal(err)
		}
		c.Add(sku) // the inventory.changed webhook
	}
	rep := mustStock(t)(c.Flush(ctx))
	want := int64(0)
	for _, q := range e.rb.Available(sku) {
		want += int64(q)
	}
	if q, _ := e.ch.level(sku, "main"); rep.Rows != 1 || rep.Batches != 1 || q != want {
		t.Fatalf("%+v, channel %d, Rackbeat %d", rep, q, want)
	}
	// The same number again is no write at all.
	if rep := mustStock(t)(e.stock.PushSKUs(ctx, []string{sku, sku})); rep.Batches != 0 {
		t.Fatalf("unchanged level written again: %+v", rep)
	}
}

// Reconciliation fixes drift in batches of at most 250 rows, and a retried
// batch (same idempotency key) is applied once.
func TestStockReconcileBatchesAndIdempotency(t *testing.T) {
	e := newEnv(t, 300, "shopify", nil, nil)
	ctx := context.Background()
	for _, sku := range e.cat.SKUs() {
		e.ch.setStock(sku, "main", -1)
	}
	rep := mustStock(t)(e.stock.Reconcile(ctx))
	if rep.Rows != len(e.cat.SKUs()) {
		t.Fatalf("%+v for %d SKUs", rep, len(e.cat.SKUs()))
	}
	if rep := mustStock(t)(e.stock.Reconcile(ctx)); rep.Rows != 0 {
		t.Fatalf("second reconcile wrote %+v", rep)
	}
	if IdempotencyKey("shop", nil) == IdempotencyKey("other", nil) {
		t.Fatal("keys must differ by link")
	}
}

// Shopbox seed, "Hovedlager i Shopbox": a Rackbeat location that no
// mapping names shows in the default Shopbox location, added to what is
// mapped there; without the default it is left out.
func TestStockDefaultChannelLocationForUnmappedRackbeatLocation(t *testing.T) {
	for _, withDefault := range []bool{true, false} {
		e := newEnv(t, 5, "shopbox", nil, func(s *config.StockSettings) {
			s.Locations = config.StockLocations{Mappings: []config.LocationMapping{
				{Rackbeat: config.RackbeatLocations{IDs: []int{2}}, Channel: "102"},
			}}
			s.DefaultChannelLocation = "101"
		})
		if withDefault {
			e.stock.Locations.SendUnmappedTo("101")
		}
		ctx := context.Background()
		sku := e.cat.Products[1].Variants[0].SKU
		e.ch.setStock(sku, "101", 0)
		e.ch.setStock(sku, "102", 0)
		_ = e.rb.SetStock(sku, 1, 3)
		_ = e.rb.SetStock(sku, 2, 9)
		mustStock(t)(e.stock.PushSKUs(ctx, []string{sku}))
		a, _ := e.ch.level(sku, "101")
		b, _ := e.ch.level(sku, "102")
		want := int64(0)
		if withDefault {
			want = 3
		}
		if a != want || b != 9 {
			t.Errorf("default location set %v: 101=%d (want %d), 102=%d (want 9)", withDefault, a, want, b)
		}
	}
}
