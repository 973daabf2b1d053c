package host_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestShopboxContinuousSyncUIDFeltIDAndVariasjonsfeltIDOnMatchedProducts
// runs the Norwegian guide's "Shopbox UID felt ID" and "Shopbox variasjons
// felt ID" with "Løpende synkronisering" = Shopbox and = both through the
// real Shopbox connector, without an initial sync, into a Rackbeat that has
// every Shopbox product already (matched by SKU = varenummer), equal in
// every mapped field but without the two custom fields: the products
// flow's pull writes each product's Shopbox uid and variation uid, one
// write per product and one Rackbeat read per product as without fields;
// Rackbeat's webhooks for those writes (both) and a second pull write
// nothing; after a product's ids are changed in Rackbeat, reconciliation
// writes that product's ids back and nothing else, and a last
// reconciliation writes nothing.
func TestShopboxContinuousSyncUIDFeltIDAndVariasjonsfeltIDOnMatchedProducts(t *testing.T) {
	for _, dir := range []string{"channel", "both"} {
		t.Run(dir, func(t *testing.T) {
			w := newWorld(t, 12, countWrites)
			uidField, varField := w.shopboxIDFields(t)
			ids := w.shopboxIDs() // SKU → Shopbox uid, variation uid
			skus := make([]string, 0, len(ids))
			for _, p := range w.rb.Products() {
				if _, ok := ids[p.Number]; ok {
					skus = append(skus, p.Number)
					if p.FieldValues[uidField] != "" || p.FieldValues[varField] != "" {
						t.Fatalf("%s has Shopbox ids before the sync: %v", p.Number, p.FieldValues)
					}
				}
			}
			if len(skus) != len(ids) {
				t.Fatalf("Rackbeat has %d of the %d Shopbox SKUs; the test needs all", len(skus), len(ids))
			}
			checkFields := func(when string) {
				t.Helper()
				for _, p := range w.rb.Products() {
					want, ok := ids[p.Number]
					if !ok {
						continue
					}
					if p.FieldValues[uidField] != want[0] {
						t.Errorf("%s: %s: Shopbox UID felt = %q, want %q", when, p.Number, p.FieldValues[uidField], want[0])
					}
					if want[1] != "" && p.FieldValues[varField] != want[1] {
						t.Errorf("%s: %s: Shopbox variasjonsfelt = %q, want %q", when, p.Number, p.FieldValues[varField], want[1])
					}
				}
			}
			// productReads counts Rackbeat's product reads since the last reset.
			productReads := func() int {
				n := 0
				for route, c := range w.rb.RequestCountsByRoute() {
					if strings.HasPrefix(route, "GET /api/products") && !strings.Contains(route, "locations") {
						n += c
					}
				}
				return n
			}

			products := fmt.Sprintf(`direction: %s, prices_exclude_vat: true, vat_rate: "0.25", default_group: 1, uid_field: %d, variation_field: %d, pull_every: 1h, reconcile_every: 1h`, dir, uidField, varField)
			h := w.newHost(w.config(w.shopboxLink("pos", orders("enabled", "false"), products, "")))
			defer h.Close()
			ctx := context.Background()
			flows, _, err := h.Flows(ctx, "pos")
			if err != nil || flows.Products == nil {
				t.Fatalf("flows: %v", err)
			}
			prods := flows.Products

			mark := w.writes.snapshot()
			w.rb.ResetRequestCounts()
			rep, err := prods.Pull(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkFields("pull")
			if rep.RackbeatUpdated != len(ids) || rep.RackbeatCreated != 0 || rep.ChannelUpdated != 0 {
				t.Errorf("pull %+v; want every one of the %d products' ids written, nothing else", rep, len(ids))
			}
			if n := w.writes.productWrites("rackbeat", mark); n != len(ids) {
				t.Errorf("the pull made %d Rackbeat product writes for %d products; want one each (%s)", n, len(ids), w.writes)
			}
			if n := w.writes.productWrites("shopbox", mark); n != 0 {
				t.Errorf("the pull made %d Shopbox product writes; want none", n)
			}
			if n := productReads(); n != len(ids) {
				t.Errorf("the pull read Rackbeat's products %d times for %d products; want one read each (%v)", n, len(ids), w.rb.RequestCountsByRoute())
			}

			// Rackbeat's product.updated webhooks for the id writes (direction
			// both carries them to Shopbox), then the next pull: no writes.
			mark = w.writes.snapshot()
			if dir == "both" {
				if rep, err := prods.PushSKUs(ctx, skus); err != nil || rep.Writes != 0 {
					t.Errorf("the webhooks of the id writes: %+v %v; want no write (no echo)", rep, err)
				}
			}
			if rep, err := prods.Pull(ctx); err != nil || rep.Writes != 0 {
				t.Errorf("second pull: %+v %v; want no write", rep, err)
			}
			if n := w.writes.productWrites("rackbeat", mark) + w.writes.productWrites("shopbox", mark); n != 0 {
				t.Errorf("%d product writes after the ids were written; want none (%s)", n, w.writes)
			}

			// Someone changes one product's ids in Rackbeat: reconciliation
			// puts them back, with one write.
			changed := skus[0]
			if _, err := w.rb.UpsertProduct(fmt.Appendf(nil, `{"number":%q,"field_values":[{"field_id":%d,"value":"999"},{"field_id":%d,"value":""}]}`, changed, uidField, varField)); err != nil {
				t.Fatal(err)
			}
			mark = w.writes.snapshot()
			rep, err = prods.Reconcile(ctx)
			if err != nil {
				t.Fatal(err)
			}
			checkFields("reconciliation")
			if n := w.writes.productWrites("rackbeat", mark); n != 1 || rep.RackbeatUpdated != 1 {
				t.Errorf("reconciliation after %s's ids changed: %+v, %d Rackbeat product writes; want one", changed, rep, n)
			}
			if n := w.writes.productWrites("shopbox", mark); n != 0 {
				t.Errorf("reconciliation made %d Shopbox product writes; want none", n)
			}
			mark = w.writes.snapshot()
			if rep, err := prods.Reconcile(ctx); err != nil || rep.Writes != 0 {
				t.Errorf("last reconciliation: %+v %v; want no write", rep, err)
			}
			if n := w.writes.productWrites("rackbeat", mark) + w.writes.productWrites("shopbox", mark); n != 0 {
				t.Errorf("%d product writes in the last reconciliation; want none", n)
			}
		})
	}
}
