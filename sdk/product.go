package sdk

import "time"

// Product is a channel product in shopbridge's canonical shape. Products
// match the inventory system at variant level by SKU; a product without
// options has exactly one variant.
type Product struct {
	ID          string // the channel's id; empty for a product not yet in the channel
	Title       string
	Description string
	Category    string // category name: Shopify product type, Shopbox tag
	CategoryID  string
	Vendor      string
	Status      string // "active", "draft", "archived"
	Variants    []Variant
	UpdatedAt   time.Time
	// IsBOM marks a bundle of other products (a Rackbeat "lot",
	// Norwegian "strukturvare"); BOMLines says what it holds.
	IsBOM      bool
	BOMLines   []BOMLine
	Attributes map[string]string // channel-specific extras, passed through untouched
}

// BOMLine is one component of a bundle.
type BOMLine struct {
	SKU      string
	Quantity int64
}

// Variant is one sellable unit of a product, identified across systems by
// its SKU.
type Variant struct {
	ID               string
	SKU              string
	Title            string
	Barcode          string
	Price            Money
	PriceIncludesVAT bool // true when Price is the channel's VAT-inclusive shelf price
	Cost             Money
	Weight           Weight
	InventoryItemID  string
	Options          map[string]string // option name -> value, e.g. "Color" -> "Red"
	UpdatedAt        time.Time
}

// Product fields a write may carry; see ProductWrite.Fields.
const (
	FieldTitle       = "title"
	FieldDescription = "description"
	FieldCategory    = "category"
	FieldPrice       = "price"
	FieldBarcode     = "barcode"
	FieldCost        = "cost"
	FieldWeight      = "weight"
	FieldSKU         = "sku"
	FieldStatus      = "status"
)

// ProductWrite asks a connector to create or update one product.
type ProductWrite struct {
	Key            string // the host's key for the item; echoed in the result
	Product        Product
	IdempotencyKey string
	// Fields lists what the link's direction carries; the connector leaves
	// every other field of an existing product alone. Empty means all.
	Fields []string
}

// Carries reports whether the write carries field f.
func (w ProductWrite) Carries(f string) bool {
	if len(w.Fields) == 0 {
		return true
	}
	for _, g := range w.Fields {
		if g == f {
			return true
		}
	}
	return false
}

// ProductWriteResult is the outcome of one ProductWrite: the product as
// written, with the channel's ids, or an error for this item alone.
type ProductWriteResult struct {
	Key     string
	Product Product
	Err     *Error
}
