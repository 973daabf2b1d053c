package shopify

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/plugins/shopify/graphql"
	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopspring/decimal"
)

// variantsFirst is how many variants a product page carries inline; a
// product with more has the rest read separately.
const variantsFirst = 10

// productCost is the requested cost of one product of a page: the product,
// its variant connection, and per variant the variant, its options, its
// inventory item with cost and weight.
const productCost = 3 + variantsFirst*6

type gqlProduct struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	DescriptionHTML string    `json:"descriptionHtml"`
	ProductType     string    `json:"productType"`
	Vendor          string    `json:"vendor"`
	Status          string    `json:"status"`
	UpdatedAt       time.Time `json:"updatedAt"`
	Variants        struct {
		Nodes    []gqlVariant `json:"nodes"`
		PageInfo pageInfo     `json:"pageInfo"`
	} `json:"variants"`
}

type gqlVariant struct {
	ID              string    `json:"id"`
	SKU             *string   `json:"sku"`
	Title           string    `json:"title"`
	Barcode         *string   `json:"barcode"`
	Price           string    `json:"price"`
	UpdatedAt       time.Time `json:"updatedAt"`
	SelectedOptions []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"selectedOptions"`
	InventoryItem *struct {
		ID       string `json:"id"`
		UnitCost *struct {
			Amount       string `json:"amount"`
			CurrencyCode string `json:"currencyCode"`
		} `json:"unitCost"`
		Measurement *struct {
			Weight *struct {
				Value json.Number `json:"value"`
				Unit  string      `json:"unit"`
			} `json:"weight"`
		} `json:"measurement"`
	} `json:"inventoryItem"`
	ParentID string `json:"__parentId"`
}

var weightUnits = map[string]sdk.WeightUnit{"GRAMS": sdk.Grams, "KILOGRAMS": sdk.Kilograms, "OUNCES": sdk.Ounces, "POUNDS": sdk.Pounds}
var weightEnums = map[sdk.WeightUnit]string{sdk.Grams: "GRAMS", sdk.Kilograms: "KILOGRAMS", sdk.Ounces: "OUNCES", sdk.Pounds: "POUNDS"}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// canonical maps a Shopify product to the sdk's product.
func (l *link) canonical(p gqlProduct, currency string) sdk.Product {
	out := sdk.Product{
		ID: p.ID, Title: p.Title, Description: p.DescriptionHTML, Category: p.ProductType, CategoryID: p.ProductType,
		Vendor: p.Vendor, Status: strings.ToLower(p.Status), UpdatedAt: p.UpdatedAt,
	}
	for _, v := range p.Variants.Nodes {
		cv := sdk.Variant{ID: v.ID, SKU: str(v.SKU), Title: v.Title, Barcode: str(v.Barcode), UpdatedAt: v.UpdatedAt, PriceIncludesVAT: false}
		if d, err := decimal.NewFromString(v.Price); err == nil {
			cv.Price = sdk.Money{Amount: d, Currency: currency}
		}
		if len(v.SelectedOptions) > 0 && !(len(v.SelectedOptions) == 1 && v.SelectedOptions[0].Value == "Default Title") {
			cv.Options = map[string]string{}
			for _, o := range v.SelectedOptions {
				cv.Options[o.Name] = o.Value
			}
		}
		if it := v.InventoryItem; it != nil {
			cv.InventoryItemID = it.ID
			if it.UnitCost != nil {
				if d, err := decimal.NewFromString(it.UnitCost.Amount); err == nil {
					cv.Cost = sdk.Money{Amount: d, Currency: it.UnitCost.CurrencyCode}
				}
			}
			if it.Measurement != nil && it.Measurement.Weight != nil {
				if d, err := decimal.NewFromString(it.Measurement.Weight.Value.String()); err == nil {
					cv.Weight = sdk.Weight{Value: d, Unit: weightUnits[it.Measurement.Weight.Unit]}
				}
			}
		}
		l.remember(cv.SKU, variantRef{VariantID: v.ID, ProductID: p.ID, InventoryItemID: cv.InventoryItemID})
		out.Variants = append(out.Variants, cv)
	}
	return out
}

// moreVariants reads the variants of p past the first page.
func (l *link) moreVariants(ctx context.Context, p *gqlProduct) error {
	after := p.Variants.PageInfo.after()
	for p.Variants.PageInfo.HasNextPage {
		var resp struct {
			Product *struct {
				Variants struct {
					Nodes    []gqlVariant `json:"nodes"`
					PageInfo pageInfo     `json:"pageInfo"`
				} `json:"variants"`
			} `json:"product"`
		}
		vars := map[string]any{"id": p.ID, "first": 100, "after": after}
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.ProductVariants, Variables: vars, Cost: 3 + 100*6}, &resp); err != nil {
			return err
		}
		if resp.Product == nil {
			return nil
		}
		p.Variants.Nodes = append(p.Variants.Nodes, resp.Product.Variants.Nodes...)
		p.Variants.PageInfo = resp.Product.Variants.PageInfo
		after = p.Variants.PageInfo.after()
	}
	return nil
}

// ReadProducts reads products changed since the cursor, by updated_at, or
// the products with the given ids or SKUs. A first full read of a catalogue
// above bulk_threshold runs as a bulk operation when the host allows it.
func (l *link) ReadProducts(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error {
	currency, err := l.shopCurrency(ctx)
	if err != nil {
		return err
	}
	if len(req.IDs) > 0 || len(req.SKUs) > 0 {
		return l.readProductsOf(ctx, req, currency, emit)
	}
	var w window
	if req.Cursor != "" {
		if err := decodeCursor(req.Cursor, &w); err != nil {
			return err
		}
	}
	overlap := time.Duration(*l.settings.OverlapSeconds) * time.Second
	w.start(l.clock.Now())
	if w.Bulk == "" && w.After == "" && req.AllowBulk && *l.settings.BulkThreshold > 0 {
		if n, err := l.productCount(ctx, w.filter()); err == nil && n > *l.settings.BulkThreshold {
			return l.readProductsBulk(ctx, w, currency, overlap, emit)
		}
	}
	if w.Bulk != "" {
		return l.readProductsBulk(ctx, w, currency, overlap, emit)
	}
	q := windowQuery[gqlProduct, sdk.Product]{
		doc: graphql.Products, root: "products", nodeCost: productCost,
		vars: map[string]any{"variantsFirst": variantsFirst},
		key:  func(p gqlProduct) (string, time.Time) { return p.ID, p.UpdatedAt },
		complete: func(ctx context.Context, p gqlProduct) (sdk.Product, error) {
			if err := l.moreVariants(ctx, &p); err != nil {
				return sdk.Product{}, err
			}
			return l.canonical(p, currency), nil
		},
	}
	return readWindow(ctx, l.gql, q, w, overlap, req.PageSize, func(items []sdk.Product, cursor string, last bool) error {
		return emit(sdk.ProductPage{Items: items, Cursor: cursor, Last: last})
	})
}

// readProductsOf reads products by id, or the products holding given SKUs.
func (l *link) readProductsOf(ctx context.Context, req sdk.ReadRequest, currency string, emit func(sdk.ProductPage) error) error {
	ids := make([]string, 0, len(req.IDs))
	seen := map[string]bool{}
	for _, id := range req.IDs {
		g, ok := normaliseGID(id, "Product")
		if !ok {
			return sdk.Invalid("ids", "%q is not a Shopify product id", id)
		}
		if !seen[g] {
			seen[g] = true
			ids = append(ids, g)
		}
	}
	refs, err := l.resolveSKUs(ctx, req.SKUs)
	if err != nil {
		return err
	}
	for _, s := range req.SKUs {
		if r, ok := refs[s]; ok && r.err == nil && !seen[r.ProductID] {
			seen[r.ProductID] = true
			ids = append(ids, r.ProductID)
		}
	}
	per := (graphql.MaxQueryCost - 2) / productCost
	for start := 0; start < len(ids) || start == 0; start += per {
		part := ids[start:min(len(ids), start+per)]
		page := sdk.ProductPage{Last: start+per >= len(ids)}
		if len(part) > 0 {
			var resp struct {
				Nodes []*gqlProduct `json:"nodes"`
			}
			vars := map[string]any{"ids": part, "variantsFirst": variantsFirst}
			if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.ProductsByID, Variables: vars, Cost: len(part) * productCost}, &resp); err != nil {
				return err
			}
			for _, p := range resp.Nodes {
				if p == nil || p.ID == "" {
					continue
				}
				if err := l.moreVariants(ctx, p); err != nil {
					return err
				}
				page.Items = append(page.Items, l.canonical(*p, currency))
			}
		}
		if err := emit(page); err != nil {
			return err
		}
		if page.Last {
			return nil
		}
	}
	return nil
}

// WriteProducts creates and updates products with the seed's Rackbeat →
// Shopify fields, leaving fields a write does not carry alone.
func (l *link) WriteProducts(ctx context.Context, writes []sdk.ProductWrite) ([]sdk.ProductWriteResult, error) {
	out := make([]sdk.ProductWriteResult, len(writes))
	var skus []string
	for _, w := range writes {
		if w.Product.ID == "" {
			for _, v := range w.Product.Variants {
				if v.SKU != "" {
					skus = append(skus, v.SKU)
				}
			}
		}
	}
	refs, err := l.resolveSKUs(ctx, skus)
	if err != nil {
		return nil, err
	}
	for i, w := range writes {
		out[i].Key = w.Key
		p, err := l.writeProduct(ctx, w, refs)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			out[i].Err = sdk.AsError(err)
			continue
		}
		out[i].Product = p
	}
	return out, nil
}

type writtenProduct struct {
	ID        string    `json:"id"`
	UpdatedAt time.Time `json:"updatedAt"`
	Variants  struct {
		Nodes []struct {
			ID            string  `json:"id"`
			SKU           *string `json:"sku"`
			InventoryItem struct {
				ID string `json:"id"`
			} `json:"inventoryItem"`
		} `json:"nodes"`
	} `json:"variants"`
}

func (l *link) writeProduct(ctx context.Context, w sdk.ProductWrite, refs map[string]skuRef) (sdk.Product, error) {
	p := w.Product
	if len(p.Variants) == 0 {
		return p, sdk.Invalid("variants", "a product needs at least one variant")
	}
	for _, v := range p.Variants {
		if v.SKU == "" && w.Carries(sdk.FieldSKU) && p.ID == "" {
			return p, sdk.Invalid("sku", "a variant without SKU cannot be matched between Rackbeat and Shopify")
		}
	}
	id := p.ID
	if id != "" {
		g, ok := normaliseGID(id, "Product")
		if !ok {
			return p, sdk.Invalid("id", "%q is not a Shopify product id", id)
		}
		id = g
	}
	// A product the host has no id for may exist already under one of its
	// SKUs: update it rather than create a duplicate.
	existing := map[string]variantRef{}
	for _, v := range p.Variants {
		r, ok := refs[v.SKU]
		if !ok {
			continue
		}
		if r.err != nil {
			return p, r.err
		}
		if id == "" {
			id = r.ProductID
		}
		if r.ProductID == id {
			existing[v.SKU] = r.variantRef
		}
	}
	var wp *writtenProduct
	var err error
	if id == "" {
		wp, err = l.createProduct(ctx, w)
	} else {
		wp, err = l.updateProduct(ctx, id, w, existing)
	}
	if err != nil {
		return p, err
	}
	p.ID = wp.ID
	p.UpdatedAt = wp.UpdatedAt
	bySKU := map[string]int{}
	for i, v := range wp.Variants.Nodes {
		bySKU[str(v.SKU)] = i
		l.remember(str(v.SKU), variantRef{VariantID: v.ID, ProductID: wp.ID, InventoryItemID: v.InventoryItem.ID})
	}
	for i := range p.Variants {
		if k, ok := bySKU[p.Variants[i].SKU]; ok {
			p.Variants[i].ID = wp.Variants.Nodes[k].ID
			p.Variants[i].InventoryItemID = wp.Variants.Nodes[k].InventoryItem.ID
		}
	}
	return p, nil
}

// optionsOf returns the product's option names in a stable order.
func optionsOf(p sdk.Product) []string {
	var names []string
	seen := map[string]bool{}
	for _, v := range p.Variants {
		for n := range v.Options {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Strings(names)
	return names
}

func (l *link) productFields(w sdk.ProductWrite, in map[string]any) {
	p := w.Product
	if w.Carries(sdk.FieldTitle) {
		in["title"] = p.Title
	}
	if w.Carries(sdk.FieldDescription) {
		in["descriptionHtml"] = descriptionHTML(p.Description)
	}
	if w.Carries(sdk.FieldCategory) {
		in["productType"] = p.Category
	}
	if w.Carries(sdk.FieldStatus) && p.Status != "" {
		in["status"] = strings.ToUpper(p.Status)
	}
	if p.Vendor != "" && len(w.Fields) == 0 {
		in["vendor"] = p.Vendor
	}
}

var htmlTag = regexp.MustCompile(`<[a-zA-Z/][^>]*>`)

// descriptionHTML keeps HTML as it is and turns plain text (Rackbeat's
// descriptions) into paragraphs, escaped.
func descriptionHTML(s string) string {
	if s == "" || htmlTag.MatchString(s) {
		return s
	}
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		b.WriteString("<p>" + strings.ReplaceAll(r.Replace(para), "\n", "<br>") + "</p>")
	}
	return b.String()
}

// variantFields fills a variant input with the carried fields; sku and
// inventory item fields go into inventoryItem.
func variantFields(w sdk.ProductWrite, v sdk.Variant, in map[string]any) error {
	if w.Carries(sdk.FieldPrice) && !v.Price.IsZero() {
		if v.Price.Amount.IsNegative() {
			return sdk.Invalid("price", "%s is negative", v.Price.Amount)
		}
		in["price"] = v.Price.Amount.StringFixed(2)
	}
	if w.Carries(sdk.FieldBarcode) {
		in["barcode"] = v.Barcode
	}
	item := map[string]any{}
	if w.Carries(sdk.FieldSKU) {
		item["sku"] = v.SKU
	}
	if w.Carries(sdk.FieldCost) && !v.Cost.IsZero() {
		item["cost"] = v.Cost.Amount.String()
	}
	if w.Carries(sdk.FieldWeight) && !v.Weight.IsZero() {
		unit, ok := weightEnums[v.Weight.Unit]
		if !ok {
			return sdk.Invalid("weight", "unit %q is not one of g, kg, oz, lb", v.Weight.Unit)
		}
		item["measurement"] = map[string]any{"weight": map[string]any{"value": json.Number(v.Weight.Value.String()), "unit": unit}}
	}
	if len(item) > 0 {
		in["inventoryItem"] = item
	}
	return nil
}

type productPayload struct {
	Product    *writtenProduct `json:"product"`
	UserErrors []userError     `json:"userErrors"`
}

// payloadError maps a mutation's userErrors to the sdk's classes.
func payloadError(what string, errs []userError) error {
	if len(errs) == 0 {
		return nil
	}
	ue := errs[0]
	field := "product"
	if len(ue.Field) > 0 {
		field = ue.Field[len(ue.Field)-1]
	}
	var e *sdk.Error
	switch code := ue.code(); {
	case strings.Contains(code, "DOES_NOT_EXIST") || strings.Contains(code, "NOT_FOUND"):
		e = sdk.NotFound("shopify: %s: %s", what, ue.Message)
	case strings.Contains(code, "TAKEN") || strings.Contains(code, "ALREADY_EXISTS"):
		e = sdk.Errorf(sdk.ClassConflict, "shopify: %s: %s", what, ue.Message)
	default:
		e = sdk.Invalid(field, "shopify: %s: %s", what, ue.Message)
	}
	e.Code = ue.code()
	return e
}

func (l *link) createProduct(ctx context.Context, w sdk.ProductWrite) (*writtenProduct, error) {
	p := w.Product
	in := map[string]any{"status": "ACTIVE"}
	l.productFields(w, in)
	if t, _ := in["title"].(string); strings.TrimSpace(t) == "" {
		return nil, sdk.Invalid("title", "a new Shopify product needs a title")
	}
	names := optionsOf(p)
	if len(names) == 0 {
		names = []string{"Title"}
	}
	values := map[string][]string{}
	var variants []map[string]any
	for _, v := range p.Variants {
		vin := map[string]any{}
		if err := variantFields(w, v, vin); err != nil {
			return nil, err
		}
		item, _ := vin["inventoryItem"].(map[string]any)
		if item == nil {
			item = map[string]any{}
		}
		item["sku"] = v.SKU
		item["tracked"] = true
		vin["inventoryItem"] = item
		var ovs []map[string]any
		for _, n := range names {
			val := v.Options[n]
			if val == "" {
				val = "Default Title"
				if len(p.Variants) > 1 {
					val = v.SKU
				}
			}
			if !contains(values[n], val) {
				values[n] = append(values[n], val)
			}
			ovs = append(ovs, map[string]any{"optionName": n, "name": val})
		}
		vin["optionValues"] = ovs
		variants = append(variants, vin)
	}
	var opts []map[string]any
	for _, n := range names {
		var vals []map[string]any
		for _, v := range values[n] {
			vals = append(vals, map[string]any{"name": v})
		}
		opts = append(opts, map[string]any{"name": n, "values": vals})
	}
	in["productOptions"] = opts
	in["variants"] = variants
	var resp struct {
		ProductSet *productPayload `json:"productSet"`
	}
	cost := 10 + (len(variants)+4)/5 + 3 + 250*3
	if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.ProductCreate, Variables: map[string]any{"input": in}, Cost: cost, Unsafe: true}, &resp); err != nil {
		return nil, err
	}
	if resp.ProductSet == nil {
		return nil, sdk.Retryable(time.Second, "shopify: productSet answered without a payload")
	}
	if err := payloadError("create product", resp.ProductSet.UserErrors); err != nil {
		return nil, err
	}
	if resp.ProductSet.Product == nil {
		return nil, sdk.Retryable(time.Second, "shopify: productSet created no product")
	}
	return resp.ProductSet.Product, nil
}

func (l *link) updateProduct(ctx context.Context, id string, w sdk.ProductWrite, existing map[string]variantRef) (*writtenProduct, error) {
	p := w.Product
	in := map[string]any{}
	l.productFields(w, in)
	if len(in) > 0 {
		in["id"] = id
		var resp struct {
			ProductUpdate *struct {
				Product    *struct{ ID string } `json:"product"`
				UserErrors []userError          `json:"userErrors"`
			} `json:"productUpdate"`
		}
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.ProductUpdate, Variables: map[string]any{"product": in}, Cost: 11}, &resp); err != nil {
			return nil, err
		}
		if resp.ProductUpdate == nil {
			return nil, sdk.Retryable(time.Second, "shopify: productUpdate answered without a payload")
		}
		if err := payloadError("update product", resp.ProductUpdate.UserErrors); err != nil {
			return nil, err
		}
	}
	var upd, add []map[string]any
	for _, v := range p.Variants {
		vin := map[string]any{}
		if err := variantFields(w, v, vin); err != nil {
			return nil, err
		}
		vid := v.ID
		if r, ok := existing[v.SKU]; ok && vid == "" {
			vid = r.VariantID
		}
		if vid != "" {
			g, ok := normaliseGID(vid, "ProductVariant")
			if !ok {
				return nil, sdk.Invalid("variant_id", "%q is not a Shopify variant id", vid)
			}
			vin["id"] = g
			upd = append(upd, vin)
			continue
		}
		item, _ := vin["inventoryItem"].(map[string]any)
		if item == nil {
			item = map[string]any{}
		}
		item["sku"] = v.SKU
		item["tracked"] = true
		vin["inventoryItem"] = item
		var ovs []map[string]any
		for n, val := range v.Options {
			ovs = append(ovs, map[string]any{"optionName": n, "name": val})
		}
		if len(ovs) == 0 {
			ovs = []map[string]any{{"optionName": "Title", "name": v.SKU}}
		}
		vin["optionValues"] = ovs
		add = append(add, vin)
	}
	var last *writtenProduct
	send := func(doc graphql.Document, field string, list []map[string]any, unsafe bool) error {
		for start := 0; start < len(list); start += 250 {
			part := list[start:min(len(list), start+250)]
			var resp map[string]*productPayload
			vars := map[string]any{"productId": id, "variants": part}
			if _, err := l.gql.Do(ctx, graphql.Request{Doc: doc, Variables: vars, Cost: 10 + 3 + 250*3, Unsafe: unsafe}, &resp); err != nil {
				return err
			}
			pl := resp[field]
			if pl == nil {
				return sdk.Retryable(time.Second, "shopify: %s answered without a payload", field)
			}
			if err := payloadError("write variants", pl.UserErrors); err != nil {
				return err
			}
			last = pl.Product
		}
		return nil
	}
	if err := send(graphql.VariantsUpdate, "productVariantsBulkUpdate", upd, false); err != nil {
		return nil, err
	}
	if err := send(graphql.VariantsCreate, "productVariantsBulkCreate", add, true); err != nil {
		return nil, err
	}
	if last == nil {
		last = &writtenProduct{ID: id}
	}
	return last, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
