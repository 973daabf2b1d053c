package host_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// createLot creates a BOM ("strukturvare", a Rackbeat lot) through
// Rackbeat's API, as a user in Rackbeat would; Rackbeat sends lot.created.
func (w *world) createLot(t *testing.T, number, name string, lines map[string]int) {
	t.Helper()
	var ls []map[string]any
	for sku, q := range lines {
		ls = append(ls, map[string]any{"product_id": sku, "quantity": q})
	}
	b, _ := json.Marshal(map[string]any{"number": number, "name": name, "sales_price": "300", "lines": ls})
	req, _ := http.NewRequest("POST", w.urls["rackbeat"]+"/api/lots", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+rbToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(testEditHeader, "1")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("create lot: %d %s", res.StatusCode, body)
	}
}

// TestShopboxCreateBOMsFromRackbeat is the Shopbox guide's "Opprett
// strukturvarer fra Rackbeat i Shopbox" with "Løpende synkronisering av
// produkter: Rackbeat": a BOM created in Rackbeat appears in Shopbox at
// once (on Rackbeat's lot.created, the reconciliation being hours away) as
// a BOM product with the same components; with the setting off it does
// not appear.
func TestShopboxCreateBOMsFromRackbeat(t *testing.T) {
	for _, on := range []bool{true, false} {
		name := "Opprett strukturvarer: nei"
		if on {
			name = "Opprett strukturvarer: ja"
		}
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, 6, countWrites)
			products := `direction: inventory, reconcile_every: 6h`
			if on {
				products += `, create_boms: true`
			}
			w.start(w.shopboxLink("pos", orders("enabled", "false", "currency", "NOK"), products, ""))
			w.quiesce(t) // the reconciliation at start
			w.createLot(t, "GAVE-1", "Gaveeske", map[string]int{w.sku(0): 2, w.sku(1): 1})
			find := func() (found bool, isBOM bool, lines map[string]int) {
				for _, p := range w.shopbox.Products() {
					if p.SKUCode != "GAVE-1" {
						continue
					}
					lines = map[string]int{}
					for _, l := range p.BOMLines {
						lines[l.SKUCode] = l.Quantity
					}
					return true, p.IsBOM, lines
				}
				return false, false, nil
			}
			if !on {
				w.quiesce(t)
				if found, _, _ := find(); found {
					t.Fatal("with create_boms off the BOM was created in Shopbox")
				}
				return
			}
			w.eventually("the BOM in Shopbox", 60*time.Second, func() bool { found, _, _ := find(); return found })
			_, isBOM, lines := find()
			if !isBOM || lines[w.sku(0)] != 2 || lines[w.sku(1)] != 1 || len(lines) != 2 {
				t.Errorf("Shopbox product GAVE-1: BOM %v with lines %v; want a BOM of 2 × %s and 1 × %s", isBOM, lines, w.sku(0), w.sku(1))
			}
		})
	}
}
