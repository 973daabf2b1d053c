package shopbox

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
)

// Many clients at once: sales, cancellations, reads and product writes
// interleave, and afterwards every stock level equals the catalogue's start
// minus what the sales that stand took from it.
func TestConcurrentClientsKeepStockConsistent(t *testing.T) {
	cat := catalog.Generate(catalog.Config{Products: 40, MinVariants: 1, MaxVariants: 3, Locations: 2, Seed: 21})
	f := start(t, Options{Catalog: cat, Seed: 4})
	f.login()
	start := map[[2]int]int{} // (variance or product uid, branch) -> quantity
	for _, p := range f.srv.Products() {
		for _, b := range f.srv.Branches() {
			if len(p.ProductVariances) == 0 {
				start[[2]int{p.UID, b.UID}] = f.srv.Stock(p.SKUCode, b.UID)
			}
			for _, v := range p.ProductVariances {
				start[[2]int{v.UID, b.UID}] = f.srv.Stock(v.SKUCode, b.UID)
			}
		}
	}

	const workers = 24
	var wg sync.WaitGroup
	errs := make(chan error, workers*10)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				switch w % 3 {
				case 0:
					uid := f.srv.PlaceRandomSale()
					if uid == 0 {
						errs <- fmt.Errorf("worker %d: no sale", w)
						return
					}
					if i%3 == 0 {
						if status, _ := f.raw("PUT", "/api/v3/baskets/"+strconv.Itoa(uid)+"/cancel", f.q(), nil); status != 200 {
							errs <- fmt.Errorf("cancel: status %d", status)
						}
					}
				case 1:
					if status, _ := f.raw("GET", "/api/v3/products", f.q("page", strconv.Itoa(1+i%2), "with", "product_variances"), nil); status != 200 {
						errs <- fmt.Errorf("list products: status %d", status)
					}
					if status, _ := f.raw("GET", "/api/v3/product-inventories", f.q("per-page", "100"), nil); status != 200 {
						errs <- fmt.Errorf("list inventories: status %d", status)
					}
				case 2:
					body := map[string]any{"uid": nil, "name": fmt.Sprintf("Ny vare %d-%d", w, i), "sku_code": fmt.Sprintf("NEW-%d-%d", w, i), "selling_price": 9900}
					if status, raw := f.raw("POST", "/api/v3/products/create-or-update", f.q(), body); status != 201 {
						errs <- fmt.Errorf("create: status %d %s", status, raw)
					}
					if status, _ := f.raw("GET", "/api/v3/baskets", f.q(), nil); status != 200 {
						errs <- fmt.Errorf("list baskets: status %d", status)
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	want := start
	for _, b := range f.srv.Baskets() {
		if b.Canceled {
			continue
		}
		for _, it := range b.BasketItems {
			switch {
			case it.ProductVariance != nil:
				want[[2]int{*it.ProductVariance, b.Branch}] -= it.Quantity
			case it.Product != nil:
				want[[2]int{*it.Product, b.Branch}] -= it.Quantity
			}
		}
	}
	for _, p := range f.srv.Products() {
		for _, br := range f.srv.Branches() {
			if len(p.ProductVariances) == 0 {
				if k := [2]int{p.UID, br.UID}; f.srv.Stock(p.SKUCode, br.UID) != want[k] {
					t.Errorf("%s at branch %d: %d, want %d", p.SKUCode, br.UID, f.srv.Stock(p.SKUCode, br.UID), want[k])
				}
			}
			for _, v := range p.ProductVariances {
				if k := [2]int{v.UID, br.UID}; f.srv.Stock(v.SKUCode, br.UID) != want[k] {
					t.Errorf("%s at branch %d: %d, want %d", v.SKUCode, br.UID, f.srv.Stock(v.SKUCode, br.UID), want[k])
				}
			}
		}
	}
	if n := len(f.srv.Products()); n != 40+8*8 {
		t.Errorf("%d products, want %d", n, 40+8*8)
	}
}

func TestDeletedProductLeavesSalesIntact(t *testing.T) {
	f := start(t, Options{})
	f.login()
	p := f.srv.Products()[0]
	b, err := f.srv.PlaceSale(Sale{Items: []SaleItem{{SKU: skuOf(p), Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if status, _ := f.raw("DELETE", "/_sandbox/products/"+strconv.Itoa(p.UID), nil, nil); status != 204 {
		t.Fatalf("delete: status %d", status)
	}
	if status, _ := f.do("GET", "/api/v3/products/"+strconv.Itoa(p.UID), f.q(), nil); status != 404 {
		t.Errorf("deleted product: status %d, want 404", status)
	}
	if rows := list(f.api("GET", "/api/v3/product-inventories", 200, nil, "product", strconv.Itoa(p.UID))); len(rows) != 0 {
		t.Errorf("deleted product still has %d inventory rows", len(rows))
	}
	got := data(f.api("GET", "/api/v3/baskets/"+strconv.Itoa(b.UID), 200, nil))
	if num(got["basket_items"].([]any)[0].(map[string]any)["product"]) != int64(p.UID) {
		t.Errorf("the sale no longer names the deleted product: %v", got)
	}
	// The product can come back through the control API's create-or-update.
	status, raw := f.raw("POST", "/_sandbox/products/create-or-update", nil, map[string]any{"name": "Tilbake", "sku_code": skuOf(p)})
	if status != 201 {
		t.Errorf("control create-or-update: %d %s", status, raw)
	}
}
