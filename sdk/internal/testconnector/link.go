package testconnector

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
)

type link struct {
	id       string
	settings Settings
	ch       *channel
	creds    *sdk.Credentials
}

var (
	_ sdk.ProductReader  = (*link)(nil)
	_ sdk.ProductWriter  = (*link)(nil)
	_ sdk.OrderReader    = (*link)(nil)
	_ sdk.StockReader    = (*link)(nil)
	_ sdk.StockWriter    = (*link)(nil)
	_ sdk.WebhookHandler = (*link)(nil)
	_ sdk.LocationLister = (*link)(nil)
	_ sdk.CategoryLister = (*link)(nil)
	_ sdk.Authorizer     = (*link)(nil)
)

func (l *link) Account() string { return l.settings.Shop }

func (l *link) Close(context.Context) error { return nil }

func (l *link) Check(context.Context) (sdk.CheckReport, error) {
	l.ch.mu.Lock()
	defer l.ch.mu.Unlock()
	return sdk.CheckReport{Account: l.settings.Shop, Items: []sdk.CheckItem{
		{Name: "shop reachable", OK: true, Detail: l.settings.Shop},
		{Name: "locations", OK: len(l.ch.locations) > 0, Detail: fmt.Sprintf("%d locations", len(l.ch.locations)), Hint: "create a location in the shop"},
	}}, nil
}

func (l *link) ListLocations(context.Context) ([]sdk.Location, error) {
	l.ch.mu.Lock()
	defer l.ch.mu.Unlock()
	return append([]sdk.Location(nil), l.ch.locations...), nil
}

func (l *link) ListCategories(context.Context) ([]sdk.Category, error) {
	l.ch.mu.Lock()
	defer l.ch.mu.Unlock()
	return append([]sdk.Category(nil), l.ch.categories...), nil
}

// paginate emits items after the cursor in pages; a cursor is the key of
// the last item handed out, so resuming never repeats or skips one.
func paginate[T any](ctx context.Context, l *link, items []T, key func(T) string, req sdk.ReadRequest, emit func(sdk.Page[T]) error) error {
	size := req.PageSize
	if size <= 0 {
		size = 10
	}
	start := 0
	if req.Cursor != "" {
		after, ok := strings.CutPrefix(req.Cursor, "after:")
		if !ok {
			return sdk.Invalid("cursor", "%q is not a cursor of the test connector", req.Cursor)
		}
		for start < len(items) && key(items[start]) <= after {
			start++
		}
		if broken("cursor") && start > 0 {
			start--
		}
	}
	if start == len(items) {
		return emit(sdk.Page[T]{Cursor: req.Cursor, Last: true, TotalEstimate: int64(len(items))})
	}
	for start < len(items) {
		if l.settings.PageDelayMS > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(l.settings.PageDelayMS) * time.Millisecond):
			}
		}
		end := min(start+size, len(items))
		page := sdk.Page[T]{Items: items[start:end], Cursor: "after:" + key(items[end-1]), Last: end == len(items), TotalEstimate: int64(len(items))}
		if err := emit(page); err != nil {
			return err
		}
		start = end
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func cloneProduct(p *sdk.Product) sdk.Product {
	c := *p
	c.Variants = append([]sdk.Variant(nil), p.Variants...)
	return c
}

func (l *link) ReadProducts(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error {
	l.ch.mu.Lock()
	var items []sdk.Product
	for _, p := range l.ch.products {
		if len(req.IDs) > 0 && !contains(req.IDs, p.ID) {
			continue
		}
		if len(req.SKUs) > 0 && !hasSKU(p, req.SKUs) {
			continue
		}
		items = append(items, cloneProduct(p))
	}
	l.ch.mu.Unlock()
	return paginate(ctx, l, items, func(p sdk.Product) string { return p.ID }, req, emit)
}

func hasSKU(p *sdk.Product, skus []string) bool {
	for _, v := range p.Variants {
		if contains(skus, v.SKU) {
			return true
		}
	}
	return false
}

func (l *link) ReadOrders(ctx context.Context, req sdk.ReadRequest, emit func(sdk.OrderPage) error) error {
	l.ch.mu.Lock()
	var items []sdk.Order
	for _, o := range l.ch.orders {
		if len(req.IDs) == 0 || contains(req.IDs, o.ID) {
			items = append(items, o)
		}
	}
	l.ch.mu.Unlock()
	return paginate(ctx, l, items, func(o sdk.Order) string { return o.ID }, req, emit)
}

func (l *link) ReadStock(ctx context.Context, req sdk.StockReadRequest, emit func(sdk.StockPage) error) error {
	l.ch.mu.Lock()
	var items []sdk.StockLevel
	for _, lv := range l.ch.levels() {
		if len(req.SKUs) > 0 && !contains(req.SKUs, lv.SKU) {
			continue
		}
		if len(req.LocationIDs) > 0 && !contains(req.LocationIDs, lv.LocationID) {
			continue
		}
		items = append(items, lv)
	}
	l.ch.mu.Unlock()
	return paginate(ctx, l, items, levelKey, req.ReadRequest, emit)
}

func (l *link) WriteStock(_ context.Context, req sdk.StockWriteRequest) ([]sdk.StockWriteResult, error) {
	ch := l.ch
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if req.IdempotencyKey != "" && !broken("idempotency") {
		if prev, ok := ch.stockWrites[req.IdempotencyKey]; ok {
			out := make([]sdk.StockWriteResult, len(prev))
			for i, r := range prev {
				r.Replayed = true
				out[i] = r
			}
			return out, nil
		}
	}
	out := make([]sdk.StockWriteResult, len(req.Rows))
	for i, row := range req.Rows {
		out[i].Key = row.Key
		sku := row.Level.SKU
		if sku == "" && row.Level.VariantID != "" {
			for _, p := range ch.products {
				for _, v := range p.Variants {
					if v.ID == row.Level.VariantID {
						sku = v.SKU
					}
				}
			}
		}
		if _, v := ch.variantBySKU(sku); v == nil {
			out[i].Err = sdk.NotFound("no variant with SKU %q in shop %s", row.Level.SKU, l.settings.Shop)
			out[i].Err.Field = "sku"
			continue
		}
		if !ch.location(row.Level.LocationID) {
			out[i].Err = sdk.NotFound("no location %q in shop %s", row.Level.LocationID, l.settings.Shop)
			out[i].Err.Field = "location_id"
			continue
		}
		k := stockKey{sku, row.Level.LocationID}
		out[i].Previous = ch.stock[k]
		if row.Expected != nil && *row.Expected != ch.stock[k] {
			out[i].Err = &sdk.Error{Class: sdk.ClassConflict, Message: fmt.Sprintf("expected %d but the shop holds %d", *row.Expected, ch.stock[k]), Code: "STALE"}
			continue
		}
		if row.Level.Quantity < 0 {
			out[i].Err = sdk.Invalid("quantity", "must not be negative, got %d", row.Level.Quantity)
			continue
		}
		ch.stock[k] = row.Level.Quantity
	}
	if req.IdempotencyKey != "" {
		ch.stockWrites[req.IdempotencyKey] = out
	}
	return out, nil
}

func (l *link) WriteProducts(_ context.Context, writes []sdk.ProductWrite) ([]sdk.ProductWriteResult, error) {
	ch := l.ch
	ch.mu.Lock()
	defer ch.mu.Unlock()
	out := make([]sdk.ProductWriteResult, len(writes))
	for i, w := range writes {
		if w.IdempotencyKey != "" {
			if prev, ok := ch.productWrites[w.IdempotencyKey]; ok {
				prev.Key = w.Key
				out[i] = prev
				continue
			}
		}
		out[i] = ch.writeProduct(w)
		if w.IdempotencyKey != "" {
			ch.productWrites[w.IdempotencyKey] = out[i]
		}
	}
	return out, nil
}

// writeProduct upserts one product: by ID when given, else by the SKU of
// its first variant. The caller holds mu.
func (ch *channel) writeProduct(w sdk.ProductWrite) sdk.ProductWriteResult {
	res := sdk.ProductWriteResult{Key: w.Key}
	in := w.Product
	if len(in.Variants) == 0 {
		res.Err = sdk.Invalid("variants", "a product needs at least one variant")
		return res
	}
	for _, v := range in.Variants {
		if v.SKU == "" {
			res.Err = sdk.Invalid("sku", "every variant needs a SKU")
			return res
		}
	}
	var p *sdk.Product
	if in.ID != "" {
		for _, q := range ch.products {
			if q.ID == in.ID {
				p = q
			}
		}
		if p == nil {
			res.Err = sdk.NotFound("no product %q", in.ID)
			return res
		}
	} else {
		p, _ = ch.variantBySKU(in.Variants[0].SKU)
	}
	for _, v := range in.Variants {
		if owner, _ := ch.variantBySKU(v.SKU); owner != nil && owner != p {
			res.Err = &sdk.Error{Class: sdk.ClassConflict, Field: "sku", Message: fmt.Sprintf("SKU %q belongs to product %s", v.SKU, owner.ID)}
			return res
		}
	}
	if p == nil {
		if in.Title == "" {
			res.Err = sdk.Invalid("title", "a new product needs a title")
			return res
		}
		p = &sdk.Product{ID: fmt.Sprintf("p%06d", ch.nextID), Status: "active"}
		ch.nextID++
		ch.products = append(ch.products, p)
	}
	if w.Carries(sdk.FieldTitle) && in.Title != "" {
		p.Title = in.Title
	}
	if w.Carries(sdk.FieldDescription) {
		p.Description = in.Description
	}
	if w.Carries(sdk.FieldCategory) {
		p.Category = in.Category
	}
	p.UpdatedAt = time.Now().UTC()
	for _, v := range in.Variants {
		_, have := ch.variantBySKU(v.SKU)
		if have == nil {
			v.ID = fmt.Sprintf("v%s-%d", p.ID[1:], len(p.Variants)+1)
			v.InventoryItemID = "ii" + v.ID[1:]
			p.Variants = append(p.Variants, v)
			for _, loc := range ch.locations {
				ch.stock[stockKey{v.SKU, loc.ID}] = 0
			}
			continue
		}
		if w.Carries(sdk.FieldPrice) {
			have.Price = v.Price
		}
		if w.Carries(sdk.FieldBarcode) {
			have.Barcode = v.Barcode
		}
		if w.Carries(sdk.FieldCost) {
			have.Cost = v.Cost
		}
		if w.Carries(sdk.FieldWeight) {
			have.Weight = v.Weight
		}
		if v.Title != "" {
			have.Title = v.Title
		}
	}
	res.Product = cloneProduct(p)
	return res
}

// Webhook headers of the test channel.
const (
	HeaderSignature = "X-Test-Hmac-Sha256"
	HeaderDelivery  = "X-Test-Delivery-Id"
)

// Sign returns the headers of a delivery of body signed with token, as the
// test channel sends it.
func Sign(token string, body []byte) http.Header {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write(body)
	sum := sha256.Sum256(body)
	h := http.Header{}
	h.Set(HeaderSignature, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	h.Set(HeaderDelivery, fmt.Sprintf("%x", sum[:8]))
	return h
}

var topicEvents = map[string]string{
	"orders/create":           sdk.EventOrderCreated,
	"orders/paid":             sdk.EventOrderPaid,
	"orders/updated":          sdk.EventOrderUpdated,
	"orders/cancelled":        sdk.EventOrderCancelled,
	"products/create":         sdk.EventProductCreated,
	"products/update":         sdk.EventProductUpdated,
	"products/delete":         sdk.EventProductDeleted,
	"inventory_levels/update": sdk.EventStockUpdated,
}

func (l *link) EnsureWebhooks(_ context.Context, callbackURL string, topics []string) ([]sdk.WebhookSubscription, error) {
	if _, err := url.ParseRequestURI(callbackURL); err != nil {
		return nil, sdk.Invalid("callback_url", "is not a URL: %v", err)
	}
	if len(topics) == 0 {
		topics = New().Describe().WebhookTopics
	}
	l.ch.mu.Lock()
	defer l.ch.mu.Unlock()
	var out []sdk.WebhookSubscription
	for _, t := range topics {
		if _, ok := topicEvents[t]; !ok {
			return nil, sdk.Invalid("topics", "unknown topic %q", t)
		}
		k := callbackURL + " " + t
		id, ok := l.ch.hooks[k]
		if !ok {
			id = fmt.Sprintf("wh-%d", len(l.ch.hooks)+1)
			l.ch.hooks[k] = id
		}
		out = append(out, sdk.WebhookSubscription{Topic: t, ID: id, Created: !ok})
	}
	return out, nil
}

func (l *link) HandleWebhook(_ context.Context, w sdk.Webhook) (sdk.WebhookResult, error) {
	got, err := base64.StdEncoding.DecodeString(w.Header.Get(HeaderSignature))
	if err != nil || len(got) == 0 {
		return sdk.WebhookResult{}, sdk.Unauthenticated("webhook has no valid %s header", HeaderSignature)
	}
	mac := hmac.New(sha256.New, []byte(l.settings.Token))
	mac.Write(w.Body)
	if !hmac.Equal(got, mac.Sum(nil)) && !broken("signature") {
		return sdk.WebhookResult{}, sdk.Unauthenticated("webhook signature does not match the body")
	}
	var body struct {
		Topic string `json:"topic"`
		ID    string `json:"id"`
		SKU   string `json:"sku"`
	}
	if err := json.Unmarshal(w.Body, &body); err != nil {
		return sdk.WebhookResult{}, sdk.Invalid("body", "is not JSON: %v", err)
	}
	typ, ok := topicEvents[body.Topic]
	if !ok {
		return sdk.WebhookResult{}, sdk.Invalid("topic", "unknown topic %q", body.Topic)
	}
	return sdk.WebhookResult{
		DeliveryID: w.Header.Get(HeaderDelivery),
		Events:     []sdk.Event{{Type: typ, ID: body.ID, SKU: body.SKU, OccurredAt: time.Now().UTC()}},
	}, nil
}

func (l *link) StartAuthorization(_ context.Context, redirectURL, state string) (string, error) {
	q := url.Values{"redirect_uri": {redirectURL}, "state": {state}}
	return "https://" + url.PathEscape(l.settings.Shop) + ".test.invalid/authorize?" + q.Encode(), nil
}

func (l *link) CompleteAuthorization(_ context.Context, _ string, query url.Values) (sdk.Credentials, error) {
	code := query.Get("code")
	if code == "" {
		return sdk.Credentials{}, sdk.Invalid("code", "the callback carries no code")
	}
	now := time.Now().UTC()
	return sdk.Credentials{AccessToken: "at-" + code, RefreshToken: "rt-" + code, ExpiresAt: now.Add(time.Hour), RefreshExpiresAt: now.Add(30 * 24 * time.Hour)}, nil
}

func (l *link) RefreshAuthorization(_ context.Context, c sdk.Credentials) (sdk.Credentials, error) {
	if c.RefreshToken == "" {
		return sdk.Credentials{}, sdk.Unauthenticated("no refresh token: authorize the link again")
	}
	now := time.Now().UTC()
	c.AccessToken = fmt.Sprintf("at-%d", now.UnixNano())
	c.ExpiresAt = now.Add(time.Hour)
	return c, nil
}
