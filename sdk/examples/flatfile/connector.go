package flatfile

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/sdk"
)

// Version is the connector's semver; `make build` names the binary after it.
const Version = "0.1.0"

// schema is the JSON Schema of a link's settings. The host shows it to
// operators and the conformance kit derives bad settings from it.
const schema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["dir"],
  "properties": {
    "dir":    {"type": "string", "minLength": 1, "description": "folder holding products.json, stock.json and orders.json"},
    "secret": {"type": "string", "minLength": 8, "description": "key of the X-Flatfile-Signature HMAC on webhooks"}
  }
}`

// Connector serves every flatfile link of one host.
type Connector struct{}

// New returns the connector; main passes it to sdk.Serve.
func New() *Connector { return &Connector{} }

// Describe says what the connector is. It does no I/O.
func (*Connector) Describe() sdk.Description {
	return sdk.Description{
		Name: "flatfile", Version: Version, DisplayName: "Flat files",
		Summary: "A folder of JSON files as a sales channel: the worked example of the connector guide.",
		Capabilities: []sdk.Capability{sdk.CapProductsRead, sdk.CapProductsWrite, sdk.CapOrdersRead,
			sdk.CapStockRead, sdk.CapStockWrite, sdk.CapWebhooks, sdk.CapLocations},
		SettingsSchema: json.RawMessage(schema),
		SecretSettings: []string{"secret"},
		WebhookTopics:  []string{"orders", "products"},
	}
}

type settings struct {
	Dir    string `json:"dir"`
	Secret string `json:"secret"`
}

// OpenLink checks the settings and the folder. Errors name the key.
func (*Connector) OpenLink(_ context.Context, req sdk.OpenRequest) (sdk.Link, error) {
	var s settings
	dec := json.NewDecoder(bytesReader(req.Settings))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, sdk.Invalid("settings", "%v", err)
	}
	if s.Dir == "" {
		return nil, sdk.Invalid("dir", "is required: the folder holding products.json")
	}
	if st, err := os.Stat(s.Dir); err != nil || !st.IsDir() {
		return nil, sdk.Invalid("dir", "%q is not a folder", s.Dir)
	}
	if s.Secret != "" && len(s.Secret) < 8 {
		return nil, sdk.Invalid("secret", "must be at least 8 characters")
	}
	return &link{s: s, log: req.Logger, applied: map[string][]sdk.StockWriteResult{}}, nil
}

// link is one open folder. The mutex serialises writes within this
// process; one folder belongs to one link.
type link struct {
	s   settings
	log hclog.Logger

	mu      sync.Mutex
	applied map[string][]sdk.StockWriteResult // idempotency key -> results
}

func (l *link) Account() string { return l.s.Dir }

func (l *link) Close(context.Context) error { return nil }

func (l *link) Check(context.Context) (sdk.CheckReport, error) {
	rep := sdk.CheckReport{Account: l.s.Dir}
	for _, f := range []string{"products.json", "stock.json", "orders.json"} {
		_, err := os.Stat(filepath.Join(l.s.Dir, f))
		item := sdk.CheckItem{Name: f, OK: err == nil || errors.Is(err, fs.ErrNotExist), Detail: "present"}
		if errors.Is(err, fs.ErrNotExist) {
			item.Detail = "absent (treated as empty)"
		} else if err != nil {
			item.Detail, item.Hint = err.Error(), "make the file readable by the host's user"
		}
		rep.Items = append(rep.Items, item)
	}
	return rep, nil
}

func (l *link) ListLocations(context.Context) ([]sdk.Location, error) {
	return []sdk.Location{{ID: "main", Name: "Main", Kind: "location", IsDefault: true}}, nil
}

// load reads one file; an absent file is an empty list.
func load[T any](l *link, name string) ([]T, error) {
	b, err := os.ReadFile(filepath.Join(l.s.Dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, sdk.Retryable(time.Second, "read %s: %w", name, err)
	}
	var out []T
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, sdk.Invalid(name, "is not a JSON array of records: %v", err)
	}
	return out, nil
}

// save writes through a temporary file and a rename, so a crash never
// leaves half a file behind.
func save[T any](l *link, name string, v []T) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(l.s.Dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return sdk.Retryable(time.Second, "write %s: %w", name, err)
	}
	return os.Rename(tmp, filepath.Join(l.s.Dir, name))
}

// pages hands out items in pages whose cursor is the offset after them.
// An offset is a fine cursor for a file nobody reorders; a real channel
// should page by update time (see the guide).
func pages[T any](items []T, req sdk.ReadRequest, emit func(sdk.Page[T]) error) error {
	start := 0
	if req.Cursor != "" {
		n, err := strconv.Atoi(req.Cursor)
		if err != nil || n < 0 {
			return sdk.Invalid("cursor", "%q is not a flatfile cursor", req.Cursor)
		}
		start = n
	}
	size := req.PageSize
	if size <= 0 {
		size = 100
	}
	if start >= len(items) {
		return emit(sdk.Page[T]{Cursor: strconv.Itoa(len(items)), Last: true, TotalEstimate: int64(len(items))})
	}
	for i := start; i < len(items); i += size {
		end := min(i+size, len(items))
		if err := emit(sdk.Page[T]{Items: items[i:end], Cursor: strconv.Itoa(end), Last: end == len(items), TotalEstimate: int64(len(items))}); err != nil {
			return err
		}
	}
	return nil
}

func (l *link) ReadProducts(_ context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error {
	all, err := load[sdk.Product](l, "products.json")
	if err != nil {
		return err
	}
	if len(req.IDs) > 0 || len(req.SKUs) > 0 {
		all = slices.DeleteFunc(all, func(p sdk.Product) bool {
			if slices.Contains(req.IDs, p.ID) {
				return false
			}
			for _, v := range p.Variants {
				if slices.Contains(req.SKUs, v.SKU) {
					return false
				}
			}
			return true
		})
		req.Cursor = ""
	}
	return pages(all, req, emit)
}

// WriteProducts upserts by the first variant's SKU and reports each item on
// its own: one bad product does not fail the batch.
func (l *link) WriteProducts(_ context.Context, writes []sdk.ProductWrite) ([]sdk.ProductWriteResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	all, err := load[sdk.Product](l, "products.json")
	if err != nil {
		return nil, err
	}
	out := make([]sdk.ProductWriteResult, len(writes))
	for i, w := range writes {
		out[i].Key = w.Key
		p := w.Product
		if len(p.Variants) == 0 || p.Variants[0].SKU == "" {
			out[i].Err = sdk.Invalid("variants[0].sku", "a product needs at least one variant with a SKU")
			continue
		}
		at := slices.IndexFunc(all, func(q sdk.Product) bool { return len(q.Variants) > 0 && q.Variants[0].SKU == p.Variants[0].SKU })
		if p.ID != "" {
			// An update names the product; one that is gone is an error
			// for this item, never a silent create.
			at = slices.IndexFunc(all, func(q sdk.Product) bool { return q.ID == p.ID })
			if at < 0 {
				out[i].Err = sdk.NotFound("product %q does not exist", p.ID)
				continue
			}
			all[at] = merge(all[at], w)
		} else if at < 0 {
			p.ID = "ff-" + p.Variants[0].SKU
			all = append(all, p)
			at = len(all) - 1
		} else {
			all[at] = merge(all[at], w)
		}
		for j := range all[at].Variants {
			if all[at].Variants[j].ID == "" {
				all[at].Variants[j].ID = all[at].ID + "-" + strconv.Itoa(j)
			}
		}
		all[at].UpdatedAt = time.Now().UTC()
		out[i].Product = all[at]
	}
	return out, save(l, "products.json", all)
}

// merge applies only the fields the write carries.
func merge(old sdk.Product, w sdk.ProductWrite) sdk.Product {
	p := w.Product
	if w.Carries(sdk.FieldTitle) {
		old.Title = p.Title
	}
	if w.Carries(sdk.FieldDescription) {
		old.Description = p.Description
	}
	if w.Carries(sdk.FieldCategory) {
		old.Category = p.Category
	}
	for _, v := range p.Variants {
		j := slices.IndexFunc(old.Variants, func(o sdk.Variant) bool { return o.SKU == v.SKU })
		if j < 0 {
			old.Variants = append(old.Variants, v)
			continue
		}
		if w.Carries(sdk.FieldPrice) {
			old.Variants[j].Price, old.Variants[j].PriceIncludesVAT = v.Price, v.PriceIncludesVAT
		}
		if w.Carries(sdk.FieldBarcode) {
			old.Variants[j].Barcode = v.Barcode
		}
		if w.Carries(sdk.FieldCost) {
			old.Variants[j].Cost = v.Cost
		}
		if w.Carries(sdk.FieldWeight) {
			old.Variants[j].Weight = v.Weight
		}
	}
	return old
}

func (l *link) ReadOrders(_ context.Context, req sdk.ReadRequest, emit func(sdk.OrderPage) error) error {
	all, err := load[sdk.Order](l, "orders.json")
	if err != nil {
		return err
	}
	if len(req.IDs) > 0 {
		all = slices.DeleteFunc(all, func(o sdk.Order) bool { return !slices.Contains(req.IDs, o.ID) })
		req.Cursor = ""
	}
	return pages(all, req, emit)
}

func (l *link) ReadStock(_ context.Context, req sdk.StockReadRequest, emit func(sdk.StockPage) error) error {
	all, err := load[sdk.StockLevel](l, "stock.json")
	if err != nil {
		return err
	}
	if len(req.SKUs) > 0 {
		all = slices.DeleteFunc(all, func(s sdk.StockLevel) bool { return !slices.Contains(req.SKUs, s.SKU) })
	}
	return pages(all, req.ReadRequest, emit)
}

// WriteStock sets levels. A request whose idempotency key was applied
// before answers as before and changes nothing; the record lives as long as
// the process, which is what makes a retry after a lost answer safe. (A
// channel with its own idempotency keys, like Shopify, survives restarts.)
func (l *link) WriteStock(_ context.Context, req sdk.StockWriteRequest) ([]sdk.StockWriteResult, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.applied[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
		out := slices.Clone(prev)
		for i := range out {
			out[i].Replayed = true
		}
		return out, nil
	}
	all, err := load[sdk.StockLevel](l, "stock.json")
	if err != nil {
		return nil, err
	}
	products, err := load[sdk.Product](l, "products.json")
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, p := range products {
		for _, v := range p.Variants {
			known[v.SKU] = true
		}
	}
	out := make([]sdk.StockWriteResult, len(req.Rows))
	for i, r := range req.Rows {
		out[i].Key = r.Key
		lv := r.Level
		if lv.LocationID == "" {
			lv.LocationID = "main"
		}
		switch {
		case !known[lv.SKU]:
			out[i].Err = sdk.Invalid("sku", "no product has SKU %q", lv.SKU)
			continue
		case lv.LocationID != "main":
			out[i].Err = sdk.Invalid("location_id", "unknown location %q: flatfile has only \"main\"", lv.LocationID)
			continue
		case lv.Quantity < 0:
			out[i].Err = sdk.Invalid("quantity", "negative quantity %d", lv.Quantity)
			continue
		}
		at := slices.IndexFunc(all, func(s sdk.StockLevel) bool { return s.SKU == lv.SKU && s.LocationID == lv.LocationID })
		if at < 0 {
			all = append(all, sdk.StockLevel{SKU: lv.SKU, LocationID: lv.LocationID})
			at = len(all) - 1
		}
		out[i].Previous = all[at].Quantity
		if r.Expected != nil && *r.Expected != all[at].Quantity {
			out[i].Err = &sdk.Error{Class: sdk.ClassConflict, Message: fmt.Sprintf("expected %d, found %d", *r.Expected, all[at].Quantity), Code: "STALE"}
			continue
		}
		all[at].Quantity = lv.Quantity
	}
	if err := save(l, "stock.json", all); err != nil {
		return nil, err
	}
	if req.IdempotencyKey != "" {
		l.applied[req.IdempotencyKey] = out
	}
	return out, nil
}

// EnsureWebhooks has nothing to subscribe to: whoever edits the files posts
// to the host's callback URL with a signature.
func (l *link) EnsureWebhooks(_ context.Context, _ string, topics []string) ([]sdk.WebhookSubscription, error) {
	if len(topics) == 0 {
		topics = []string{"orders", "products"}
	}
	out := make([]sdk.WebhookSubscription, len(topics))
	for i, t := range topics {
		out[i] = sdk.WebhookSubscription{Topic: t, ID: t}
	}
	return out, nil
}

// Sign is what a sender puts in X-Flatfile-Signature.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// HandleWebhook verifies the signature in constant time, then reads
// {"delivery":"…","type":"order.created","id":"…"}.
func (l *link) HandleWebhook(_ context.Context, w sdk.Webhook) (sdk.WebhookResult, error) {
	if l.s.Secret == "" {
		return sdk.WebhookResult{}, sdk.Unauthenticated("webhooks are off: the link has no secret")
	}
	got, err := hex.DecodeString(w.Header.Get("X-Flatfile-Signature"))
	want, _ := hex.DecodeString(Sign(l.s.Secret, w.Body))
	if err != nil || !hmac.Equal(got, want) {
		return sdk.WebhookResult{}, sdk.Unauthenticated("X-Flatfile-Signature does not match the body")
	}
	var ev struct {
		Delivery, Type, ID, SKU string
	}
	if err := json.Unmarshal(w.Body, &ev); err != nil || ev.Delivery == "" || ev.Type == "" {
		return sdk.WebhookResult{}, sdk.Invalid("body", "want {\"delivery\",\"type\",\"id\"}")
	}
	return sdk.WebhookResult{DeliveryID: ev.Delivery, Events: []sdk.Event{{Type: ev.Type, ID: ev.ID, SKU: ev.SKU}}}, nil
}
