package testconnector

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/sdk"
)

// channel is one in-memory shop: what a real channel account holds.
type channel struct {
	mu         sync.Mutex
	products   []*sdk.Product // sorted by ID
	nextID     int
	orders     []sdk.Order // sorted by ID
	locations  []sdk.Location
	categories []sdk.Category
	stock      map[stockKey]int64
	// Applied idempotency keys and what they answered, so that a retried
	// write is answered again instead of applied twice.
	stockWrites   map[string][]sdk.StockWriteResult
	productWrites map[string]sdk.ProductWriteResult
	hooks         map[string]string // callback URL + topic -> subscription id
}

type stockKey struct{ sku, location string }

const currency = "DKK"

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// newChannel generates a deterministic catalogue, stock and orders.
func newChannel(s Settings) *channel {
	ch := &channel{
		stock:         map[stockKey]int64{},
		stockWrites:   map[string][]sdk.StockWriteResult{},
		productWrites: map[string]sdk.ProductWriteResult{},
		hooks:         map[string]string{},
	}
	for i := 1; i <= s.Locations; i++ {
		ch.locations = append(ch.locations, sdk.Location{ID: fmt.Sprintf("loc-%d", i), Name: fmt.Sprintf("Location %d", i), Kind: "location", IsDefault: i == 1})
	}
	for i := 1; i <= 3; i++ {
		ch.categories = append(ch.categories, sdk.Category{ID: fmt.Sprintf("cat-%d", i), Name: fmt.Sprintf("Category %d", i)})
	}
	for i := 1; i <= s.Products; i++ {
		p := &sdk.Product{
			ID:          fmt.Sprintf("p%06d", i),
			Title:       fmt.Sprintf("Product %d", i),
			Description: fmt.Sprintf("The %d. product of %s.", i, s.Shop),
			Category:    ch.categories[i%3].Name,
			CategoryID:  ch.categories[i%3].ID,
			Status:      "active",
			UpdatedAt:   epoch.Add(time.Duration(i) * time.Minute),
		}
		for v := 1; v <= 1+i%3; v++ {
			sku := fmt.Sprintf("SKU-%04d-%d", i, v)
			p.Variants = append(p.Variants, sdk.Variant{
				ID:              fmt.Sprintf("v%06d-%d", i, v),
				SKU:             sku,
				Title:           fmt.Sprintf("Variant %d", v),
				Barcode:         fmt.Sprintf("57%09d%d", i, v),
				Price:           sdk.Money{Amount: decimal.New(int64(9900+100*i+v), -2), Currency: currency},
				Cost:            sdk.Money{Amount: decimal.New(int64(4000+50*i), -2), Currency: currency},
				Weight:          sdk.Weight{Value: decimal.New(int64(250*v), 0), Unit: sdk.Grams},
				InventoryItemID: fmt.Sprintf("ii%06d-%d", i, v),
				Options:         map[string]string{"Size": fmt.Sprint(v)},
				UpdatedAt:       p.UpdatedAt,
			})
			for j, loc := range ch.locations {
				ch.stock[stockKey{sku, loc.ID}] = int64((i*7 + v*3 + j) % 50)
			}
		}
		ch.products = append(ch.products, p)
	}
	ch.nextID = s.Products + 1
	for i := 1; i <= s.Orders && len(ch.products) > 0; i++ {
		ch.orders = append(ch.orders, ch.makeOrder(i))
	}
	return ch
}

func money(minor int64) sdk.Money {
	return sdk.Money{Amount: decimal.New(minor, -2), Currency: currency}
}

func (ch *channel) makeOrder(i int) sdk.Order {
	created := epoch.Add(time.Duration(i) * time.Hour)
	o := sdk.Order{
		ID: fmt.Sprintf("o%06d", i), Number: fmt.Sprintf("#%d", 1000+i),
		CreatedAt: created, UpdatedAt: created, Currency: currency, TaxesIncluded: true,
		FinancialState: sdk.FinancialPaid, FulfillmentState: sdk.FulfillmentUnfulfilled,
		Customer:        sdk.Customer{ID: fmt.Sprintf("c%d", i%4), Email: fmt.Sprintf("buyer%d@example.com", i%4), FirstName: "Buyer", LastName: fmt.Sprint(i % 4)},
		BillingAddress:  sdk.Address{Name: "Buyer", Line1: "Testvej 1", City: "Aarhus", Zip: "8000", CountryCode: "DK"},
		ShippingAddress: sdk.Address{Name: "Buyer", Line1: "Testvej 1", City: "Aarhus", Zip: "8000", CountryCode: "DK"},
		ChannelState:    "paid", LocationID: ch.locations[0].ID,
	}
	var total int64
	for l := 0; l < 1+i%3; l++ {
		p := ch.products[(i+l)%len(ch.products)]
		v := p.Variants[0]
		qty := int64(1 + l)
		unit := v.Price.Amount.Shift(2).IntPart()
		line := unit * qty
		tax := line / 5 // 25 % VAT included in the price
		o.Lines = append(o.Lines, sdk.OrderLine{
			ID: fmt.Sprintf("%s-l%d", o.ID, l), SKU: v.SKU, ProductID: p.ID, VariantID: v.ID, Title: p.Title,
			Quantity: qty, UnitPrice: v.Price, TotalDiscount: money(0),
			TaxLines: []sdk.TaxLine{{Title: "VAT", Rate: "0.25", Amount: money(tax)}},
		})
		total += line
	}
	o.ShippingLines = []sdk.ShippingLine{{Title: "Standard", Price: money(4900), Discount: money(0), TaxLines: []sdk.TaxLine{{Title: "VAT", Rate: "0.25", Amount: money(980)}}}}
	total += 4900
	o.TotalDiscount = money(0)
	o.TotalTax = money(total / 5)
	o.Total = money(total)
	return o
}

// variantBySKU finds a variant; the caller holds mu.
func (ch *channel) variantBySKU(sku string) (*sdk.Product, *sdk.Variant) {
	for _, p := range ch.products {
		for i := range p.Variants {
			if p.Variants[i].SKU == sku {
				return p, &p.Variants[i]
			}
		}
	}
	return nil, nil
}

func (ch *channel) location(id string) bool {
	for _, l := range ch.locations {
		if l.ID == id {
			return true
		}
	}
	return false
}

// levels lists every stock level in cursor order; the caller
// holds mu.
func (ch *channel) levels() []sdk.StockLevel {
	out := make([]sdk.StockLevel, 0, len(ch.stock))
	for k, q := range ch.stock {
		_, v := ch.variantBySKU(k.sku)
		lvl := sdk.StockLevel{SKU: k.sku, LocationID: k.location, Quantity: q}
		if v != nil {
			lvl.VariantID, lvl.InventoryItemID = v.ID, v.InventoryItemID
		}
		out = append(out, lvl)
	}
	// Sorted by the same key the cursor holds, so resuming skips exactly
	// what was handed out.
	sort.Slice(out, func(i, j int) bool { return levelKey(out[i]) < levelKey(out[j]) })
	return out
}

func levelKey(s sdk.StockLevel) string { return s.SKU + "|" + s.LocationID }
