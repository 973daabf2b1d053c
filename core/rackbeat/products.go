package rackbeat

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/url"

	"github.com/shopspring/decimal"
)

// Product is a Rackbeat product. Prices exclude VAT. Quantities are decimals
// because Rackbeat units may be fractional (kg, m).
type Product struct {
	ID                int64           `json:"id"`
	Number            string          `json:"number"`
	URLFriendlyNumber string          `json:"urlfriendly_number"`
	Type              string          `json:"type"`
	Name              string          `json:"name"`
	Description       string          `json:"description"`
	Barcode           string          `json:"barcode"`
	SalesPrice        decimal.Decimal `json:"sales_price"`
	CostPrice         decimal.Decimal `json:"cost_price"`
	StockQuantity     decimal.Decimal `json:"stock_quantity"`
	InOrderQuantity   decimal.Decimal `json:"in_order_quantity"`
	AvailableQuantity decimal.Decimal `json:"available_quantity"`
	IsBarred          bool            `json:"is_barred"`
	InventoryEnabled  bool            `json:"inventory_enabled"`
	Group             ProductGroup    `json:"group"`
	Physical          Physical        `json:"physical"`
	FieldValues       []FieldValue    `json:"field_values"`
	CreatedAt         Time            `json:"created_at"`
	UpdatedAt         Time            `json:"updated_at"`
}

// Field returns the value of custom field id and whether the product has it.
func (p Product) Field(id int64) (string, bool) {
	for _, fv := range p.FieldValues {
		if fv.FieldID == id {
			return fv.Value, true
		}
	}
	return "", false
}

// Physical is a product's weight (and the unit it is given in).
type Physical struct {
	Weight     decimal.Decimal `json:"weight"`
	WeightUnit string          `json:"weight_unit"`
}

// FieldValue is the value of one custom field on an object.
type FieldValue struct {
	FieldID int64  `json:"field_id"`
	Value   string `json:"value"`
}

// UnmarshalJSON reads field_id (or id) and a value that may be a string, a
// number or a boolean.
func (fv *FieldValue) UnmarshalJSON(b []byte) error {
	var raw struct {
		FieldID json.RawMessage `json:"field_id"`
		ID      json.RawMessage `json:"id"`
		Field   *Ref            `json:"field"`
		Value   Text            `json:"value"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	idRaw := raw.FieldID
	if len(idRaw) == 0 {
		idRaw = raw.ID
	}
	id, err := flexInt(idRaw)
	if err != nil {
		return err
	}
	if id == 0 && raw.Field != nil {
		id = raw.Field.Number
	}
	*fv = FieldValue{FieldID: id, Value: string(raw.Value)}
	return nil
}

// ProductInput creates or changes a product. Nil pointers and empty strings
// are left out, so an update touches only what is set.
type ProductInput struct {
	// Number is required to create; on update a different number renames the product.
	Number      string
	Name        string
	Description *string
	Barcode     *string
	// Group is the product group number; required to create.
	Group            int64
	SalesPrice       *decimal.Decimal
	CostPrice        *decimal.Decimal
	Weight           *decimal.Decimal
	WeightUnit       string
	IsBarred         *bool
	InventoryEnabled *bool
	FieldValues      []FieldValue
}

// MarshalJSON writes money and weight as JSON numbers with every digit.
func (in ProductInput) MarshalJSON() ([]byte, error) {
	type physical struct {
		Weight     *num   `json:"weight,omitempty"`
		WeightUnit string `json:"weight_unit,omitempty"`
	}
	type fieldValue struct {
		FieldID int64  `json:"field_id"`
		Value   string `json:"value"`
	}
	w := struct {
		Number           string       `json:"number,omitempty"`
		Name             string       `json:"name,omitempty"`
		Description      *string      `json:"description,omitempty"`
		Barcode          *string      `json:"barcode,omitempty"`
		Group            int64        `json:"group,omitempty"`
		SalesPrice       *num         `json:"sales_price,omitempty"`
		CostPrice        *num         `json:"cost_price,omitempty"`
		Physical         *physical    `json:"physical,omitempty"`
		IsBarred         *bool        `json:"is_barred,omitempty"`
		InventoryEnabled *bool        `json:"inventory_enabled,omitempty"`
		FieldValues      []fieldValue `json:"field_values,omitempty"`
	}{
		Number: in.Number, Name: in.Name, Description: in.Description, Barcode: in.Barcode,
		Group: in.Group, SalesPrice: numOf(in.SalesPrice), CostPrice: numOf(in.CostPrice),
		IsBarred: in.IsBarred, InventoryEnabled: in.InventoryEnabled,
	}
	if in.Weight != nil || in.WeightUnit != "" {
		w.Physical = &physical{Weight: numOf(in.Weight), WeightUnit: in.WeightUnit}
	}
	for _, fv := range in.FieldValues {
		w.FieldValues = append(w.FieldValues, fieldValue(fv))
	}
	return json.Marshal(w)
}

var productList = list{path: "products", key: "products", what: "products"}

// productPath is the path of one product; numbers may contain "/".
func productPath(number string) string { return "products/" + url.PathEscape(number) }

// Products walks every product matching f, a page (f.Limit, default 100) per request.
func (c *Client) Products(ctx context.Context, f Filter) iter.Seq2[Product, error] {
	return all[Product](ctx, c, productList, f)
}

// ProductsPage reads one page of products (page from 1; limit 0 means 100).
func (c *Client) ProductsPage(ctx context.Context, page, limit int, f Filter) (Page[Product], error) {
	return getPage[Product](ctx, c, productList, page, limit, f)
}

// ListProducts reads every product matching f.
func (c *Client) ListProducts(ctx context.Context, f Filter) ([]Product, error) {
	return Collect(c.Products(ctx, f))
}

// Product reads one product by its number.
func (c *Client) Product(ctx context.Context, number string) (Product, error) {
	var p Product
	err := c.one(ctx, request{method: http.MethodGet, path: productPath(number), op: "get product " + quote(number)}, "product", &p)
	return p, err
}

// FindProduct looks a product up by its number and reports whether it
// exists; unlike Product it is no error when it does not.
func (c *Client) FindProduct(ctx context.Context, number string) (Product, bool, error) {
	p, err := c.Product(ctx, number)
	if IsNotFound(err) {
		return Product{}, false, nil
	}
	return p, err == nil, err
}

// CreateProduct creates a product; Number, Name and Group are required.
// A product whose number exists already fails with Class Conflict.
func (c *Client) CreateProduct(ctx context.Context, in ProductInput) (Product, error) {
	op := "create product " + quote(in.Number)
	if !trimmed(in.Number) || !trimmed(in.Name) || in.Group == 0 {
		return Product{}, &Error{Op: op, Class: Invalid, Message: "number, name and group are required",
			Err: errors.New("missing required product fields")}
	}
	var p Product
	err := c.one(ctx, request{method: http.MethodPost, path: "products", body: in, op: op}, "product", &p)
	return p, err
}

// UpdateProduct changes the product with the given number to what in sets.
func (c *Client) UpdateProduct(ctx context.Context, number string, in ProductInput) (Product, error) {
	var p Product
	err := c.one(ctx, request{method: http.MethodPut, path: productPath(number), body: in, op: "update product " + quote(number)}, "product", &p)
	return p, err
}

// DeleteProduct deletes the product with the given number.
func (c *Client) DeleteProduct(ctx context.Context, number string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: productPath(number), op: "delete product " + quote(number)}, nil)
	return err
}

// ProductFields reads the custom field values of a product.
func (c *Client) ProductFields(ctx context.Context, number string) ([]FieldValue, error) {
	return Collect(all[FieldValue](ctx, c, list{path: productPath(number) + "/fields", key: "field_values", what: "fields of product " + quote(number)}, Filter{}))
}

// LocationStock is a product's stock at one location.
type LocationStock struct {
	Location  Ref             `json:"location"`
	InStock   decimal.Decimal `json:"in_stock"`
	Available decimal.Decimal `json:"available"`
}

// ProductLocations reads a product's stock per location.
func (c *Client) ProductLocations(ctx context.Context, number string) ([]LocationStock, error) {
	return Collect(all[LocationStock](ctx, c, list{path: productPath(number) + "/locations", key: "product_locations", what: "stock per location of product " + quote(number)}, Filter{}))
}

// Item is what Rackbeat sells: a product or a BOM (lot), read-only.
type Item = Product

var itemList = list{path: "items", key: "items", what: "items"}

// Items walks every item (products and BOMs) matching f.
func (c *Client) Items(ctx context.Context, f Filter) iter.Seq2[Item, error] {
	return all[Item](ctx, c, itemList, f)
}

// ItemsPage reads one page of items.
func (c *Client) ItemsPage(ctx context.Context, page, limit int, f Filter) (Page[Item], error) {
	return getPage[Item](ctx, c, itemList, page, limit, f)
}

// Item reads one item by number.
func (c *Client) Item(ctx context.Context, number string) (Item, error) {
	var it Item
	err := c.one(ctx, request{method: http.MethodGet, path: "items/" + url.PathEscape(number), op: "get item " + quote(number)}, "item", &it)
	return it, err
}
