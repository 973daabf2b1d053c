package rackbeat

import (
	"bytes"
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/shopspring/decimal"
)

// ProductGroup is a Rackbeat product group; products in a group without
// inventory carry no stock (services, shipping).
type ProductGroup struct {
	Number       int64           `json:"number"`
	Name         string          `json:"name"`
	HasInventory bool            `json:"has_inventory"`
	IsSellable   bool            `json:"is_sellable"`
	VATDomestic  decimal.Decimal `json:"vat_domestic"`
}

// UnmarshalJSON also accepts a bare group number, as some answers nest it.
func (g *ProductGroup) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*g = ProductGroup{}
		return nil
	}
	if b[0] != '{' {
		n, err := flexInt(b)
		*g = ProductGroup{Number: n}
		return err
	}
	type plain ProductGroup
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*g = ProductGroup(p)
	return nil
}

// ProductGroupInput creates a product group.
type ProductGroupInput struct {
	Number       int64            `json:"number,omitempty"`
	Name         string           `json:"name"`
	HasInventory *bool            `json:"has_inventory,omitempty"`
	IsSellable   *bool            `json:"is_sellable,omitempty"`
	VATDomestic  *decimal.Decimal `json:"-"`
}

// MarshalJSON writes the VAT rate as a JSON number.
func (in ProductGroupInput) MarshalJSON() ([]byte, error) {
	type plain ProductGroupInput
	return json.Marshal(struct {
		plain
		VAT *num `json:"vat_domestic,omitempty"`
	}{plain(in), numOf(in.VATDomestic)})
}

// ProductGroups reads every product group.
func (c *Client) ProductGroups(ctx context.Context) ([]ProductGroup, error) {
	return Collect(all[ProductGroup](ctx, c, list{path: "product-groups", key: "product_groups", what: "product groups"}, Filter{}))
}

// ProductGroup reads one product group.
func (c *Client) ProductGroup(ctx context.Context, number int64) (ProductGroup, error) {
	var g ProductGroup
	n := strconv.FormatInt(number, 10)
	err := c.one(ctx, request{method: http.MethodGet, path: "product-groups/" + n, op: "get product group " + n}, "product_group", &g)
	return g, err
}

// CreateProductGroup creates a product group.
func (c *Client) CreateProductGroup(ctx context.Context, in ProductGroupInput) (ProductGroup, error) {
	var g ProductGroup
	err := c.one(ctx, request{method: http.MethodPost, path: "product-groups", body: in, op: "create product group " + quote(in.Name)}, "product_group", &g)
	return g, err
}

// Lot is a BOM (a "strukturvare"): an item made of other items.
type Lot struct {
	ID          int64           `json:"id"`
	Number      string          `json:"number"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Barcode     string          `json:"barcode"`
	SalesPrice  decimal.Decimal `json:"sales_price"`
	CostPrice   decimal.Decimal `json:"cost_price"`
	Group       ProductGroup    `json:"group"`
	IsBarred    bool            `json:"is_barred"`
	Lines       []LotLine       `json:"lines"`
	CreatedAt   Time            `json:"created_at"`
	UpdatedAt   Time            `json:"updated_at"`
}

// LotLine is one component of a BOM: ProductID is the component's product number.
type LotLine struct {
	ProductID string          `json:"product_id"`
	Quantity  decimal.Decimal `json:"quantity"`
}

// UnmarshalJSON reads product_id as a string or a number.
func (l *LotLine) UnmarshalJSON(b []byte) error {
	var raw struct {
		ProductID Text            `json:"product_id"`
		Quantity  decimal.Decimal `json:"quantity"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*l = LotLine{ProductID: string(raw.ProductID), Quantity: raw.Quantity}
	return nil
}

// LotInput creates a BOM.
type LotInput struct {
	Number      string
	Name        string
	Description *string
	Barcode     *string
	Group       int64
	SalesPrice  *decimal.Decimal
	Lines       []LotLine
}

// MarshalJSON writes money and quantities as JSON numbers.
func (in LotInput) MarshalJSON() ([]byte, error) {
	type line struct {
		ProductID string `json:"product_id"`
		Quantity  num    `json:"quantity"`
	}
	w := struct {
		Number      string  `json:"number,omitempty"`
		Name        string  `json:"name,omitempty"`
		Description *string `json:"description,omitempty"`
		Barcode     *string `json:"barcode,omitempty"`
		Group       int64   `json:"group,omitempty"`
		SalesPrice  *num    `json:"sales_price,omitempty"`
		Lines       []line  `json:"lines"`
	}{Number: in.Number, Name: in.Name, Description: in.Description, Barcode: in.Barcode,
		Group: in.Group, SalesPrice: numOf(in.SalesPrice), Lines: []line{}}
	for _, l := range in.Lines {
		w.Lines = append(w.Lines, line{ProductID: l.ProductID, Quantity: num(l.Quantity)})
	}
	return json.Marshal(w)
}

var lotList = list{path: "lots", key: "lots", what: "BOMs"}

// Lots walks every BOM matching f.
func (c *Client) Lots(ctx context.Context, f Filter) iter.Seq2[Lot, error] {
	return all[Lot](ctx, c, lotList, f)
}

// Lot reads one BOM by number.
func (c *Client) Lot(ctx context.Context, number string) (Lot, error) {
	var l Lot
	err := c.one(ctx, request{method: http.MethodGet, path: "lots/" + url.PathEscape(number), op: "get BOM " + quote(number)}, "lot", &l)
	return l, err
}

// CreateLot creates a BOM.
func (c *Client) CreateLot(ctx context.Context, in LotInput) (Lot, error) {
	var l Lot
	err := c.one(ctx, request{method: http.MethodPost, path: "lots", body: in, op: "create BOM " + quote(in.Number)}, "lot", &l)
	return l, err
}

// Location is a stock location.
type Location struct {
	ID        int64  `json:"id"`
	Number    int64  `json:"number"`
	Name      string `json:"name"`
	IsDefault bool   `json:"is_default"`
	ParentID  *int64 `json:"parent_id"`
}

// Locations reads every stock location.
func (c *Client) Locations(ctx context.Context) ([]Location, error) {
	return Collect(all[Location](ctx, c, list{path: "locations", key: "locations", what: "locations"}, Filter{}))
}

// Location reads one stock location.
func (c *Client) Location(ctx context.Context, number int64) (Location, error) {
	var l Location
	n := strconv.FormatInt(number, 10)
	err := c.one(ctx, request{method: http.MethodGet, path: "locations/" + n, op: "get location " + n}, "location", &l)
	return l, err
}

// Field is a custom field definition.
type Field struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// For is the kind of object the field belongs to ("item", "order", …).
	For  string `json:"for"`
	Type string `json:"type"`
	Slug string `json:"slug"`
}

// Fields reads the custom fields defined for objects of one kind, e.g.
// "item" for products (empty: every field).
func (c *Client) Fields(ctx context.Context, forKind string) ([]Field, error) {
	f := Filter{}
	if forKind != "" {
		f.Extra = url.Values{"for": {forKind}}
	}
	return Collect(all[Field](ctx, c, list{path: "fields", key: "fields", what: "custom fields"}, f))
}

// FieldInput defines a custom field.
type FieldInput struct {
	Name string `json:"name"`
	// Type is "text" (the default), "number", "boolean", "date" or "select".
	Type string `json:"type,omitempty"`
	// For is the kind of object: "item" (the default) or "order".
	For string `json:"for,omitempty"`
}

// CreateField defines a custom field, e.g. the two Shopbox id fields the
// Shopbox guide asks for. (POST /fields is not in Rackbeat's public
// documentation; the other custom field calls are.)
func (c *Client) CreateField(ctx context.Context, in FieldInput) (Field, error) {
	var f Field
	err := c.one(ctx, request{method: http.MethodPost, path: "fields", body: in, op: "create custom field " + quote(in.Name)}, "field", &f)
	return f, err
}
