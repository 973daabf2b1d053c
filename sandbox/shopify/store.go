package shopify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Quantity names a level carries. on_hand is kept equal to available +
// committed + reserved, as Shopify keeps it.
var quantityNames = []string{"available", "committed", "damaged", "incoming", "on_hand", "quality_control", "reserved", "safety_stock"}

// store is everything the sandbox knows. It is a tree of plain values so that a
// snapshot is its JSON; the indexes are rebuilt after a restore.
type store struct {
	NextID        map[string]int64 `json:"next_id"`
	Locations     []*location      `json:"locations"`
	Products      []*product       `json:"products"`
	Orders        []*order         `json:"orders"`
	Webhooks      []*webhookSub    `json:"webhooks"`
	Bulk          []*bulkOp        `json:"bulk_operations"`
	Adjustments   int64            `json:"adjustments"`
	OrderNumber   int              `json:"order_number"`
	ThrottleCount int64            `json:"throttled"`

	// indexes, rebuilt by reindex.
	productByID  map[int64]*product
	variantByID  map[int64]*variant
	itemByID     map[int64]*variant
	variantBySKU map[string]*variant
	locationByID map[int64]*location
	orderByID    map[int64]*order
}

type location struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Active bool   `json:"active"`
}

type product struct {
	ID              int64      `json:"id"`
	Title           string     `json:"title"`
	DescriptionHTML string     `json:"description_html"`
	Handle          string     `json:"handle"`
	ProductType     string     `json:"product_type"`
	Vendor          string     `json:"vendor"`
	Status          string     `json:"status"`
	Tags            []string   `json:"tags"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	Variants        []*variant `json:"variants"`
}

// variant holds its inventory item inline: Shopify ties them one to one.
type variant struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	SKU       string    `json:"sku"`
	Barcode   string    `json:"barcode,omitempty"`
	Price     string    `json:"price"`
	CompareAt string    `json:"compare_at_price,omitempty"`
	Position  int       `json:"position"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Item      invItem   `json:"inventory_item"`

	product *product
}

type invItem struct {
	ID          int64     `json:"id"`
	Tracked     bool      `json:"tracked"`
	Cost        string    `json:"cost,omitempty"`
	WeightValue float64   `json:"weight_value"`
	WeightUnit  string    `json:"weight_unit"`
	UpdatedAt   time.Time `json:"updated_at"`
	Levels      []*level  `json:"levels"`
}

type level struct {
	LocationID int64          `json:"location_id"`
	Quantities map[string]int `json:"quantities"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

type address struct {
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	Company     string `json:"company,omitempty"`
	Address1    string `json:"address1"`
	Address2    string `json:"address2,omitempty"`
	City        string `json:"city"`
	Zip         string `json:"zip"`
	Province    string `json:"province,omitempty"`
	Country     string `json:"country"`
	CountryCode string `json:"country_code"`
	Phone       string `json:"phone,omitempty"`
}

type customer struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
}

type taxLine struct {
	Title string `json:"title"`
	Rate  string `json:"rate"`
	Price string `json:"price"`
}

type lineItem struct {
	ID           int64     `json:"id"`
	VariantID    int64     `json:"variant_id"`
	ProductID    int64     `json:"product_id"`
	SKU          string    `json:"sku"`
	Title        string    `json:"title"`
	VariantTitle string    `json:"variant_title"`
	Quantity     int       `json:"quantity"`
	Price        string    `json:"price"`
	Discount     string    `json:"total_discount"`
	TaxLines     []taxLine `json:"tax_lines"`
	LocationID   int64     `json:"location_id"`
}

type shippingLine struct {
	Title    string    `json:"title"`
	Code     string    `json:"code"`
	Price    string    `json:"price"`
	TaxLines []taxLine `json:"tax_lines"`
}

type order struct {
	ID                int64          `json:"id"`
	Number            int            `json:"number"`
	Name              string         `json:"name"`
	Email             string         `json:"email"`
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
	CancelledAt       *time.Time     `json:"cancelled_at,omitempty"`
	CancelReason      string         `json:"cancel_reason,omitempty"`
	FinancialStatus   string         `json:"financial_status"`
	FulfillmentStatus string         `json:"fulfillment_status"`
	Currency          string         `json:"currency"`
	TaxesIncluded     bool           `json:"taxes_included"`
	Customer          *customer      `json:"customer,omitempty"`
	Billing           *address       `json:"billing_address,omitempty"`
	Shipping          *address       `json:"shipping_address,omitempty"`
	Lines             []lineItem     `json:"line_items"`
	ShippingLines     []shippingLine `json:"shipping_lines"`
	Note              string         `json:"note,omitempty"`
}

type webhookSub struct {
	ID          int64     `json:"id"`
	Topic       string    `json:"topic"` // the GraphQL enum, e.g. ORDERS_CREATE
	CallbackURL string    `json:"callback_url"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type bulkOp struct {
	ID          int64      `json:"id"`
	Query       string     `json:"query"`
	Status      string     `json:"status"`
	ErrorCode   string     `json:"error_code,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	ObjectCount int        `json:"object_count"`
	FileSize    int        `json:"file_size"`
	Result      []byte     `json:"result,omitempty"`
}

// id bases make each kind's ids look like Shopify's and keep them apart.
var idBase = map[string]int64{
	"Product": 8_000_000_000, "ProductVariant": 44_000_000_000, "InventoryItem": 46_000_000_000,
	"Location": 70_000_000_000, "Order": 5_000_000_000, "LineItem": 13_000_000_000,
	"Customer": 7_100_000_000, "WebhookSubscription": 1_100_000_000, "BulkOperation": 3_000_000_000,
	"InventoryAdjustmentGroup": 20_000_000_000,
}

func (st *store) newID(kind string) int64 {
	st.NextID[kind]++
	return idBase[kind] + st.NextID[kind]
}

func (st *store) reindex() {
	st.productByID = map[int64]*product{}
	st.variantByID = map[int64]*variant{}
	st.itemByID = map[int64]*variant{}
	st.variantBySKU = map[string]*variant{}
	st.locationByID = map[int64]*location{}
	st.orderByID = map[int64]*order{}
	for _, l := range st.Locations {
		st.locationByID[l.ID] = l
	}
	for _, p := range st.Products {
		st.productByID[p.ID] = p
		for _, v := range p.Variants {
			v.product = p
			st.indexVariant(v)
		}
	}
	for _, o := range st.Orders {
		st.orderByID[o.ID] = o
	}
}

func (st *store) indexVariant(v *variant) {
	st.variantByID[v.ID] = v
	st.itemByID[v.Item.ID] = v
	if v.SKU != "" {
		st.variantBySKU[v.SKU] = v
	}
}

func (st *store) unindexVariant(v *variant) {
	delete(st.variantByID, v.ID)
	delete(st.itemByID, v.Item.ID)
	if st.variantBySKU[v.SKU] == v {
		delete(st.variantBySKU, v.SKU)
	}
}

func (st *store) setSKU(v *variant, sku string) {
	if st.variantBySKU[v.SKU] == v {
		delete(st.variantBySKU, v.SKU)
	}
	v.SKU = sku
	if sku != "" {
		st.variantBySKU[sku] = v
	}
}

// level returns the item's level at a location, or nil when the item is not
// stocked there.
func (v *variant) level(locationID int64) *level {
	for _, l := range v.Item.Levels {
		if l.LocationID == locationID {
			return l
		}
	}
	return nil
}

func newLevel(locationID int64, available int, now time.Time) *level {
	q := map[string]int{}
	for _, n := range quantityNames {
		q[n] = 0
	}
	q["available"] = available
	q["on_hand"] = available
	return &level{LocationID: locationID, Quantities: q, UpdatedAt: now}
}

// set writes one quantity the way Shopify does: available and on_hand move
// together, committed and reserved are part of on_hand.
func (l *level) set(name string, qty int, now time.Time) (delta int) {
	switch name {
	case "available":
		delta = qty - l.Quantities["available"]
		l.Quantities["available"] = qty
		l.Quantities["on_hand"] += delta
	case "on_hand":
		delta = qty - l.Quantities["on_hand"]
		l.Quantities["on_hand"] = qty
		l.Quantities["available"] += delta
	default:
		delta = qty - l.Quantities[name]
		l.Quantities[name] = qty
	}
	l.UpdatedAt = now
	return delta
}

func gid(kind string, id int64) string {
	return "gid://shopify/" + kind + "/" + strconv.FormatInt(id, 10)
}

// parseGID splits "gid://shopify/Product/123" (optionally with a query, as
// InventoryLevel ids have) into its kind and number.
func parseGID(s string) (kind string, id int64, query string, ok bool) {
	rest, found := strings.CutPrefix(s, "gid://shopify/")
	if !found {
		return "", 0, "", false
	}
	rest, query, _ = strings.Cut(rest, "?")
	kind, num, found := strings.Cut(rest, "/")
	if !found {
		return "", 0, "", false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return "", 0, "", false
	}
	return kind, n, query, true
}

func levelGID(itemID, locationID int64) string {
	return fmt.Sprintf("gid://shopify/InventoryLevel/%d?inventory_item_id=%d", locationID, itemID)
}

func handleize(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// money normalises a decimal to two places, the way Shopify prints amounts.
func money(d decimal.Decimal) string { return d.StringFixed(2) }
