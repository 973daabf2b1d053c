package host_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

func sum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestShopifyStockSyncMainWarehouseAll is the Shopify guide's "Synkronisera
// lagerstatus från Rackbeat till Shopify" with "Huvudlager: Alla": only the
// available ("I lager") quantity, summed over every Rackbeat location, on
// a stock move in Rackbeat.
func TestShopifyStockSyncMainWarehouseAll(t *testing.T) {
	w := newWorld(t, 10)
	w.start(w.shopifyLink("stock", orders("enabled", "false"), "", "enabled: true, quantity: available, locations: all"))
	main := w.cat.Locations[0].Name
	sku := w.sku(3)
	level := func() int {
		q, _ := w.shopify.Level(sku, main)
		return q.Available
	}
	// The reconciliation at start brings the shop to Rackbeat's numbers.
	w.eventually("reconciled level", 60*time.Second, func() bool { return level() == sum(w.rb.Available(sku)) })

	if err := w.rb.MoveStock(sku, w.cat.Locations[1].Number, 7); err != nil {
		t.Fatal(err)
	}
	want := sum(w.rb.Available(sku))
	w.eventually(fmt.Sprintf("Shopify level %d after the move", want), 60*time.Second, func() bool { return level() == want })
}

// TestShopboxStockLocationPerBranch is the Shopbox guide's location
// section: each Shopbox branch gets its own Rackbeat location, and a
// branch without a mapping falls back to the default Rackbeat location
// ("Hovedlager i Rackbeat").
func TestShopboxStockLocationPerBranch(t *testing.T) {
	w := newWorld(t, 10)
	branches := w.shopbox.Branches()
	if len(branches) < 2 {
		t.Fatalf("want two branches, got %d", len(branches))
	}
	b1, b2 := branches[0].UID, branches[1].UID
	loc2 := w.cat.Locations[1].Number
	w.start(w.shopboxLink("pos", orders("enabled", "false"), "",
		fmt.Sprintf(`enabled: true, locations: [{rackbeat: [%d], channel: "%d"}], default_rackbeat_location: %d`, loc2, b2, w.cat.Locations[0].Number)))
	sku := w.sku(2)
	w.eventually("branch 2 at Rackbeat location 2", 60*time.Second, func() bool {
		return w.shopbox.Stock(sku, b2) == w.rb.Available(sku)[loc2]
	})
	if err := w.rb.MoveStock(sku, loc2, 5); err != nil {
		t.Fatal(err)
	}
	w.eventually("branch 2 after the move", 60*time.Second, func() bool {
		return w.shopbox.Stock(sku, b2) == w.rb.Available(sku)[loc2]
	})
	_ = b1 // branch 1 has no mapping: stock flows to the mapped branch only
}

// shopifyVariant reads a variant's price and product title through the
// sandbox's GraphQL API, as any client would.
func (w *world) shopifyVariant(t *testing.T, sku string) (title, price string) {
	t.Helper()
	q := map[string]any{"query": `query($q:String){productVariants(first:1, query:$q){nodes{price product{title}}}}`, "variables": map[string]any{"q": "sku:" + sku}}
	b, _ := json.Marshal(q)
	req, _ := http.NewRequest("POST", w.urls["shopify"]+"/admin/api/2026-10/graphql.json", bytes.NewReader(b))
	req.Header.Set("X-Shopify-Access-Token", shopifyToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	var out struct {
		Data struct {
			ProductVariants struct {
				Nodes []struct {
					Price   string
					Product struct{ Title string }
				}
			}
		}
	}
	if err := json.Unmarshal(body, &out); err != nil || len(out.Data.ProductVariants.Nodes) == 0 {
		return "", ""
	}
	n := out.Data.ProductVariants.Nodes[0]
	return n.Product.Title, n.Price
}

// TestShopifySyncPriorityRackbeatPricesExcludeVAT is the Shopify guide's
// "Synkroniseringsprioritet: Rackbeat" with "Försäljningspriser i Rackbeat
// är exkl. moms": a product changed in Rackbeat reaches Shopify with its
// name as title and its price multiplied by 1.25.
func TestShopifySyncPriorityRackbeatPricesExcludeVAT(t *testing.T) {
	w := newWorld(t, 10)
	w.start(w.shopifyLink("catalog", orders("enabled", "false"), `direction: inventory, prices_exclude_vat: true, vat_rate: "0.25"`, ""))
	sku := w.sku(4)
	p, _ := w.rb.Product(sku)
	body, _ := json.Marshal(map[string]any{"number": sku, "name": "Kaffekopp Deluxe", "sales_price": 80, "group": p.Group})
	if _, err := w.rb.UpsertProduct(body); err != nil {
		t.Fatal(err)
	}
	w.eventually("the Rackbeat change in Shopify", 60*time.Second, func() bool {
		title, price := w.shopifyVariant(t, sku)
		return title == "Kaffekopp Deluxe" && (price == "100.00" || price == "100.0" || price == "100")
	})
}

// A backlog of pending stock moves larger than one flush batch drains
// through follow-up pushes: every moved SKU reaches the shop, not only
// the first batch.
func TestStockBacklogLargerThanABatchDrains(t *testing.T) {
	w := newWorld(t, 30)
	w.opts.StockBatch = 5
	w.start(w.shopifyLink("stock", orders("enabled", "false"), "", "enabled: true, quantity: available, locations: all, reconcile_every: 6h"))
	main := w.cat.Locations[0].Name
	level := func(sku string) int {
		q, _ := w.shopify.Level(sku, main)
		return q.Available
	}
	w.eventually("first reconciliation", 60*time.Second, func() bool { return level(w.sku(0)) == sum(w.rb.Available(w.sku(0))) })
	var skus []string
	for i := range 23 {
		sku := w.sku(i)
		skus = append(skus, sku)
		if err := w.rb.MoveStock(sku, w.cat.Locations[1].Number, 3+i); err != nil {
			t.Fatal(err)
		}
	}
	var stale []string
	w.eventually("all 23 moved SKUs in the shop", 60*time.Second, func() bool {
		stale = stale[:0]
		for _, sku := range skus {
			if level(sku) != sum(w.rb.Available(sku)) {
				stale = append(stale, sku)
			}
		}
		if len(stale) > 0 {
			t.Logf("not yet in the shop: %v", stale)
		}
		return len(stale) == 0
	})
}
