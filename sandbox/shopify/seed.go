package shopify

import (
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	"github.com/shopspring/decimal"
)

// seed builds the store from a catalogue. Catalogue prices exclude VAT; a shop
// that shows prices with tax gets them multiplied by 1 + TaxRate, rounded to
// the cent, as a merchant would have typed them.
func seed(cat *catalog.Catalog, now time.Time, opts Options) *store {
	st := &store{NextID: map[string]int64{}, OrderNumber: 1000}
	for _, l := range cat.Locations {
		st.Locations = append(st.Locations, &location{ID: idBase["Location"] + int64(l.Number), Name: l.Name, Active: true})
		st.NextID["Location"] = max(st.NextID["Location"], int64(l.Number))
	}
	if len(st.Locations) == 0 {
		st.Locations = append(st.Locations, &location{ID: st.newID("Location"), Name: "Shop location", Active: true})
	}
	rate := decimal.RequireFromString(opts.TaxRate)
	// Spread the catalogue's update times over the hour before now, so that
	// updated_at filters and sorting have something to work on.
	start := now.Add(-time.Hour - time.Duration(len(cat.Products))*time.Second)
	for i, cp := range cat.Products {
		at := start.Add(time.Duration(i) * time.Second)
		p := &product{
			ID: st.newID("Product"), Title: cp.Name, DescriptionHTML: "<p>" + cp.Description + "</p>",
			Handle: handleize(cp.Name + " " + cp.Number), ProductType: cp.Category, Vendor: "Nordisk Design",
			Status: "ACTIVE", Tags: []string{cp.Category}, CreatedAt: at, UpdatedAt: at,
		}
		price := decimal.RequireFromString(cp.SalesPrice)
		if !opts.PricesExcludeTax {
			price = price.Mul(decimal.NewFromInt(1).Add(rate)).Round(2)
		}
		for j, cv := range cp.Variants {
			title := cv.Title
			if len(cp.Variants) == 1 {
				title = "Default Title"
			}
			v := &variant{
				ID: st.newID("ProductVariant"), Title: title, SKU: cv.SKU, Barcode: cv.Barcode,
				Price: money(price), Position: j + 1, CreatedAt: at, UpdatedAt: at,
				Item: invItem{ID: st.newID("InventoryItem"), Tracked: true, Cost: cp.CostPrice,
					WeightValue: float64(cp.WeightGrams), WeightUnit: "GRAMS", UpdatedAt: at},
			}
			for _, l := range cat.Locations {
				v.Item.Levels = append(v.Item.Levels, newLevel(idBase["Location"]+int64(l.Number), cv.Stock[l.Number], at))
			}
			if len(cat.Locations) == 0 {
				v.Item.Levels = append(v.Item.Levels, newLevel(st.Locations[0].ID, 0, at))
			}
			p.Variants = append(p.Variants, v)
		}
		st.Products = append(st.Products, p)
	}
	st.reindex()
	return st
}

type totals struct {
	subtotal, shipping, discounts, tax, total decimal.Decimal
	taxLines                                  []taxLine
}

// orderTotals derives an order's sums from its lines, exactly.
func orderTotals(o *order) totals {
	var t totals
	agg := map[string]int{}
	addTax := func(tl taxLine) {
		p := decimal.RequireFromString(tl.Price)
		t.tax = t.tax.Add(p)
		key := tl.Title + "|" + tl.Rate
		if i, ok := agg[key]; ok {
			t.taxLines[i].Price = money(decimal.RequireFromString(t.taxLines[i].Price).Add(p))
			return
		}
		agg[key] = len(t.taxLines)
		t.taxLines = append(t.taxLines, tl)
	}
	for _, l := range o.Lines {
		price := decimal.RequireFromString(l.Price)
		disc := decimal.RequireFromString(l.Discount)
		t.subtotal = t.subtotal.Add(price.Mul(decimal.NewFromInt(int64(l.Quantity))).Sub(disc))
		t.discounts = t.discounts.Add(disc)
		for _, tl := range l.TaxLines {
			addTax(tl)
		}
	}
	for _, sl := range o.ShippingLines {
		t.shipping = t.shipping.Add(decimal.RequireFromString(sl.Price))
		for _, tl := range sl.TaxLines {
			addTax(tl)
		}
	}
	t.total = t.subtotal.Add(t.shipping)
	if !o.TaxesIncluded {
		t.total = t.total.Add(t.tax)
	}
	return t
}
