package conformance

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
)

func asErr(err error, e **sdk.Error) bool { return errors.As(err, e) }

// checkResume reads everything, then resumes from each intermediate cursor
// (up to ten of them) and compares: what a resume returns must be exactly
// what came after that cursor, with nothing lost and nothing repeated.
func checkResume[T any](t *testing.T, what string, read func(cursor string, emit func(sdk.Page[T]) error) error, key func(T) string) {
	t.Helper()
	var pages []sdk.Page[T]
	if err := read("", func(p sdk.Page[T]) error { pages = append(pages, p); return nil }); err != nil {
		t.Fatalf("reading all %s: %v", what, err)
	}
	if len(pages) == 0 {
		t.Fatalf("reading %s sent no page; an empty result is one page with Last set", what)
	}
	if !pages[len(pages)-1].Last {
		t.Errorf("the last page of %s does not have Last set", what)
	}
	var all []string
	seen := map[string]int{}
	for i, p := range pages {
		if i < len(pages)-1 && p.Cursor == "" {
			t.Errorf("page %d of %s has no cursor to resume after it", i+1, what)
		}
		for _, it := range p.Items {
			kk := key(it)
			if kk == "" {
				t.Errorf("%s page %d holds an item without an id", what, i+1)
			}
			if seen[kk]++; seen[kk] == 2 {
				t.Errorf("%s %q appears twice in one full read", what, kk)
			}
			all = append(all, kk)
		}
	}
	if len(pages) < 3 {
		t.Logf("%s: %d item(s) in %d page(s); the resume check is weak with so few pages (use WithPageSize or a larger channel)", what, len(all), len(pages))
	}
	// after[i] is the number of items in pages[0..i].
	var after []int
	n := 0
	for _, p := range pages {
		n += len(p.Items)
		after = append(after, n)
	}
	var at []int
	for i := 0; i < len(pages)-1; i++ {
		at = append(at, i)
	}
	if len(at) > 10 {
		step := len(at) / 10
		var s []int
		for i := 0; i < len(at); i += step {
			s = append(s, at[i])
		}
		at = s
	}
	at = append(at, len(pages)-1) // resuming after the last page gives nothing new
	for _, i := range at {
		cursor := pages[i].Cursor
		if cursor == "" {
			continue
		}
		var got []string
		err := read(cursor, func(p sdk.Page[T]) error {
			for _, it := range p.Items {
				got = append(got, key(it))
			}
			return nil
		})
		if err != nil {
			t.Errorf("resuming %s after page %d (cursor %q): %v", what, i+1, cursor, err)
			continue
		}
		want := all[after[i]:]
		if lost, repeated := diff(want, got, all[:after[i]]); len(lost) > 0 || len(repeated) > 0 {
			t.Errorf("resuming %s after page %d of %d (cursor %q): lost %v, repeated %v", what, i+1, len(pages), cursor, head(lost), head(repeated))
		}
	}
}

// diff reports the items of want missing from got, and the items of got that
// were handed out before the cursor or appear twice.
func diff(want, got, before []string) (lost, repeated []string) {
	g := map[string]int{}
	for _, x := range got {
		g[x]++
		if g[x] == 2 {
			repeated = append(repeated, x)
		}
	}
	for _, x := range want {
		if g[x] == 0 {
			lost = append(lost, x)
		}
	}
	for _, x := range before {
		if g[x] > 0 {
			repeated = append(repeated, x)
		}
	}
	return lost, repeated
}

func head(xs []string) []string {
	if len(xs) > 5 {
		return append(xs[:5:5], fmt.Sprintf("… %d more", len(xs)-5))
	}
	return xs
}

func (k *kit) checkProductsRead(t *testing.T) {
	l := k.open(t, "products")
	ctx := k.ctx(t)
	checkResume(t, "products", func(cursor string, emit func(sdk.ProductPage) error) error {
		return l.ReadProducts(ctx, sdk.ReadRequest{Cursor: cursor, PageSize: k.opts.pageSize}, emit)
	}, func(p sdk.Product) string { return p.ID })
}

func (k *kit) checkOrdersRead(t *testing.T) {
	l := k.open(t, "orders")
	ctx := k.ctx(t)
	checkResume(t, "orders", func(cursor string, emit func(sdk.OrderPage) error) error {
		return l.ReadOrders(ctx, sdk.ReadRequest{Cursor: cursor, PageSize: k.opts.pageSize}, emit)
	}, func(o sdk.Order) string { return o.ID })
}

func stockKey(s sdk.StockLevel) string {
	id := s.SKU
	if id == "" {
		id = s.VariantID
	}
	if id == "" {
		id = s.InventoryItemID
	}
	if id == "" {
		return ""
	}
	return id + "@" + s.LocationID
}

func (k *kit) checkStockRead(t *testing.T) {
	l := k.open(t, "stock")
	ctx := k.ctx(t)
	checkResume(t, "stock levels", func(cursor string, emit func(sdk.StockPage) error) error {
		req := sdk.StockReadRequest{ReadRequest: sdk.ReadRequest{Cursor: cursor, PageSize: k.opts.pageSize}, Quantity: k.opts.quantity}
		return l.ReadStock(ctx, req, emit)
	}, stockKey)
}

// readLevels reads the current quantity of each of rows, by SKU.
func (k *kit) readLevels(t *testing.T, l *sdk.RemoteLink, rows []sdk.StockLevel) map[string]int64 {
	t.Helper()
	var skus []string
	for _, r := range rows {
		if r.SKU != "" {
			skus = append(skus, r.SKU)
		}
	}
	got := map[string]int64{}
	req := sdk.StockReadRequest{ReadRequest: sdk.ReadRequest{SKUs: skus}, Quantity: k.opts.quantity}
	err := l.ReadStock(k.ctx(t), req, func(p sdk.StockPage) error {
		for _, s := range p.Items {
			got[stockKey(s)] = s.Quantity
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading stock back: %v", err)
	}
	return got
}

func (k *kit) stockRows(t *testing.T, l *sdk.RemoteLink) []sdk.StockLevel {
	if len(k.opts.stockRows) > 0 {
		return k.opts.stockRows
	}
	if !k.desc.Has(sdk.CapStockRead) {
		t.Skip("stock.write without stock.read: give the rows to write with conformance.WithStockRows")
	}
	var rows []sdk.StockLevel
	req := sdk.StockReadRequest{ReadRequest: sdk.ReadRequest{PageSize: 3}, Quantity: k.opts.quantity}
	err := l.ReadStock(k.ctx(t), req, func(p sdk.StockPage) error {
		for _, s := range p.Items {
			if len(rows) < 3 && s.SKU != "" {
				rows = append(rows, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading stock to find rows to write: %v", err)
	}
	if len(rows) == 0 {
		t.Skip("the channel holds no stock level with a SKU to write; give rows with conformance.WithStockRows")
	}
	return rows
}

func (k *kit) writeStock(t *testing.T, l *sdk.RemoteLink, key string, rows []sdk.StockLevel, delta int64) []sdk.StockWriteResult {
	t.Helper()
	req := sdk.StockWriteRequest{IdempotencyKey: key, Quantity: k.opts.quantity}
	for i, r := range rows {
		r.Quantity += delta
		req.Rows = append(req.Rows, sdk.StockWrite{Key: fmt.Sprint("row", i), Level: r})
	}
	res, err := l.WriteStock(k.ctx(t), req)
	if err != nil {
		t.Fatalf("WriteStock (key %s): %v", key, err)
	}
	if len(res) != len(rows) {
		t.Fatalf("WriteStock answered %d results for %d rows; the contract is one result per row", len(res), len(rows))
	}
	for i, r := range res {
		if r.Key != req.Rows[i].Key {
			t.Errorf("result %d has key %q, want the row's key %q", i, r.Key, req.Rows[i].Key)
		}
		if r.Err != nil {
			t.Errorf("row %s (%s at %s) failed: %v", r.Key, rows[i].SKU, rows[i].LocationID, r.Err)
		}
	}
	return res
}

func (k *kit) expectLevels(t *testing.T, l *sdk.RemoteLink, rows []sdk.StockLevel, delta int64, when string) {
	t.Helper()
	got := k.readLevels(t, l, rows)
	for _, r := range rows {
		if q, ok := got[stockKey(r)]; !ok || q != r.Quantity+delta {
			t.Errorf("%s: %s at %s holds %d, want %d", when, r.SKU, r.LocationID, q, r.Quantity+delta)
		}
	}
}

func (k *kit) checkStockWrite(t *testing.T) {
	l := k.open(t, "stock-write")
	rows := k.stockRows(t, l)
	canRead := k.desc.Has(sdk.CapStockRead)
	key := func(s string) string { return "conformance-" + k.runID + "-" + s }

	t.Run("idempotent", func(t *testing.T) {
		k.writeStock(t, l, key("a"), rows, 3)
		if canRead {
			k.expectLevels(t, l, rows, 3, "after the first write")
		}
		k.writeStock(t, l, key("b"), rows, 5)
		replay := k.writeStock(t, l, key("a"), rows, 3)
		if canRead {
			k.expectLevels(t, l, rows, 5, "after a write was replayed with its idempotency key (it must not apply again)")
		} else {
			for _, r := range replay {
				if !r.Replayed {
					t.Errorf("row %s of a replayed write is not marked Replayed", r.Key)
				}
			}
		}
		// Put the levels back as they were.
		k.writeStock(t, l, key("restore"), rows, 0)
	})

	t.Run("per-row errors", func(t *testing.T) {
		good := rows[0]
		unknownSKU := good
		unknownSKU.SKU = "conformance-unknown-sku-" + k.runID
		unknownSKU.VariantID, unknownSKU.InventoryItemID = "", ""
		unknownLoc := good
		unknownLoc.LocationID = "conformance-unknown-location-" + k.runID
		req := sdk.StockWriteRequest{IdempotencyKey: key("rows"), Quantity: k.opts.quantity, Rows: []sdk.StockWrite{
			{Key: "good", Level: sdk.StockLevel{SKU: good.SKU, VariantID: good.VariantID, InventoryItemID: good.InventoryItemID, LocationID: good.LocationID, Quantity: good.Quantity + 2}},
			{Key: "unknown-sku", Level: unknownSKU},
			{Key: "unknown-location", Level: unknownLoc},
		}}
		res, err := l.WriteStock(k.ctx(t), req)
		if err != nil {
			t.Fatalf("WriteStock with one unknown SKU and one unknown location failed as a whole (%v); each row must fail alone", err)
		}
		if len(res) != 3 {
			t.Fatalf("%d results for 3 rows", len(res))
		}
		byKey := map[string]sdk.StockWriteResult{}
		for _, r := range res {
			byKey[r.Key] = r
		}
		if r := byKey["good"]; r.Err != nil {
			t.Errorf("the good row failed beside the bad ones: %v", r.Err)
		}
		for _, bad := range []string{"unknown-sku", "unknown-location"} {
			if r, ok := byKey[bad]; !ok || r.Err == nil {
				t.Errorf("row %s was not reported as failed", bad)
			}
		}
		if canRead {
			k.expectLevels(t, l, rows[:1], 2, "after the batch with bad rows")
		}
		k.writeStock(t, l, key("restore-rows"), rows[:1], 0)
	})
}

func (k *kit) checkProductsWrite(t *testing.T) {
	l := k.open(t, "products-write")
	ctx := k.ctx(t)
	sku := "CONF-" + strings.ToUpper(k.runID)
	w := sdk.ProductWrite{Key: "p1", Product: k.opts.product(sku), IdempotencyKey: "conformance-" + k.runID + "-p1"}

	t.Run("idempotent", func(t *testing.T) {
		var ids []string
		for range 2 {
			res, err := l.WriteProducts(ctx, []sdk.ProductWrite{w})
			if err != nil {
				t.Fatalf("WriteProducts: %v", err)
			}
			if len(res) != 1 || res[0].Key != "p1" {
				t.Fatalf("WriteProducts answered %+v for one write keyed p1", res)
			}
			if res[0].Err != nil {
				t.Fatalf("writing product %s: %v", sku, res[0].Err)
			}
			if res[0].Product.ID == "" {
				t.Errorf("the written product has no channel id in the result")
			}
			ids = append(ids, res[0].Product.ID)
		}
		if ids[0] != ids[1] {
			t.Errorf("the same write sent twice made two products (%s, %s)", ids[0], ids[1])
		}
		if !k.desc.Has(sdk.CapProductsRead) {
			return
		}
		n := 0
		err := l.ReadProducts(ctx, sdk.ReadRequest{SKUs: []string{sku}}, func(p sdk.ProductPage) error {
			for _, pr := range p.Items {
				for _, v := range pr.Variants {
					if v.SKU == sku {
						n++
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("reading the product back by SKU: %v", err)
		}
		if n != 1 {
			t.Errorf("after writing SKU %s twice with one idempotency key, the channel holds it %d times, want 1", sku, n)
		}
	})

	t.Run("per-row errors", func(t *testing.T) {
		good := sdk.ProductWrite{Key: "good", Product: k.opts.product(sku + "-2"), IdempotencyKey: "conformance-" + k.runID + "-p2"}
		missing := sdk.ProductWrite{Key: "missing", Product: k.opts.product(sku + "-3"), IdempotencyKey: "conformance-" + k.runID + "-p3"}
		missing.Product.ID = "conformance-no-such-product-" + k.runID
		res, err := l.WriteProducts(ctx, []sdk.ProductWrite{good, missing})
		if err != nil {
			t.Fatalf("WriteProducts with one update of a product that does not exist failed as a whole (%v); the row must fail alone", err)
		}
		if len(res) != 2 {
			t.Fatalf("%d results for 2 writes", len(res))
		}
		for _, r := range res {
			switch r.Key {
			case "good":
				if r.Err != nil {
					t.Errorf("the good write failed beside the bad one: %v", r.Err)
				}
			case "missing":
				if r.Err == nil {
					t.Errorf("updating product id %q, which does not exist, was reported as done", missing.Product.ID)
				}
			default:
				t.Errorf("result with unknown key %q", r.Key)
			}
		}
	})
}

func (k *kit) checkWebhooks(t *testing.T) {
	l := k.open(t, "webhooks")
	ctx := k.ctx(t)
	body := k.opts.webhookBody

	t.Run("unsigned refused", func(t *testing.T) {
		_, err := l.HandleWebhook(ctx, sdk.Webhook{Header: map[string][]string{}, Body: body})
		if sdk.ClassOf(err) != sdk.ClassUnauthenticated {
			t.Errorf("a delivery without a signature gave %v (class %q), want class %q", err, sdk.ClassOf(err), sdk.ClassUnauthenticated)
		}
	})
	t.Run("bad signature refused", func(t *testing.T) {
		if k.opts.sign == nil {
			t.Skip("give conformance.WithSignedWebhook to check signed deliveries")
		}
		h := k.opts.sign(body)
		tampered := append(append([]byte(nil), body...), ' ')
		_, err := l.HandleWebhook(ctx, sdk.Webhook{Header: h, Body: tampered})
		if sdk.ClassOf(err) != sdk.ClassUnauthenticated {
			t.Errorf("a delivery whose body does not match its signature gave %v (class %q), want class %q", err, sdk.ClassOf(err), sdk.ClassUnauthenticated)
		}
		res, err := l.HandleWebhook(ctx, sdk.Webhook{Header: h, Body: body})
		if err != nil {
			t.Errorf("a genuine delivery was refused: %v", err)
		} else if len(res.Events) == 0 {
			t.Logf("a genuine delivery produced no events (is the WithWebhookBody body one the connector understands?)")
		}
	})
	t.Run("subscribe twice", func(t *testing.T) {
		first, err := l.EnsureWebhooks(ctx, k.opts.callbackURL, nil)
		if err != nil {
			t.Fatalf("EnsureWebhooks: %v", err)
		}
		if len(first) == 0 {
			t.Errorf("EnsureWebhooks subscribed nothing")
		}
		second, err := l.EnsureWebhooks(ctx, k.opts.callbackURL, nil)
		if err != nil {
			t.Fatalf("EnsureWebhooks a second time: %v", err)
		}
		for _, s := range second {
			if s.Created {
				t.Errorf("EnsureWebhooks created topic %s again; subscribing twice must do nothing the second time", s.Topic)
			}
		}
	})
}

func (k *kit) checkLocations(t *testing.T) {
	l := k.open(t, "locations")
	locs, err := l.ListLocations(k.ctx(t))
	if err != nil {
		t.Fatalf("ListLocations: %v", err)
	}
	seen := map[string]bool{}
	for _, x := range locs {
		if x.ID == "" || seen[x.ID] {
			t.Errorf("location %+v: every location needs a unique id", x)
		}
		seen[x.ID] = true
	}
}

func (k *kit) checkCategories(t *testing.T) {
	l := k.open(t, "categories")
	cats, err := l.ListCategories(k.ctx(t))
	if err != nil {
		t.Fatalf("ListCategories: %v", err)
	}
	seen := map[string]bool{}
	for _, x := range cats {
		key := x.ID + "/" + x.Name
		if x.Name == "" || seen[key] {
			t.Errorf("category %+v: every category needs a name and must appear once", x)
		}
		seen[key] = true
	}
}

func (k *kit) checkAuthorize(t *testing.T) {
	l := k.open(t, "authorize")
	state := "conformance-state-" + k.runID
	u, err := l.StartAuthorization(k.ctx(t), "https://conformance.invalid/callback", state)
	if err != nil {
		t.Fatalf("StartAuthorization: %v", err)
	}
	parsed, err := url.Parse(u)
	if err != nil || !parsed.IsAbs() {
		t.Fatalf("StartAuthorization returned %q, not an absolute URL", u)
	}
	if !strings.Contains(u, url.QueryEscape(state)) && !strings.Contains(u, state) {
		t.Errorf("the authorization URL %q does not carry the state %q the host checks on the callback", u, state)
	}
}
