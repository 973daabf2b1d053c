package benchconnector

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/sdk"
)

// Version is the semver the connector reports; set it with -ldflags.
var Version = "1.0.0"

// Name is the connector's name.
const Name = "bench"

// DefaultPageSize is the page size when the host asks for none.
const DefaultPageSize = 500

// SettingsSchema is the JSON Schema of a link's settings.
const SettingsSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "products":  {"type": "integer", "minimum": 0, "description": "products in the generated catalogue"},
    "page_size": {"type": "integer", "minimum": 1, "maximum": 10000, "description": "page size when the host asks for none"}
  }
}`

// Settings are a link's settings.
type Settings struct {
	Products int64 `json:"products"`
	PageSize int   `json:"page_size"`
}

// Connector generates catalogues; it keeps nothing per product.
type Connector struct {
	written atomic.Int64
}

// New returns a connector.
func New() *Connector { return &Connector{} }

// Written is how many product writes the connector has accepted.
func (c *Connector) Written() int64 { return c.written.Load() }

// Describe says what the connector is.
func (c *Connector) Describe() sdk.Description {
	return sdk.Description{
		Name: Name, Version: Version, DisplayName: "Benchmark channel",
		Summary:        "Generates realistic products on the fly to measure the host–connector boundary.",
		Capabilities:   []sdk.Capability{sdk.CapProductsRead, sdk.CapProductsWrite},
		SettingsSchema: json.RawMessage(SettingsSchema),
	}
}

// OpenLink reads the settings.
func (c *Connector) OpenLink(_ context.Context, req sdk.OpenRequest) (sdk.Link, error) {
	s := Settings{Products: 1000, PageSize: DefaultPageSize}
	if len(req.Settings) > 0 {
		dec := json.NewDecoder(strings.NewReader(string(req.Settings)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			return nil, sdk.Invalid("settings", "%v", err)
		}
	}
	if s.Products < 0 {
		return nil, sdk.Invalid("products", "must not be negative")
	}
	if s.PageSize <= 0 || s.PageSize > 10000 {
		return nil, sdk.Invalid("page_size", "must be between 1 and 10000")
	}
	return &Link{c: c, s: s}, nil
}

// Link is one open link on a generated catalogue.
type Link struct {
	c *Connector
	s Settings
}

var (
	_ sdk.ProductReader = (*Link)(nil)
	_ sdk.ProductWriter = (*Link)(nil)
)

// Account names the generated catalogue.
func (l *Link) Account() string {
	return fmt.Sprintf("generated catalogue of %d products", l.s.Products)
}

// Check always succeeds: there is nothing to reach.
func (l *Link) Check(context.Context) (sdk.CheckReport, error) {
	return sdk.CheckReport{Account: l.Account(), Items: []sdk.CheckItem{{Name: "catalogue", OK: true}}}, nil
}

// Close does nothing.
func (l *Link) Close(context.Context) error { return nil }

// ReadProducts emits the catalogue after the cursor ("after:<n>") in
// pages. Each page is freshly allocated, as a connector decoding a
// channel's answer would; only the immutable parts (descriptions,
// prices, option maps) are shared between products.
func (l *Link) ReadProducts(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error {
	size := req.PageSize
	if size <= 0 {
		size = l.s.PageSize
	}
	var next int64
	if req.Cursor != "" {
		after, ok := strings.CutPrefix(req.Cursor, "after:")
		n, err := strconv.ParseInt(after, 10, 64)
		if !ok || err != nil {
			return sdk.Invalid("cursor", "%q is not a cursor of the bench connector", req.Cursor)
		}
		next = n + 1
	}
	for next < l.s.Products {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(int64(size), l.s.Products-next)
		items := make([]sdk.Product, n)
		variants := make([]sdk.Variant, n*3)
		for i := range items {
			Fill(&items[i], variants[i*3:i*3+3:i*3+3], next+int64(i))
		}
		next += n
		page := sdk.ProductPage{Items: items, Cursor: "after:" + strconv.FormatInt(next-1, 10), Last: next >= l.s.Products, TotalEstimate: l.s.Products}
		if err := emit(page); err != nil {
			return err
		}
	}
	if l.s.Products == 0 {
		return emit(sdk.ProductPage{Last: true})
	}
	return nil
}

// WriteProducts accepts every write and answers with channel ids.
func (l *Link) WriteProducts(_ context.Context, writes []sdk.ProductWrite) ([]sdk.ProductWriteResult, error) {
	out := make([]sdk.ProductWriteResult, len(writes))
	for i := range writes {
		w := &writes[i]
		id := w.Product.ID
		if id == "" {
			id = "new-" + w.Key
		}
		vs := make([]sdk.Variant, len(w.Product.Variants))
		for j := range vs {
			vs[j] = sdk.Variant{ID: id + "-" + strconv.Itoa(j), SKU: w.Product.Variants[j].SKU}
		}
		out[i] = sdk.ProductWriteResult{Key: w.Key, Product: sdk.Product{ID: id, Variants: vs}}
	}
	l.c.written.Add(int64(len(writes)))
	return out, nil
}

// templates are the immutable parts products share, so that generating a
// product costs a few small allocations and the benchmark measures the
// boundary.
var templates = func() []template {
	words := strings.Fields("organic cotton merino wool recycled polyester linen bamboo denim canvas leather suede cashmere fleece jersey twill corduroy velvet")
	colours := []string{"Black", "White", "Navy", "Olive", "Sand", "Rust", "Grey", "Teal"}
	out := make([]template, 64)
	for i := range out {
		var d strings.Builder
		for d.Len() < 300+(i*7)%200 {
			d.WriteString(words[(i+d.Len())%len(words)])
			d.WriteString(" ")
		}
		d.WriteString("— machine washable at 40 °C, made in Portugal.")
		price := decimal.New(int64(19900+i*1250), -2)
		out[i] = template{
			title:       fmt.Sprintf("%s %s T-shirt", strings.ToUpper(words[i%len(words)][:1])+words[i%len(words)][1:], colours[i%len(colours)]),
			description: d.String(),
			category:    []string{"T-shirts", "Hoodies", "Trousers", "Socks"}[i%4],
			vendor:      "Nordvik Apparel",
			price:       sdk.Money{Amount: price, Currency: "DKK"},
			cost:        sdk.Money{Amount: price.Div(decimal.NewFromInt(3)).Round(2), Currency: "DKK"},
			weight:      sdk.Weight{Value: decimal.New(int64(180+i), 0), Unit: sdk.Grams},
		}
		for j, sz := range []string{"S", "M", "L"} {
			out[i].options[j] = map[string]string{"Size": sz, "Colour": colours[i%len(colours)]}
			out[i].titles[j] = sz + " / " + colours[i%len(colours)]
		}
	}
	return out
}()

type template struct {
	title, description, category, vendor string
	price, cost                          sdk.Money
	weight                               sdk.Weight
	options                              [3]map[string]string
	titles                               [3]string
}

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Fill writes product n of the catalogue into p, using variants (length 3)
// for its variants.
func Fill(p *sdk.Product, variants []sdk.Variant, n int64) {
	t := &templates[n%int64(len(templates))]
	id := strconv.FormatInt(n, 10)
	updated := epoch.Add(time.Duration(n) * time.Second)
	for j := range variants {
		sku := "NV-" + id + "-" + t.titles[j][:1]
		variants[j] = sdk.Variant{
			ID: sku, SKU: sku, Title: t.titles[j], Barcode: "57" + id,
			Price: t.price, PriceIncludesVAT: true, Cost: t.cost, Weight: t.weight,
			InventoryItemID: sku, Options: t.options[j], UpdatedAt: updated,
		}
	}
	*p = sdk.Product{
		ID: id, Title: t.title, Description: t.description, Category: t.category, Vendor: t.vendor,
		Status: "active", Variants: variants, UpdatedAt: updated,
	}
}
