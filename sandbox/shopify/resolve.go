package shopify

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// record is an object whose fields are fixed values: payloads, errors, money.
type record struct {
	typ    string
	fields map[string]any
}

func (r *record) typeName() string { return r.typ }
func (r *record) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	return r.fields[name], nil
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return ts(*t)
}

func (s *Server) moneyV2(amount string) *record {
	return &record{typ: "MoneyV2", fields: map[string]any{"amount": amount, "currencyCode": s.opts.Currency}}
}

func (s *Server) moneyBag(amount string) *record {
	m := s.moneyV2(amount)
	return &record{typ: "MoneyBag", fields: map[string]any{"shopMoney": m, "presentmentMoney": m}}
}

type queryRoot struct{}

func (queryRoot) typeName() string { return "QueryRoot" }

func (queryRoot) field(e *execCtx, name string, args map[string]any) (any, error) {
	st := e.s.st
	switch name {
	case "shop":
		return &shopObj{}, nil
	case "currentAppInstallation":
		var scopes []object
		for _, h := range strings.Split(e.s.scopeOf(e.token), ",") {
			if h = strings.TrimSpace(h); h != "" {
				scopes = append(scopes, &record{typ: "AccessScope", fields: map[string]any{"handle": h, "description": h}})
			}
		}
		return &record{typ: "AppInstallation", fields: map[string]any{
			"id": gid("AppInstallation", 1), "accessScopes": scopes, "launchUrl": "https://" + e.s.opts.Shop + "/admin/apps/sandbox",
		}}, nil
	case "productTypes", "productVendors", "productTags":
		seen := map[string]bool{}
		var items []pageItem
		for _, p := range st.Products {
			vals := map[string][]string{"productTypes": {p.ProductType}, "productVendors": {p.Vendor}, "productTags": p.Tags}[name]
			for _, v := range vals {
				if v != "" && !seen[v] {
					seen[v] = true
					items = append(items, pageItem{obj: v, key: sortKey{Value: v}})
				}
			}
		}
		return e.paginate(args, items)
	case "locations":
		var items []pageItem
		for _, l := range st.Locations {
			if !l.Active && !argBool(args, "includeInactive") {
				continue
			}
			items = append(items, pageItem{obj: &locationObj{l}, key: sortKey{Value: strings.ToLower(l.Name), ID: l.ID}})
		}
		if sk, _ := argString(args, "sortKey"); sk == "ID" {
			for i := range items {
				items[i].key.Value = ""
			}
		}
		return e.paginate(args, items)
	case "location":
		id, ok := argString(args, "id")
		if !ok {
			return &locationObj{st.Locations[0]}, nil
		}
		if l := st.locationByID[gidNum(id, "Location")]; l != nil {
			return &locationObj{l}, nil
		}
		return nil, nil
	case "products":
		return e.products(args)
	case "productsCount":
		// An exact count: the catalogues a sandbox holds are small enough
		// that Shopify's 10,000 cap (precision AT_LEAST) never applies.
		terms := parseSearch(strOr(args, "query"))
		n := 0
		for _, p := range st.Products {
			if p.searchable().match(terms) {
				n++
			}
		}
		return &record{typ: "Count", fields: map[string]any{"count": n, "precision": "EXACT"}}, nil
	case "product":
		id, _ := argString(args, "id")
		if p := st.productByID[gidNum(id, "Product")]; p != nil {
			return &productObj{p}, nil
		}
		return nil, nil
	case "productVariants":
		return e.variants(args)
	case "productVariant":
		id, _ := argString(args, "id")
		if v := st.variantByID[gidNum(id, "ProductVariant")]; v != nil {
			return &variantObj{v}, nil
		}
		return nil, nil
	case "inventoryItems":
		terms := parseSearch(strOr(args, "query"))
		var items []pageItem
		for _, p := range st.Products {
			for _, v := range p.Variants {
				if !v.searchable().match(terms) {
					continue
				}
				items = append(items, pageItem{obj: &itemObj{v}, key: sortKey{ID: v.Item.ID}})
			}
		}
		return e.paginate(args, items)
	case "inventoryItem":
		id, _ := argString(args, "id")
		if v := st.itemByID[gidNum(id, "InventoryItem")]; v != nil {
			return &itemObj{v}, nil
		}
		return nil, nil
	case "inventoryLevel":
		id, _ := argString(args, "id")
		return e.levelByGID(id), nil
	case "orders":
		return e.orders(args)
	case "order":
		id, _ := argString(args, "id")
		if o := st.orderByID[gidNum(id, "Order")]; o != nil && e.orderVisible(o) {
			return &orderObj{o}, nil
		}
		return nil, nil
	case "webhookSubscriptions":
		return e.webhookSubscriptions(args)
	case "webhookSubscription":
		id, _ := argString(args, "id")
		for _, w := range st.Webhooks {
			if gid("WebhookSubscription", w.ID) == id {
				return &webhookObj{w}, nil
			}
		}
		return nil, nil
	case "currentBulkOperation":
		if len(st.Bulk) == 0 {
			return nil, nil
		}
		return &bulkObj{st.Bulk[len(st.Bulk)-1]}, nil
	case "bulkOperation":
		id, _ := argString(args, "id")
		return e.node(id), nil
	case "node":
		id, _ := argString(args, "id")
		return e.node(id), nil
	case "nodes":
		var out []any
		for _, id := range argList(args, "ids") {
			n := e.node(toString(id))
			if n == nil {
				out = append(out, nil)
			} else {
				out = append(out, n)
			}
		}
		return out, nil
	}
	return nil, nil
}

func strOr(args map[string]any, name string) string {
	s, _ := argString(args, name)
	return s
}

// gidNum is the number of a gid of the given kind, or 0.
func gidNum(s, kind string) int64 {
	k, n, _, ok := parseGID(s)
	if !ok || k != kind {
		return 0
	}
	return n
}

func (e *execCtx) node(id string) object {
	kind, n, q, ok := parseGID(id)
	if !ok {
		return nil
	}
	st := e.s.st
	switch kind {
	case "Product":
		if p := st.productByID[n]; p != nil {
			return &productObj{p}
		}
	case "ProductVariant":
		if v := st.variantByID[n]; v != nil {
			return &variantObj{v}
		}
	case "InventoryItem":
		if v := st.itemByID[n]; v != nil {
			return &itemObj{v}
		}
	case "InventoryLevel":
		_ = q
		return e.levelByGID(id)
	case "Location":
		if l := st.locationByID[n]; l != nil {
			return &locationObj{l}
		}
	case "Order":
		if o := st.orderByID[n]; o != nil && e.orderVisible(o) {
			return &orderObj{o}
		}
	case "WebhookSubscription":
		for _, w := range st.Webhooks {
			if w.ID == n {
				return &webhookObj{w}
			}
		}
	case "BulkOperation":
		for _, b := range st.Bulk {
			if b.ID == n {
				return &bulkObj{b}
			}
		}
	}
	return nil
}

func (e *execCtx) levelByGID(id string) object {
	kind, locID, q, ok := parseGID(id)
	if !ok || kind != "InventoryLevel" {
		return nil
	}
	vals, _ := url.ParseQuery(q)
	itemID, _ := strconv.ParseInt(vals.Get("inventory_item_id"), 10, 64)
	v := e.s.st.itemByID[itemID]
	if v == nil {
		return nil
	}
	if l := v.level(locID); l != nil {
		return &levelObj{v: v, l: l}
	}
	return nil
}

func (p *product) searchable() searchable {
	skus := make([]string, 0, len(p.Variants))
	for _, v := range p.Variants {
		skus = append(skus, v.SKU)
	}
	return searchable{
		times:   map[string]time.Time{"updated_at": p.UpdatedAt, "created_at": p.CreatedAt},
		ints:    map[string][]int64{"id": {p.ID}},
		strings: map[string][]string{"title": {p.Title}, "sku": skus, "status": {p.Status}, "product_type": {p.ProductType}, "vendor": {p.Vendor}, "handle": {p.Handle}, "tag": p.Tags},
	}
}

func (v *variant) searchable() searchable {
	return searchable{
		times:   map[string]time.Time{"updated_at": v.UpdatedAt, "created_at": v.CreatedAt},
		ints:    map[string][]int64{"id": {v.ID}, "product_id": {v.product.ID}, "inventory_item_id": {v.Item.ID}},
		strings: map[string][]string{"title": {v.Title}, "sku": {v.SKU}, "barcode": {v.Barcode}, "product_status": {v.product.Status}},
	}
}

func (o *order) searchable() searchable {
	fin := strings.ToLower(o.FinancialStatus)
	return searchable{
		times: map[string]time.Time{"updated_at": o.UpdatedAt, "created_at": o.CreatedAt, "processed_at": o.CreatedAt},
		ints:  map[string][]int64{"id": {o.ID}},
		strings: map[string][]string{"name": {o.Name, strings.TrimPrefix(o.Name, "#")}, "email": {o.Email},
			"financial_status": {fin}, "fulfillment_status": {strings.ToLower(o.FulfillmentStatus)},
			"status": {orderStatus(o)}},
	}
}

// orderVisible applies Shopify's rule that an app without read_all_orders
// sees only the last 60 days of orders.
func (e *execCtx) orderVisible(o *order) bool {
	for _, sc := range strings.Split(e.s.scopeOf(e.token), ",") {
		if strings.TrimSpace(sc) == "read_all_orders" {
			return true
		}
	}
	return !o.CreatedAt.Before(e.s.now().Add(-60 * 24 * time.Hour))
}

func orderStatus(o *order) string {
	if o.CancelledAt != nil {
		return "cancelled"
	}
	return "open"
}

func (e *execCtx) products(args map[string]any) (any, error) {
	terms := parseSearch(strOr(args, "query"))
	sk, _ := argString(args, "sortKey")
	var items []pageItem
	for _, p := range e.s.st.Products {
		if !p.searchable().match(terms) {
			continue
		}
		items = append(items, pageItem{obj: &productObj{p}, key: productKey(p, sk)})
	}
	return e.paginate(args, items)
}

func productKey(p *product, sortKeyName string) sortKey {
	switch sortKeyName {
	case "UPDATED_AT":
		return sortKey{Value: timeKey(p.UpdatedAt), ID: p.ID}
	case "CREATED_AT":
		return sortKey{Value: timeKey(p.CreatedAt), ID: p.ID}
	case "TITLE":
		return sortKey{Value: strings.ToLower(p.Title), ID: p.ID}
	case "PRODUCT_TYPE":
		return sortKey{Value: p.ProductType, ID: p.ID}
	case "VENDOR":
		return sortKey{Value: p.Vendor, ID: p.ID}
	}
	return sortKey{ID: p.ID}
}

func (e *execCtx) variants(args map[string]any) (any, error) {
	terms := parseSearch(strOr(args, "query"))
	sk, _ := argString(args, "sortKey")
	var items []pageItem
	for _, p := range e.s.st.Products {
		for _, v := range p.Variants {
			if !v.searchable().match(terms) {
				continue
			}
			k := sortKey{ID: v.ID}
			switch sk {
			case "SKU":
				k.Value = v.SKU
			case "TITLE", "NAME", "FULL_TITLE":
				k.Value = strings.ToLower(p.Title + " " + v.Title)
			case "POSITION":
				k.Value = idKey(int64(v.Position))
			}
			items = append(items, pageItem{obj: &variantObj{v}, key: k})
		}
	}
	return e.paginate(args, items)
}

func (e *execCtx) orders(args map[string]any) (any, error) {
	terms := parseSearch(strOr(args, "query"))
	sk, _ := argString(args, "sortKey")
	var items []pageItem
	for _, o := range e.s.st.Orders {
		if !o.searchable().match(terms) || !e.orderVisible(o) {
			continue
		}
		k := sortKey{ID: o.ID}
		switch sk {
		case "UPDATED_AT":
			k.Value = timeKey(o.UpdatedAt)
		case "CREATED_AT", "PROCESSED_AT", "":
			k.Value = timeKey(o.CreatedAt)
		case "ORDER_NUMBER":
			k.Value = idKey(int64(o.Number))
		}
		items = append(items, pageItem{obj: &orderObj{o}, key: k})
	}
	return e.paginate(args, items)
}

type shopObj struct{}

func (shopObj) typeName() string { return "Shop" }
func (shopObj) field(e *execCtx, name string, _ map[string]any) (any, error) {
	s := e.s
	switch name {
	case "id":
		return gid("Shop", 1), nil
	case "name":
		return strings.TrimSuffix(s.opts.Shop, ".myshopify.com"), nil
	case "myshopifyDomain":
		return s.opts.Shop, nil
	case "currencyCode":
		return s.opts.Currency, nil
	case "taxesIncluded":
		return !s.opts.PricesExcludeTax, nil
	case "ianaTimezone":
		return "Europe/Stockholm", nil
	case "email", "contactEmail":
		return "owner@" + s.opts.Shop, nil
	case "url":
		return "https://" + s.opts.Shop, nil
	case "weightUnit":
		return "KILOGRAMS", nil
	}
	return nil, nil
}

type locationObj struct{ l *location }

func (o *locationObj) typeName() string { return "Location" }
func (o *locationObj) field(e *execCtx, name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return gid("Location", o.l.ID), nil
	case "legacyResourceId":
		return strconv.FormatInt(o.l.ID, 10), nil
	case "name":
		return o.l.Name, nil
	case "isActive", "fulfillsOnlineOrders", "hasActiveInventory", "shipsInventory":
		return o.l.Active, nil
	case "deactivatable":
		return len(e.s.st.Locations) > 1, nil
	}
	return nil, nil
}

type productObj struct{ p *product }

func (o *productObj) typeName() string { return "Product" }
func (o *productObj) field(e *execCtx, name string, args map[string]any) (any, error) {
	p := o.p
	switch name {
	case "id":
		return gid("Product", p.ID), nil
	case "legacyResourceId":
		return strconv.FormatInt(p.ID, 10), nil
	case "title":
		return p.Title, nil
	case "descriptionHtml":
		return p.DescriptionHTML, nil
	case "description":
		return stripTags(p.DescriptionHTML), nil
	case "handle":
		return p.Handle, nil
	case "productType":
		return p.ProductType, nil
	case "vendor":
		return p.Vendor, nil
	case "status":
		return p.Status, nil
	case "tags":
		return append([]string{}, p.Tags...), nil
	case "createdAt":
		return ts(p.CreatedAt), nil
	case "updatedAt":
		return ts(p.UpdatedAt), nil
	case "publishedAt":
		return ts(p.CreatedAt), nil
	case "totalInventory":
		n := 0
		for _, v := range p.Variants {
			for _, l := range v.Item.Levels {
				n += l.Quantities["available"]
			}
		}
		return n, nil
	case "hasOnlyDefaultVariant":
		return len(p.Variants) == 1 && p.Variants[0].Title == "Default Title", nil
	case "tracksInventory":
		return true, nil
	case "variantsCount":
		return &record{typ: "Count", fields: map[string]any{"count": len(p.Variants), "precision": "EXACT"}}, nil
	case "variants":
		sk, _ := argString(args, "sortKey")
		var items []pageItem
		for _, v := range p.Variants {
			k := sortKey{Value: idKey(int64(v.Position)), ID: v.ID}
			if sk == "ID" {
				k.Value = ""
			} else if sk == "SKU" {
				k.Value = v.SKU
			}
			items = append(items, pageItem{obj: &variantObj{v}, key: k})
		}
		return e.paginate(args, items)
	}
	return nil, nil
}

func stripTags(h string) string {
	var b strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

type variantObj struct{ v *variant }

func (o *variantObj) typeName() string { return "ProductVariant" }
func (o *variantObj) field(e *execCtx, name string, args map[string]any) (any, error) {
	v := o.v
	switch name {
	case "id":
		return gid("ProductVariant", v.ID), nil
	case "legacyResourceId":
		return strconv.FormatInt(v.ID, 10), nil
	case "title":
		return v.Title, nil
	case "displayName":
		return v.product.Title + " - " + v.Title, nil
	case "sku":
		return nilIfEmpty(v.SKU), nil
	case "barcode":
		return nilIfEmpty(v.Barcode), nil
	case "price":
		return v.Price, nil
	case "compareAtPrice":
		return nilIfEmpty(v.CompareAt), nil
	case "position":
		return v.Position, nil
	case "createdAt":
		return ts(v.CreatedAt), nil
	case "updatedAt":
		return ts(v.UpdatedAt), nil
	case "taxable", "availableForSale":
		return true, nil
	case "inventoryPolicy":
		return "DENY", nil
	case "inventoryQuantity":
		n := 0
		for _, l := range v.Item.Levels {
			n += l.Quantities["available"]
		}
		return n, nil
	case "inventoryItem":
		return &itemObj{v}, nil
	case "product":
		return &productObj{v.product}, nil
	case "selectedOptions":
		return []object{&record{typ: "SelectedOption", fields: map[string]any{"name": "Title", "value": v.Title}}}, nil
	}
	return nil, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type itemObj struct{ v *variant }

func (o *itemObj) typeName() string { return "InventoryItem" }
func (o *itemObj) field(e *execCtx, name string, args map[string]any) (any, error) {
	v := o.v
	it := &v.Item
	switch name {
	case "id":
		return gid("InventoryItem", it.ID), nil
	case "legacyResourceId":
		return strconv.FormatInt(it.ID, 10), nil
	case "sku":
		return nilIfEmpty(v.SKU), nil
	case "tracked":
		return it.Tracked, nil
	case "requiresShipping":
		return true, nil
	case "createdAt":
		return ts(v.CreatedAt), nil
	case "updatedAt":
		return ts(it.UpdatedAt), nil
	case "unitCost":
		if it.Cost == "" {
			return nil, nil
		}
		return e.s.moneyV2(it.Cost), nil
	case "measurement":
		return &record{typ: "InventoryItemMeasurement", fields: map[string]any{
			"id":     "gid://shopify/InventoryItemMeasurement/" + strconv.FormatInt(it.ID, 10),
			"weight": &record{typ: "Weight", fields: map[string]any{"value": it.WeightValue, "unit": it.WeightUnit}},
		}}, nil
	case "variant":
		return &variantObj{v}, nil
	case "locationsCount":
		return &record{typ: "Count", fields: map[string]any{"count": len(it.Levels), "precision": "EXACT"}}, nil
	case "inventoryLevel":
		locID := gidNum(strOr(args, "locationId"), "Location")
		if l := v.level(locID); l != nil {
			return &levelObj{v: v, l: l}, nil
		}
		return nil, nil
	case "inventoryLevels":
		var items []pageItem
		for _, l := range it.Levels {
			items = append(items, pageItem{obj: &levelObj{v: v, l: l}, key: sortKey{ID: l.LocationID}})
		}
		return e.paginate(args, items)
	}
	return nil, nil
}

type levelObj struct {
	v *variant
	l *level
}

func (o *levelObj) typeName() string { return "InventoryLevel" }
func (o *levelObj) field(e *execCtx, name string, args map[string]any) (any, error) {
	switch name {
	case "id":
		return levelGID(o.v.Item.ID, o.l.LocationID), nil
	case "item":
		return &itemObj{o.v}, nil
	case "location":
		return &locationObj{e.s.st.locationByID[o.l.LocationID]}, nil
	case "updatedAt", "createdAt":
		return ts(o.l.UpdatedAt), nil
	case "canDeactivate":
		return true, nil
	case "quantities":
		var out []object
		for _, n := range argList(args, "names") {
			name := toString(n)
			q, ok := o.l.Quantities[name]
			if !ok {
				return nil, &fieldError{msg: "The quantity name '" + name + "' is not valid. Valid names: " + strings.Join(quantityNames, ", "), code: "INVALID_NAME"}
			}
			out = append(out, &record{typ: "InventoryQuantity", fields: map[string]any{
				"id":        "gid://shopify/InventoryQuantity/" + strconv.FormatInt(o.l.LocationID, 10) + "?inventory_item_id=" + strconv.FormatInt(o.v.Item.ID, 10) + "&name=" + name,
				"name":      name,
				"quantity":  q,
				"updatedAt": ts(o.l.UpdatedAt),
			}})
		}
		return out, nil
	}
	return nil, nil
}

type orderObj struct{ o *order }

func (x *orderObj) typeName() string { return "Order" }
func (x *orderObj) field(e *execCtx, name string, args map[string]any) (any, error) {
	o := x.o
	s := e.s
	t := orderTotals(o)
	switch name {
	case "id":
		return gid("Order", o.ID), nil
	case "legacyResourceId":
		return strconv.FormatInt(o.ID, 10), nil
	case "name":
		return o.Name, nil
	case "number":
		return o.Number, nil
	case "createdAt", "processedAt":
		return ts(o.CreatedAt), nil
	case "updatedAt":
		return ts(o.UpdatedAt), nil
	case "cancelledAt":
		return tsPtr(o.CancelledAt), nil
	case "cancelReason":
		return nilIfEmpty(o.CancelReason), nil
	case "closed":
		return o.FulfillmentStatus == "FULFILLED" && o.FinancialStatus == "PAID", nil
	case "email":
		return nilIfEmpty(o.Email), nil
	case "note":
		return nilIfEmpty(o.Note), nil
	case "displayFinancialStatus":
		return o.FinancialStatus, nil
	case "displayFulfillmentStatus":
		return o.FulfillmentStatus, nil
	case "taxesIncluded":
		return o.TaxesIncluded, nil
	case "currencyCode", "presentmentCurrencyCode":
		return o.Currency, nil
	case "discountCodes":
		return []string{}, nil
	case "customer":
		if o.Customer == nil {
			return nil, nil
		}
		return &customerObj{o.Customer}, nil
	case "billingAddress":
		return addressObj(o.Billing, o.ID, 1), nil
	case "shippingAddress":
		return addressObj(o.Shipping, o.ID, 2), nil
	case "lineItems":
		var items []pageItem
		for i := range o.Lines {
			items = append(items, pageItem{obj: &lineObj{o: o, l: &o.Lines[i]}, key: sortKey{ID: o.Lines[i].ID}})
		}
		return e.paginate(args, items)
	case "shippingLines":
		var items []pageItem
		for i := range o.ShippingLines {
			items = append(items, pageItem{obj: &shipObj{sl: &o.ShippingLines[i]}, key: sortKey{ID: int64(i + 1)}})
		}
		return e.paginate(args, items)
	case "taxLines":
		return s.taxLineObjs(t.taxLines), nil
	case "currentTotalPriceSet", "totalPriceSet":
		return s.moneyBag(money(t.total)), nil
	case "currentSubtotalPriceSet", "subtotalPriceSet":
		return s.moneyBag(money(t.subtotal)), nil
	case "totalDiscountsSet", "currentTotalDiscountsSet":
		return s.moneyBag(money(t.discounts)), nil
	case "totalTaxSet", "currentTotalTaxSet":
		return s.moneyBag(money(t.tax)), nil
	case "totalShippingPriceSet":
		return s.moneyBag(money(t.shipping)), nil
	case "fullyPaid":
		return o.FinancialStatus == "PAID", nil
	case "confirmed":
		return true, nil
	}
	return nil, nil
}

func (s *Server) taxLineObjs(tls []taxLine) []object {
	out := make([]object, 0, len(tls))
	for _, tl := range tls {
		rate, _ := decimal.NewFromString(tl.Rate)
		r, _ := rate.Float64()
		pct, _ := rate.Mul(decimal.NewFromInt(100)).Float64()
		out = append(out, &record{typ: "TaxLine", fields: map[string]any{
			"title": tl.Title, "rate": r, "ratePercentage": pct, "price": tl.Price,
			"priceSet": s.moneyBag(tl.Price), "channelLiable": false, "source": "Shopify",
		}})
	}
	return out
}

func addressObj(a *address, orderID int64, n int64) object {
	if a == nil {
		return nil
	}
	return &record{typ: "MailingAddress", fields: map[string]any{
		"id":        "gid://shopify/MailingAddress/" + strconv.FormatInt(orderID*10+n, 10) + "?model_name=Address",
		"firstName": a.FirstName, "lastName": a.LastName, "name": strings.TrimSpace(a.FirstName + " " + a.LastName),
		"company": nilIfEmpty(a.Company), "address1": a.Address1, "address2": nilIfEmpty(a.Address2),
		"city": a.City, "zip": a.Zip, "province": nilIfEmpty(a.Province), "country": a.Country,
		"countryCodeV2": a.CountryCode, "countryCode": a.CountryCode, "phone": nilIfEmpty(a.Phone),
		"formatted": []string{a.Address1, a.Zip + " " + a.City, a.Country}, "coordinatesValidated": false,
	}}
}

type customerObj struct{ c *customer }

func (x *customerObj) typeName() string { return "Customer" }
func (x *customerObj) field(e *execCtx, name string, _ map[string]any) (any, error) {
	c := x.c
	switch name {
	case "id":
		return gid("Customer", c.ID), nil
	case "legacyResourceId":
		return strconv.FormatInt(c.ID, 10), nil
	case "firstName":
		return nilIfEmpty(c.FirstName), nil
	case "lastName":
		return nilIfEmpty(c.LastName), nil
	case "displayName":
		return strings.TrimSpace(c.FirstName + " " + c.LastName), nil
	case "email":
		return nilIfEmpty(c.Email), nil
	case "defaultEmailAddress":
		if c.Email == "" {
			return nil, nil
		}
		return &record{typ: "CustomerEmailAddress", fields: map[string]any{"emailAddress": c.Email, "marketingState": "NOT_SUBSCRIBED"}}, nil
	}
	return nil, nil
}

type lineObj struct {
	o *order
	l *lineItem
}

func (x *lineObj) typeName() string { return "LineItem" }
func (x *lineObj) field(e *execCtx, name string, args map[string]any) (any, error) {
	l := x.l
	s := e.s
	price, _ := decimal.NewFromString(l.Price)
	disc, _ := decimal.NewFromString(l.Discount)
	qty := decimal.NewFromInt(int64(l.Quantity))
	original := price.Mul(qty)
	switch name {
	case "id":
		return gid("LineItem", l.ID), nil
	case "sku":
		return nilIfEmpty(l.SKU), nil
	case "name":
		if l.VariantTitle == "" || l.VariantTitle == "Default Title" {
			return l.Title, nil
		}
		return l.Title + " - " + l.VariantTitle, nil
	case "title":
		return l.Title, nil
	case "variantTitle":
		return nilIfEmpty(l.VariantTitle), nil
	case "quantity":
		return l.Quantity, nil
	case "currentQuantity", "fulfillableQuantity":
		if x.o.CancelledAt != nil {
			return 0, nil
		}
		return l.Quantity, nil
	case "variant":
		if v := s.st.variantByID[l.VariantID]; v != nil {
			return &variantObj{v}, nil
		}
		return nil, nil
	case "product":
		if p := s.st.productByID[l.ProductID]; p != nil {
			return &productObj{p}, nil
		}
		return nil, nil
	case "originalUnitPriceSet":
		return s.moneyBag(money(price)), nil
	case "originalTotalSet":
		return s.moneyBag(money(original)), nil
	case "discountedTotalSet":
		return s.moneyBag(money(original.Sub(disc))), nil
	case "discountedUnitPriceSet":
		return s.moneyBag(money(original.Sub(disc).Div(qty).Round(2))), nil
	case "totalDiscountSet":
		return s.moneyBag(money(disc)), nil
	case "taxable", "requiresShipping":
		return true, nil
	case "taxLines":
		return s.taxLineObjs(l.TaxLines), nil
	}
	return nil, nil
}

type shipObj struct{ sl *shippingLine }

func (x *shipObj) typeName() string { return "ShippingLine" }
func (x *shipObj) field(e *execCtx, name string, _ map[string]any) (any, error) {
	sl := x.sl
	switch name {
	case "title":
		return sl.Title, nil
	case "code":
		return nilIfEmpty(sl.Code), nil
	case "source":
		return "shopify", nil
	case "originalPriceSet", "discountedPriceSet", "currentDiscountedPriceSet":
		return e.s.moneyBag(sl.Price), nil
	case "taxLines":
		return e.s.taxLineObjs(sl.TaxLines), nil
	case "isRemoved", "custom":
		return false, nil
	}
	return nil, nil
}

type webhookObj struct{ w *webhookSub }

func (x *webhookObj) typeName() string { return "WebhookSubscription" }
func (x *webhookObj) field(e *execCtx, name string, _ map[string]any) (any, error) {
	w := x.w
	switch name {
	case "id":
		return gid("WebhookSubscription", w.ID), nil
	case "legacyResourceId":
		return strconv.FormatInt(w.ID, 10), nil
	case "topic":
		return w.Topic, nil
	case "format":
		return "JSON", nil
	case "uri", "callbackUrl":
		return w.CallbackURL, nil
	case "endpoint":
		return &record{typ: "WebhookHttpEndpoint", fields: map[string]any{"callbackUrl": w.CallbackURL}}, nil
	case "createdAt":
		return ts(w.CreatedAt), nil
	case "updatedAt":
		return ts(w.UpdatedAt), nil
	case "includeFields", "metafieldNamespaces":
		return []string{}, nil
	}
	return nil, nil
}

func (e *execCtx) webhookSubscriptions(args map[string]any) (any, error) {
	topics := map[string]bool{}
	for _, t := range argList(args, "topics") {
		topics[toString(t)] = true
	}
	cb, hasCB := argString(args, "callbackUrl")
	if u, ok := argString(args, "uri"); ok {
		cb, hasCB = u, true
	}
	var items []pageItem
	for _, w := range e.s.st.Webhooks {
		if len(topics) > 0 && !topics[w.Topic] || hasCB && w.CallbackURL != cb {
			continue
		}
		items = append(items, pageItem{obj: &webhookObj{w}, key: sortKey{Value: timeKey(w.CreatedAt), ID: w.ID}})
	}
	return e.paginate(args, items)
}

type bulkObj struct{ b *bulkOp }

func (x *bulkObj) typeName() string { return "BulkOperation" }
func (x *bulkObj) field(e *execCtx, name string, _ map[string]any) (any, error) {
	b := x.b
	switch name {
	case "id":
		return gid("BulkOperation", b.ID), nil
	case "status":
		return b.Status, nil
	case "errorCode":
		return nilIfEmpty(b.ErrorCode), nil
	case "createdAt":
		return ts(b.CreatedAt), nil
	case "completedAt":
		return tsPtr(b.CompletedAt), nil
	case "objectCount":
		return strconv.Itoa(b.ObjectCount), nil
	case "rootObjectCount":
		return strconv.Itoa(b.ObjectCount), nil
	case "fileSize":
		if b.Status != "COMPLETED" {
			return nil, nil
		}
		return strconv.Itoa(b.FileSize), nil
	case "url":
		if b.Status != "COMPLETED" || b.ObjectCount == 0 {
			return nil, nil
		}
		return e.base + "/_sandbox/bulk/" + strconv.FormatInt(b.ID, 10) + ".jsonl", nil
	case "partialDataUrl":
		return nil, nil
	case "query":
		return b.Query, nil
	case "type":
		return "QUERY", nil
	}
	return nil, nil
}
