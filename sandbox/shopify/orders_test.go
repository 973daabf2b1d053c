package shopify

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

func TestPlacingAnOrderMovesAvailableToCommitted(t *testing.T) {
	f := newFixture(t, nil)
	var sku, loc string
	for _, p := range f.cat.Products {
		for _, v := range p.Variants {
			if v.Stock[1] >= 3 && sku == "" {
				sku, loc = v.SKU, f.cat.Locations[0].Name
			}
		}
	}
	before, _ := f.s.Level(sku, loc)
	id, err := f.s.PlaceOrder(OrderInput{Lines: []OrderLine{{SKU: sku, Quantity: 3}}, Email: "a@example.com", Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := f.s.Level(sku, loc)
	if after.Available != before.Available-3 || after.Committed != before.Committed+3 || after.OnHand != before.OnHand {
		t.Fatalf("placing 3: %+v -> %+v; want available -3, committed +3, on_hand unchanged", before, after)
	}
	// The same numbers through the API.
	item, _ := ids(t, f, sku)
	a := f.gql(t, `query($id: ID!) { inventoryItem(id: $id) { inventoryLevels(first: 5) { nodes { location { name } quantities(names: ["available", "committed", "on_hand"]) { name quantity } } } } }`,
		map[string]any{"id": item}).ok(t)
	for _, n := range path(a.Data, "inventoryItem", "inventoryLevels", "nodes").([]any) {
		if path(n, "location", "name") == loc && (path(n, "quantities", 1, "quantity") != float64(after.Committed) || path(n, "quantities", 0, "quantity") != float64(after.Available)) {
			t.Fatalf("API levels disagree: %s", a.raw)
		}
	}
	if err := f.s.FulfillOrder(id); err != nil {
		t.Fatal(err)
	}
	shipped, _ := f.s.Level(sku, loc)
	if shipped.Committed != before.Committed || shipped.OnHand != before.OnHand-3 || shipped.Available != after.Available {
		t.Fatalf("fulfilling: %+v -> %+v", after, shipped)
	}

	id2, err := f.s.PlaceOrder(OrderInput{Lines: []OrderLine{{SKU: sku, Quantity: 1}}, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.s.CancelOrder(id2); err != nil {
		t.Fatal(err)
	}
	if back, _ := f.s.Level(sku, loc); back != shipped {
		t.Fatalf("cancelling did not restock: %+v, want %+v", back, shipped)
	}
	if _, err := f.s.PlaceOrder(OrderInput{Lines: []OrderLine{{SKU: sku, Quantity: 100000}}}); err == nil {
		t.Fatal("an order beyond the stock was placed although the shop denies overselling")
	}
}

func TestOrderWithDiscountTaxesAndShippingReadsBackExactly(t *testing.T) {
	f := newFixture(t, nil)
	sku := f.cat.Products[1].Variants[0].SKU
	body, _ := json.Marshal(OrderInput{
		Lines: []OrderLine{{SKU: sku, Quantity: 2, Price: "100.00", Discount: "20.00", TaxLines: []TaxLine{
			{Title: "Moms", Rate: "0.2", Price: "30.00"}, {Title: "Miljöavgift", Rate: "0.05", Price: "7.50"}}}},
		Shipping: &ShippingInput{Title: "PostNord", Price: "49.00", TaxLines: []TaxLine{{Title: "Moms", Rate: "0.25", Price: "9.80"}}},
		Email:    "kund@example.se", FirstName: "Karin", LastName: "Berg", FinancialStatus: "paid",
		ShippingAddress: &Address{FirstName: "Karin", LastName: "Berg", Address1: "Storgatan 1", City: "Lund", Zip: "222 22", Country: "Sweden", CountryCode: "SE"},
	})
	resp, err := http.Post(f.ts.URL+"/_sandbox/orders", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var placed OrderSummary
	_ = json.NewDecoder(resp.Body).Decode(&placed)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || placed.Total != "229.00" {
		t.Fatalf("control API placed %d %+v; total want 200 - 20 + 49 (taxes included) = 229.00", resp.StatusCode, placed)
	}
	a := f.gql(t, `query($id: ID!) { order(id: $id) { name email displayFinancialStatus taxesIncluded currencyCode
		customer { firstName lastName defaultEmailAddress { emailAddress } } shippingAddress { city countryCodeV2 }
		lineItems(first: 5) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount currencyCode } } discountedTotalSet { shopMoney { amount } }
			taxLines { title rate priceSet { shopMoney { amount } } } } }
		shippingLines(first: 5) { nodes { title originalPriceSet { shopMoney { amount } } taxLines { title priceSet { shopMoney { amount } } } } }
		taxLines { title priceSet { shopMoney { amount } } } currentTotalPriceSet { shopMoney { amount } } totalDiscountsSet { shopMoney { amount } } } }`,
		map[string]any{"id": placed.ID}).ok(t)
	o := path(a.Data, "order")
	checks := map[string][2]any{
		"financial": {path(o, "displayFinancialStatus"), "PAID"},
		"email":     {path(o, "customer", "defaultEmailAddress", "emailAddress"), "kund@example.se"},
		"unit":      {path(o, "lineItems", "nodes", 0, "originalUnitPriceSet", "shopMoney", "amount"), "100.00"},
		"line":      {path(o, "lineItems", "nodes", 0, "discountedTotalSet", "shopMoney", "amount"), "180.00"},
		"tax2":      {path(o, "lineItems", "nodes", 0, "taxLines", 1, "priceSet", "shopMoney", "amount"), "7.50"},
		"ship":      {path(o, "shippingLines", "nodes", 0, "originalPriceSet", "shopMoney", "amount"), "49.00"},
		"moms":      {path(o, "taxLines", 0, "priceSet", "shopMoney", "amount"), "30.00"},
		"total":     {path(o, "currentTotalPriceSet", "shopMoney", "amount"), "229.00"},
		"discounts": {path(o, "totalDiscountsSet", "shopMoney", "amount"), "20.00"},
		"city":      {path(o, "shippingAddress", "city"), "Lund"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s: got %v, want %v", name, c[0], c[1])
		}
	}
	// Order-level tax lines sum by title and rate: 30.00 at 0.2 and 9.80 at 0.25 stay apart.
	if n := len(path(o, "taxLines").([]any)); n != 3 {
		t.Errorf("order tax lines: %d, want 3", n)
	}
}

func TestRandomOrdersAreDeterministic(t *testing.T) {
	run := func() []OrderSummary {
		f := newFixture(t, nil)
		for i := 0; i < 5; i++ {
			if _, err := f.s.PlaceRandomOrder(); err != nil {
				t.Fatal(err)
			}
		}
		return f.s.Orders()
	}
	a, b := run(), run()
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) || len(a) != 5 {
		t.Fatalf("two runs with one seed differ:\n%s\n%s", ja, jb)
	}
}

func TestSnapshotRestore(t *testing.T) {
	f := newFixture(t, nil)
	sku := f.cat.Products[0].Variants[0].SKU
	loc := f.cat.Locations[0].Name
	snap, err := f.s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.s.Level(sku, loc)
	if err := f.s.SetLevel(sku, loc, "available", before.Available+11); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PlaceRandomOrder(); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if q, _ := f.s.Level(sku, loc); q != before || len(f.s.Orders()) != 0 {
		t.Fatalf("restore: %+v (want %+v), %d orders", q, before, len(f.s.Orders()))
	}
	f.gql(t, `{ products(first: 1, query: "sku:`+sku+`") { nodes { id } } }`, nil).ok(t)
}
