package host_test

import (
	"fmt"
	"testing"
	"time"

	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
	sbsandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
)

// TestShopboxMainWarehouseInShopbox is the Shopbox guide's "Hovedlager i
// Shopbox" ("brukes som en standardlokasjon dersom vi ikke kan finne
// lokasjonen i Shopbox"): Rackbeat location 2 is linked to branch 2,
// location 1 to nothing, so its stock shows in the default Shopbox
// location, branch 1 — at the start and after a stock move there.
func TestShopboxMainWarehouseInShopbox(t *testing.T) {
	w := newWorld(t, 10)
	branches := w.shopbox.Branches()
	b1, b2 := branches[0].UID, branches[1].UID
	loc1, loc2 := w.cat.Locations[0].Number, w.cat.Locations[1].Number
	w.start(w.shopboxLink("pos", orders("enabled", "false"), "",
		fmt.Sprintf(`enabled: true, locations: [{rackbeat: [%d], channel: "%d"}], default_channel_location: "%d"`, loc2, b2, b1)))
	sku := w.sku(2)
	if err := w.shopbox.SetStock(sku, b1, 999); err != nil {
		t.Fatal(err)
	}
	w.eventually("branch 1 showing the unmapped Rackbeat location 1", 60*time.Second, func() bool {
		return w.shopbox.Stock(sku, b1) == w.rb.Available(sku)[loc1] && w.shopbox.Stock(sku, b2) == w.rb.Available(sku)[loc2]
	})
	if err := w.rb.MoveStock(sku, loc1, 4); err != nil {
		t.Fatal(err)
	}
	w.eventually("branch 1 after a move at location 1", 60*time.Second, func() bool {
		return w.shopbox.Stock(sku, b1) == w.rb.Available(sku)[loc1]
	})
}

// TestShopboxMainWarehouseInRackbeat is the Shopbox guide's "Hovedlager i
// Rackbeat" ("brukes som en standardlokasjon i tilfelle av at vi ikke kan
// finne lokasjonen i Rackbeat"): a sale at a till of branch 2, which is
// linked to Rackbeat location 1, draws from location 1; a sale at branch
// 1, linked to nothing, draws from the default Rackbeat location 2.
func TestShopboxMainWarehouseInRackbeat(t *testing.T) {
	w := newWorld(t, 10)
	branches := w.shopbox.Branches()
	b1, b2 := branches[0], branches[1]
	if len(b1.CashRegisters) == 0 || len(b2.CashRegisters) == 0 {
		t.Fatal("the sandbox's branches need a cash register each")
	}
	loc1, loc2 := w.cat.Locations[0].Number, w.cat.Locations[1].Number
	w.start(w.shopboxLink("pos", orders("currency", "NOK"), "",
		fmt.Sprintf(`enabled: false, locations: [{rackbeat: [%d], channel: "%d"}], default_rackbeat_location: %d`, loc1, b2.UID, loc2)))
	for _, c := range []struct {
		name   string
		till   int
		wantAt int
	}{{"branch 2, linked to location 1", b2.CashRegisters[0].UID, loc1}, {"branch 1, unlinked", b1.CashRegisters[0].UID, loc2}} {
		sale, err := w.shopbox.PlaceSale(sbsandbox.Sale{CashRegister: c.till, Items: []sbsandbox.SaleItem{{SKU: w.sku(1), Quantity: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		var got []rbsandbox.Order
		w.eventually("the sale in Rackbeat", 60*time.Second, func() bool {
			got = w.ordersWithReference("shopbridge:pos:" + itoa(sale.UID))
			return len(got) == 1
		})
		if got[0].Location != c.wantAt {
			t.Errorf("sale at %s: Rackbeat order at location %d, want %d", c.name, got[0].Location, c.wantAt)
		}
	}
}
