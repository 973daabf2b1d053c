package host_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// shopboxMerchant changes a Shopbox product through the API, as the
// merchant's back office would (not counted as a connector write).
func (w *world) shopboxMerchant(t *testing.T, product map[string]any) {
	t.Helper()
	post := func(path string, q url.Values, body any) []byte {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", w.urls["shopbox"]+"/api/v3/"+path+"?"+q.Encode(), bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(testEditHeader, "1")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode/100 != 2 {
			t.Fatalf("Shopbox %s: %d %s", path, res.StatusCode, out)
		}
		return out
	}
	var login struct{ AccessToken string }
	_ = json.Unmarshal(post("authenticate/credentials", url.Values{}, map[string]string{"username": "sandbox@shopbox.test", "password": shopboxPass}), &login)
	post("products/create-or-update", url.Values{"accessToken": {login.AccessToken}, "client": {"1"}}, product) // the sandbox's one shop
}

// shopboxProduct finds the Shopbox product holding a SKU.
func (w *world) shopboxProduct(sku string) (uid int, name string, ore int64, ok bool) {
	for _, p := range w.shopbox.Products() {
		if p.SKUCode == sku {
			return p.UID, p.Name, p.SellingPrice, true
		}
	}
	return 0, "", 0, false
}

// TestShopboxContinuousSyncShopbox is the Shopbox guide's "Løpende
// synkronisering av produkter: Shopbox" ("Overføringen av data fra Shopbox
// til Rackbeat skjer hver andre time"): Shopbox announces no product
// changes, so the periodic pull carries an edit made in Shopbox to
// Rackbeat — name, and the price in øre including VAT less 25 % VAT. The
// pull runs every 2 s here instead of every 2 hours.
func TestShopboxContinuousSyncShopbox(t *testing.T) {
	w := newWorld(t, 6)
	w.start(w.shopboxLink("pos", orders("enabled", "false", "currency", "NOK"),
		`direction: channel, prices_exclude_vat: true, vat_rate: "0.25", default_group: 1, pull_every: 2s`, ""))
	sku := w.sku(2)
	uid, _, _, ok := w.shopboxProduct(sku)
	if !ok {
		t.Fatalf("%s is not in Shopbox", sku)
	}
	w.shopboxMerchant(t, map[string]any{"uid": uid, "name": "Termokopp fra kassen", "selling_price": 12500})
	w.eventually("the Shopbox edit in Rackbeat", 60*time.Second, func() bool {
		p, _ := w.rb.Product(sku)
		return p.Name == "Termokopp fra kassen" && p.SalesPrice.String() == "100"
	})
}

// TestShopboxContinuousSyncRackbeat is "Løpende synkronisering av
// produkter: Rackbeat" ("endringer i Rackbeat ... automatisk bli oppdatert
// i Shopbox"): a Rackbeat edit reaches Shopbox on Rackbeat's webhook, its
// price excluding VAT becoming øre including 25 % VAT.
func TestShopboxContinuousSyncRackbeat(t *testing.T) {
	w := newWorld(t, 6)
	w.start(w.shopboxLink("pos", orders("enabled", "false", "currency", "NOK"),
		`direction: inventory, prices_exclude_vat: true, vat_rate: "0.25", reconcile_every: 6h`, ""))
	sku := w.sku(3)
	p, _ := w.rb.Product(sku)
	body, _ := json.Marshal(map[string]any{"number": sku, "name": "Kaffekopp Deluxe", "sales_price": "80", "group": p.Group})
	if _, err := w.rb.UpsertProduct(body); err != nil {
		t.Fatal(err)
	}
	w.eventually("the Rackbeat edit in Shopbox", 60*time.Second, func() bool {
		_, name, ore, _ := w.shopboxProduct(sku)
		return name == "Kaffekopp Deluxe" && ore == 10000
	})
}

// TestShopboxContinuousSyncDisabled is "Deaktiver løpende synkronisering"
// (direction off): an edit in Rackbeat and one in Shopbox stay where they
// were made, and nothing is written to either side's products.
func TestShopboxContinuousSyncDisabled(t *testing.T) {
	w := newWorld(t, 6, countWrites)
	w.start(w.shopboxLink("pos", orders("enabled", "false", "currency", "NOK"), `direction: off, pull_every: 2s`, ""))
	w.quiesce(t)
	before := w.writes.snapshot()
	rbSKU, sbSKU := w.sku(1), w.sku(2)
	p, _ := w.rb.Product(rbSKU)
	body, _ := json.Marshal(map[string]any{"number": rbSKU, "name": "Bare i Rackbeat", "group": p.Group})
	if _, err := w.rb.UpsertProduct(body); err != nil {
		t.Fatal(err)
	}
	uid, _, _, _ := w.shopboxProduct(sbSKU)
	w.shopboxMerchant(t, map[string]any{"uid": uid, "name": "Bare i Shopbox"})
	time.Sleep(3 * time.Second) // past one pull_every, had the pull been on
	w.quiesce(t)
	_, sbName, _, _ := w.shopboxProduct(rbSKU)
	rbOther, _ := w.rb.Product(sbSKU)
	if sbName == "Bare i Rackbeat" || rbOther.Name == "Bare i Shopbox" {
		t.Errorf("with continuous sync off an edit was carried: Shopbox %q, Rackbeat %q", sbName, rbOther.Name)
	}
	if a, b := w.writes.productWrites("rackbeat", before), w.writes.productWrites("shopbox", before); a+b != 0 {
		t.Errorf("with continuous sync off products were written: Rackbeat %d, Shopbox %d: %s", a, b, w.writes)
	}
}
