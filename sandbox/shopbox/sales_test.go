package shopbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestSaleThroughAPIMovesStockAtItsBranchOnly(t *testing.T) {
	f := start(t, Options{})
	f.login()
	br := f.srv.Branches()
	p := f.srv.Products()[0]
	sku := skuOf(p)
	line := map[string]any{"product": p.UID, "quantity": 2, "discount": 0.0, "name": nil}
	if len(p.ProductVariances) > 0 {
		line["product_variance"] = p.ProductVariances[0].UID
	}
	at0, at1 := f.srv.Stock(sku, br[0].UID), f.srv.Stock(sku, br[1].UID)

	b := data(f.api("POST", "/api/v3/baskets", 201, map[string]any{
		"external_id": "web-1", "cash_register": br[0].CashRegisters[0].UID, "staff": 3,
		"basket_items": []any{line, map[string]any{"product": nil, "quantity": 1, "selling_price": 4900, "name": "Frakt"}},
	}))
	if got := f.srv.Stock(sku, br[0].UID); got != at0-2 {
		t.Errorf("stock at the sale's branch = %d, want %d", got, at0-2)
	}
	if got := f.srv.Stock(sku, br[1].UID); got != at1 {
		t.Errorf("stock at the other branch = %d, want %d unchanged", got, at1)
	}
	items := b["basket_items"].([]any)
	ship := items[1].(map[string]any)
	if ship["product"] != nil || ship["name"] != "Frakt" || num(ship["selling_price"]) != 4900 {
		t.Errorf("shipping line: %v", ship)
	}
	first := items[0].(map[string]any)
	if first["sku_code"] != sku || num(first["selling_price"]) != p.SellingPrice && len(p.ProductVariances) == 0 {
		t.Errorf("product line: %v", first)
	}
	if want := 2*num(first["selling_price"]) + 4900; num(b["total"]) != want {
		t.Errorf("total = %v, want %d", b["total"], want)
	}
	if num(b["branch"]) != int64(br[0].UID) || b["canceled"] != false || b["external_id"] != "web-1" {
		t.Errorf("basket: %v", b)
	}

	if status, ans := f.do("POST", "/api/v3/baskets", f.q(), map[string]any{"cash_register": 1, "basket_items": []any{line}}); status != 422 {
		t.Errorf("unknown cash register: status %d, want 422", status)
	} else {
		errorShape(t, 422, ans)
	}
	if status, _ := f.do("POST", "/api/v3/baskets", f.q(), map[string]any{
		"cash_register": br[0].CashRegisters[0].UID, "basket_items": []any{map[string]any{"product": p.UID, "quantity": 1, "discount": 0.5}},
	}); status != 422 {
		t.Errorf("a discount of half an øre: status %d, want 422", status)
	}
}

func TestControlSaleCancelAndTimeWindow(t *testing.T) {
	f := start(t, Options{TokenTTL: 24 * time.Hour})
	f.login()
	br := f.srv.Branches()[1]
	sku := skuOf(f.srv.Products()[3])
	before := f.srv.Stock(sku, br.UID)
	t0 := f.clock.Now().Unix()

	status, raw := f.raw("POST", "/_sandbox/baskets", nil, Sale{
		CashRegister: br.CashRegisters[0].UID, Shipping: 6900,
		Items: []SaleItem{{SKU: sku, Quantity: 3, Discount: 1000}},
	})
	if status != 201 {
		t.Fatalf("control sale: %d %s", status, raw)
	}
	var b Basket
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Stock(sku, br.UID); got != before-3 {
		t.Fatalf("stock after sale = %d, want %d", got, before-3)
	}
	if len(b.BasketItems) != 2 || b.BasketItems[1].Product != nil || *b.BasketItems[1].Name != "Frakt" {
		t.Errorf("items: %+v", b.BasketItems)
	}
	if b.Total != 3*b.BasketItems[0].SellingPrice-1000+6900 {
		t.Errorf("total %d does not add up", b.Total)
	}

	f.clock.Advance(time.Hour)
	later, err := f.srv.PlaceSale(Sale{Items: []SaleItem{{SKU: sku, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	window := list(f.api("GET", "/api/v3/baskets", 200, nil, "from", strconv.FormatInt(t0, 10), "to", strconv.FormatInt(t0+60, 10)))
	if len(window) != 1 || num(window[0]["uid"]) != int64(b.UID) {
		t.Errorf("from/to window holds %v, want only the first sale", window)
	}
	if got := list(f.api("GET", "/api/v3/baskets", 200, nil, "from", strconv.FormatInt(t0+60, 10))); len(got) != 1 || num(got[0]["uid"]) != int64(later.UID) {
		t.Errorf("from= after the first sale holds %v", got)
	}

	f.clock.Advance(time.Minute)
	canceled := data(f.api("PUT", "/api/v3/baskets/"+strconv.Itoa(b.UID)+"/cancel", 200, nil))
	if canceled["canceled"] != true {
		t.Errorf("cancel answer: %v", canceled)
	}
	if got := f.srv.Stock(sku, br.UID); got != before-3+3 {
		t.Errorf("stock after cancel = %d, want %d", got, before)
	}
	if status, _ := f.raw("POST", "/_sandbox/baskets/"+strconv.Itoa(b.UID)+"/cancel", nil, nil); status != 200 {
		t.Errorf("second cancel: status %d", status)
	}
	if got := f.srv.Stock(sku, br.UID); got != before {
		t.Errorf("a second cancel put stock back again: %d, want %d", got, before)
	}
	changed := list(f.api("GET", "/api/v3/baskets", 200, nil, "updated_since", strconv.FormatInt(f.clock.Now().Unix(), 10)))
	if len(changed) != 1 || changed[0]["canceled"] != true {
		t.Errorf("updated_since after the cancel: %v", changed)
	}
	if status, _ := f.do("PUT", "/api/v3/baskets/424242/cancel", f.q(), nil); status != 404 {
		t.Errorf("cancel of an unknown basket: status %d, want 404", status)
	}
	one := data(f.api("GET", "/api/v3/baskets/"+strconv.Itoa(later.UID), 200, nil, "with", "product0"))
	if it := one["basket_items"].([]any)[0].(map[string]any); it["product0"] == nil {
		t.Errorf("with=product0 on a basket item: %v", it)
	}
}

// receiver records pushes.
type receiver struct {
	mu   sync.Mutex
	got  []received
	fail int // answer 500 to this many first requests
}

type received struct {
	header http.Header
	body   []byte
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.fail > 0 {
		rc.fail--
		w.WriteHeader(500)
		return
	}
	rc.got = append(rc.got, received{r.Header.Clone(), body})
}

func TestSignMatchesKnownHMACVector(t *testing.T) {
	// RFC 4231-style public vector: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
	got := Sign("key", []byte("The quick brown fox jumps over the lazy dog"))
	want := "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestPushIsSignedAndRetried(t *testing.T) {
	rc := &receiver{fail: 1}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	f := start(t, Options{PushSecret: "delt-hemmelighet"})
	f.login()
	f.api("POST", "/api/v3/webhooks", 201, map[string]any{"event": "basket.created", "url": hook.URL + "/hooks/sb"})
	f.api("POST", "/api/v3/webhooks", 201, map[string]any{"event": "basket.canceled", "url": hook.URL + "/hooks/sb"})
	if status, _ := f.do("POST", "/api/v3/webhooks", f.q(), map[string]any{"event": "order.created", "url": hook.URL}); status != 422 {
		t.Errorf("unknown event: status %d, want 422", status)
	}

	uid := f.srv.PlaceRandomSale()
	if _, err := f.srv.CancelBasket(uid); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.srv.FlushPushes(ctx); err != nil {
		t.Fatal(err)
	}

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 2 {
		t.Fatalf("received %d pushes, want 2 (created after one retry, canceled)", len(rc.got))
	}
	events := map[string]Basket{}
	ids := map[string]bool{}
	for _, p := range rc.got {
		// Independent of Sign: compute the HMAC here from the raw body.
		m := hmac.New(sha256.New, []byte("delt-hemmelighet"))
		m.Write(p.body)
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if got := p.header.Get("X-Shopbox-Signature"); got != want {
			t.Errorf("signature %s, want %s", got, want)
		}
		if p.header.Get("X-Shopbox-Timestamp") != strconv.FormatInt(f.clock.Now().Unix(), 10) {
			t.Errorf("timestamp header %q", p.header.Get("X-Shopbox-Timestamp"))
		}
		id := p.header.Get("X-Shopbox-Delivery")
		if id == "" || ids[id] {
			t.Errorf("delivery id %q missing or repeated", id)
		}
		ids[id] = true
		var b Basket
		if err := json.Unmarshal(p.body, &b); err != nil {
			t.Fatalf("push body is not a basket: %v", err)
		}
		events[p.header.Get("X-Shopbox-Event")] = b
	}
	if c, ok := events["basket.created"]; !ok || c.UID != uid || c.Canceled {
		t.Errorf("basket.created push: %+v", c)
	}
	if c, ok := events["basket.canceled"]; !ok || c.UID != uid || !c.Canceled {
		t.Errorf("basket.canceled push: %+v", c)
	}
	attempts := 0
	for _, a := range f.srv.PushLog() {
		if a.URL == hook.URL+"/hooks/sb" {
			attempts++
		}
	}
	if attempts != 3 {
		t.Errorf("%d delivery attempts logged, want 3 (one failure, two successes)", attempts)
	}
}

func TestRandomSalesAreDeterministicBySeed(t *testing.T) {
	run := func(seed int64) []Basket {
		f := start(t, Options{Seed: seed})
		for range 10 {
			if f.srv.PlaceRandomSale() == 0 {
				t.Fatal("random sale placed nothing")
			}
		}
		return f.srv.Baskets()
	}
	a, b, c := run(5), run(5), run(6)
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed gave different sales")
	}
	if reflect.DeepEqual(a, c) {
		t.Error("different seeds gave the same sales")
	}
}

func TestSnapshotRestoreRoundTrip(t *testing.T) {
	f := start(t, Options{Seed: 9})
	f.login()
	f.srv.PlaceRandomSale()
	snap, err := f.srv.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	sku := skuOf(f.srv.Products()[0])
	br := f.srv.Branches()[0].UID
	stock := f.srv.Stock(sku, br)
	wantNext := f.srv.PlaceRandomSale()
	if err := f.srv.SetStock(sku, br, stock+100); err != nil {
		t.Fatal(err)
	}

	status, raw := f.raw("POST", "/_sandbox/restore", nil, json.RawMessage(snap))
	if status != 200 {
		t.Fatalf("restore: %d %s", status, raw)
	}
	if n := len(f.srv.Baskets()); n != 1 {
		t.Errorf("%d baskets after restore, want 1", n)
	}
	if got := f.srv.Stock(sku, br); got != stock {
		t.Errorf("stock after restore = %d, want %d", got, stock)
	}
	if got := f.srv.PlaceRandomSale(); got != wantNext {
		t.Errorf("random sale after restore has uid %d, want %d (the sequence continues from the snapshot)", got, wantNext)
	}
	path := filepath.Join(t.TempDir(), "shopbox.json")
	if err := f.srv.SnapshotFile(path); err != nil {
		t.Fatal(err)
	}
	f.srv.PlaceRandomSale()
	if err := f.srv.RestoreFile(path); err != nil {
		t.Fatal(err)
	}
	if n := len(f.srv.Baskets()); n != 2 {
		t.Errorf("%d baskets after restoring the file, want 2", n)
	}
	// The API still works with the restored state and the old token.
	f.api("GET", "/api/v3/baskets", 200, nil)
	if status, _ := f.raw("POST", "/_sandbox/restore", nil, map[string]any{"version": 99}); status != 400 {
		t.Errorf("a bad snapshot: status %d, want 400", status)
	}
}

func TestFaultsAreMountedBeforeTheAPIOnly(t *testing.T) {
	f := start(t, Options{})
	f.login()
	status, raw := f.raw("PUT", "/_sandbox/faults", nil, map[string]any{
		"rules": []any{map[string]any{"path": "/api/v3/products", "error_rate": 1.0}},
	})
	if status != 200 {
		t.Fatalf("setting faults: %d %s", status, raw)
	}
	if status, _ := f.raw("GET", "/api/v3/products", f.q(), nil); status < 500 {
		t.Errorf("faulted endpoint: status %d, want 5xx", status)
	}
	f.api("GET", "/api/v3/tags", 200, nil)
	if status, _ := f.raw("GET", "/_sandbox/state", nil, nil); status != 200 {
		t.Errorf("control API under faults: status %d", status)
	}
	if f.srv.Faults().Counts()["error"] != 1 {
		t.Errorf("fault counts: %v", f.srv.Faults().Counts())
	}
	if status, _ := f.raw("DELETE", "/_sandbox/faults", nil, nil); status != 200 {
		t.Errorf("clearing faults: status %d", status)
	}
	f.api("GET", "/api/v3/products", 200, nil)
}

func TestControlState(t *testing.T) {
	f := start(t, Options{})
	f.login()
	f.srv.PlaceRandomSale()
	status, raw := f.raw("GET", "/_sandbox/state", nil, nil)
	if status != 200 {
		t.Fatal(status)
	}
	var st stateSummary
	if err := json.Unmarshal(raw, &st); err != nil {
		t.Fatal(err)
	}
	if st.Products != 30 || st.Baskets != 1 || st.LoginCount != 1 || len(st.Branches) != 2 {
		t.Errorf("state: %+v", st)
	}
	status, raw = f.raw("GET", "/_sandbox/stock?sku="+skuOf(f.srv.Products()[0]), nil, nil)
	var levels []stockLevel
	if status != 200 || json.Unmarshal(raw, &levels) != nil || len(levels) != 2 {
		t.Errorf("stock levels: %d %s", status, raw)
	}
}
