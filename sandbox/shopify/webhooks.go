package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/shopspring/decimal"
)

// Topics the sandbox sends, as Shopify names them in the X-Shopify-Topic header.
const (
	TopicOrdersCreate          = "orders/create"
	TopicOrdersPaid            = "orders/paid"
	TopicOrdersUpdated         = "orders/updated"
	TopicOrdersCancelled       = "orders/cancelled"
	TopicOrdersFulfilled       = "orders/fulfilled"
	TopicProductsCreate        = "products/create"
	TopicProductsUpdate        = "products/update"
	TopicInventoryLevelsUpdate = "inventory_levels/update"
	TopicBulkOperationsFinish  = "bulk_operations/finish"
)

// topicHeader turns the GraphQL enum (ORDERS_CREATE) into the header form
// (orders/create): the last underscore is the slash.
func topicHeader(enum string) string {
	s := strings.ToLower(enum)
	if i := strings.LastIndex(s, "_"); i >= 0 {
		s = s[:i] + "/" + s[i+1:]
	}
	return s
}

// Sign is the X-Shopify-Hmac-Sha256 value of body: base64 of its HMAC-SHA256
// keyed with the app's client secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// emit sends payload to every subscription of topic. Called with s.mu held;
// the sender only queues.
func (s *Server) emit(topic string, payload any) {
	var urls []string
	for _, w := range s.st.Webhooks {
		if topicHeader(w.Topic) == topic {
			urls = append(urls, w.CallbackURL)
		}
	}
	if len(urls) == 0 {
		return
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return
	}
	now := s.opts.Now().UTC()
	for _, u := range urls {
		s.webhookSeq++
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("X-Shopify-Topic", topic)
		h.Set("X-Shopify-Hmac-Sha256", Sign(s.opts.ClientSecret, body))
		h.Set("X-Shopify-Shop-Domain", s.opts.Shop)
		h.Set("X-Shopify-API-Version", APIVersion)
		h.Set("X-Shopify-Webhook-Id", fmt.Sprintf("b54557e4-bdd9-4b37-8a5f-%012d", s.webhookSeq))
		h.Set("X-Shopify-Event-Id", fmt.Sprintf("98880550-7158-44d4-b7cd-%012d", s.webhookSeq))
		h.Set("X-Shopify-Triggered-At", now.Format("2006-01-02T15:04:05.000000000Z"))
		h.Set("User-Agent", "Shopify-Captain-Hook")
		s.sender.Send(u, h, body)
	}
}

func (s *Server) emitProduct(p *product, created bool) {
	if created {
		s.emit(TopicProductsCreate, s.restProduct(p))
	}
	s.emit(TopicProductsUpdate, s.restProduct(p))
}

func (s *Server) emitLevel(v *variant, l *level) {
	s.emit(TopicInventoryLevelsUpdate, map[string]any{
		"inventory_item_id":    v.Item.ID,
		"location_id":          l.LocationID,
		"available":            l.Quantities["available"],
		"updated_at":           restTime(l.UpdatedAt),
		"admin_graphql_api_id": levelGID(v.Item.ID, l.LocationID),
	})
}

// restTime is the REST API's timestamp form, with the shop's offset.
func restTime(t interface{ Format(string) string }) string {
	return t.Format("2006-01-02T15:04:05-07:00")
}

func (s *Server) restProduct(p *product) map[string]any {
	var variants []map[string]any
	for _, v := range p.Variants {
		var compare any
		if v.CompareAt != "" {
			compare = v.CompareAt
		}
		variants = append(variants, map[string]any{
			"id": v.ID, "product_id": p.ID, "title": v.Title, "price": v.Price, "compare_at_price": compare,
			"sku": v.SKU, "barcode": nilIfEmpty(v.Barcode), "position": v.Position, "inventory_item_id": v.Item.ID,
			"inventory_quantity": totalAvailable(v), "inventory_management": "shopify", "inventory_policy": "deny",
			"grams": grams(v.Item.WeightValue, v.Item.WeightUnit), "weight": v.Item.WeightValue, "weight_unit": restUnit(v.Item.WeightUnit),
			"option1": v.Title, "taxable": true, "requires_shipping": true,
			"created_at": restTime(v.CreatedAt), "updated_at": restTime(v.UpdatedAt),
			"admin_graphql_api_id": gid("ProductVariant", v.ID),
		})
	}
	return map[string]any{
		"id": p.ID, "title": p.Title, "body_html": p.DescriptionHTML, "vendor": p.Vendor, "product_type": p.ProductType,
		"handle": p.Handle, "status": strings.ToLower(p.Status), "tags": strings.Join(p.Tags, ", "),
		"created_at": restTime(p.CreatedAt), "updated_at": restTime(p.UpdatedAt), "published_at": restTime(p.CreatedAt),
		"variants": variants, "admin_graphql_api_id": gid("Product", p.ID),
	}
}

func totalAvailable(v *variant) int {
	n := 0
	for _, l := range v.Item.Levels {
		n += l.Quantities["available"]
	}
	return n
}

func grams(value float64, unit string) int {
	switch unit {
	case "KILOGRAMS":
		return int(value*1000 + 0.5)
	case "OUNCES":
		return int(value*28.349523125 + 0.5)
	case "POUNDS":
		return int(value*453.59237 + 0.5)
	}
	return int(value + 0.5)
}

func restUnit(unit string) string {
	switch unit {
	case "KILOGRAMS":
		return "kg"
	case "OUNCES":
		return "oz"
	case "POUNDS":
		return "lb"
	}
	return "g"
}

func restTaxLines(tls []taxLine) []map[string]any {
	out := []map[string]any{}
	for _, tl := range tls {
		rate, _ := decimal.NewFromString(tl.Rate)
		r, _ := rate.Float64()
		out = append(out, map[string]any{"title": tl.Title, "rate": r, "price": tl.Price,
			"price_set": restMoneySet(tl.Price, ""), "channel_liable": false})
	}
	return out
}

func restMoneySet(amount, currency string) map[string]any {
	m := map[string]any{"amount": amount, "currency_code": currency}
	return map[string]any{"shop_money": m, "presentment_money": m}
}

func restAddress(a *address) any {
	if a == nil {
		return nil
	}
	return map[string]any{
		"first_name": a.FirstName, "last_name": a.LastName, "name": strings.TrimSpace(a.FirstName + " " + a.LastName),
		"company": nilIfEmpty(a.Company), "address1": a.Address1, "address2": nilIfEmpty(a.Address2), "city": a.City,
		"zip": a.Zip, "province": nilIfEmpty(a.Province), "country": a.Country, "country_code": a.CountryCode,
		"phone": nilIfEmpty(a.Phone),
	}
}

// restOrder is the REST-shaped order of an orders/* webhook.
func (s *Server) restOrder(o *order) map[string]any {
	t := orderTotals(o)
	cur := o.Currency
	var lines []map[string]any
	for _, l := range o.Lines {
		lines = append(lines, map[string]any{
			"id": l.ID, "admin_graphql_api_id": gid("LineItem", l.ID), "variant_id": l.VariantID, "product_id": l.ProductID,
			"sku": l.SKU, "title": l.Title, "variant_title": nilIfEmpty(l.VariantTitle), "name": l.Title + variantSuffix(l.VariantTitle),
			"quantity": l.Quantity, "current_quantity": l.Quantity, "price": l.Price, "price_set": restMoneySet(l.Price, cur),
			"total_discount": l.Discount, "total_discount_set": restMoneySet(l.Discount, cur),
			"tax_lines": restTaxLines(l.TaxLines), "taxable": true, "requires_shipping": true,
			"fulfillment_status": nil, "vendor": "Nordisk Design",
		})
	}
	var ships []map[string]any
	for i, sl := range o.ShippingLines {
		ships = append(ships, map[string]any{
			"id": o.ID*10 + int64(i), "title": sl.Title, "code": sl.Code, "price": sl.Price,
			"price_set": restMoneySet(sl.Price, cur), "discounted_price": sl.Price, "tax_lines": restTaxLines(sl.TaxLines), "source": "shopify",
		})
	}
	var cust any
	if o.Customer != nil {
		cust = map[string]any{"id": o.Customer.ID, "email": o.Customer.Email, "first_name": o.Customer.FirstName,
			"last_name": o.Customer.LastName, "admin_graphql_api_id": gid("Customer", o.Customer.ID)}
	}
	var cancelled any
	if o.CancelledAt != nil {
		cancelled = restTime(*o.CancelledAt)
	}
	var fulfillment any
	if o.FulfillmentStatus == "FULFILLED" {
		fulfillment = "fulfilled"
	}
	return map[string]any{
		"id": o.ID, "admin_graphql_api_id": gid("Order", o.ID), "name": o.Name, "order_number": o.Number, "number": o.Number - 1000,
		"email": o.Email, "contact_email": o.Email, "created_at": restTime(o.CreatedAt), "updated_at": restTime(o.UpdatedAt),
		"processed_at": restTime(o.CreatedAt), "cancelled_at": cancelled, "cancel_reason": nilIfEmpty(o.CancelReason),
		"financial_status": strings.ToLower(o.FinancialStatus), "fulfillment_status": fulfillment,
		"currency": cur, "presentment_currency": cur, "taxes_included": o.TaxesIncluded,
		"subtotal_price": money(t.subtotal), "total_price": money(t.total), "current_total_price": money(t.total),
		"total_tax": money(t.tax), "total_discounts": money(t.discounts),
		"total_shipping_price_set": restMoneySet(money(t.shipping), cur),
		"tax_lines":                restTaxLines(t.taxLines), "line_items": lines, "shipping_lines": ships,
		"customer": cust, "billing_address": restAddress(o.Billing), "shipping_address": restAddress(o.Shipping),
		"note": nilIfEmpty(o.Note), "test": false, "confirmed": true,
	}
}

func variantSuffix(t string) string {
	if t == "" || t == "Default Title" {
		return ""
	}
	return " - " + t
}
