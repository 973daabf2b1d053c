package host_test

import (
	"context"
	"fmt"
	"testing"
)

// TestShopboxInitialSyncUIDFeltIDAndVariasjonsfeltIDOnExistingProducts
// runs the Norwegian guide's "Shopbox UID felt ID" and "Shopbox variasjons
// felt ID" settings through the real Shopbox connector into a Rackbeat that
// has every Shopbox product already (matched by SKU = varenummer), equal in
// every mapped field when Rackbeat's prices exclude the seed's 25 % VAT, but
// none of the two custom fields filled: the initial sync writes each product's
// Shopbox uid and variation uid to them, and a forced second run, finding
// them right, writes no product at all.
func TestShopboxInitialSyncUIDFeltIDAndVariasjonsfeltIDOnExistingProducts(t *testing.T) {
	w := newWorld(t, 12, countWrites)
	uidField, varField := w.shopboxIDFields(t)
	ids := w.shopboxIDs() // SKU → Shopbox uid, variation uid
	before := 0
	for _, p := range w.rb.Products() {
		if _, ok := ids[p.Number]; ok {
			before++
			if p.FieldValues[uidField] != "" || p.FieldValues[varField] != "" {
				t.Fatalf("%s has Shopbox ids before the initial sync: %v", p.Number, p.FieldValues)
			}
		}
	}
	if before != len(ids) {
		t.Fatalf("Rackbeat has %d of the %d Shopbox SKUs before the initial sync; the test needs all", before, len(ids))
	}

	products := fmt.Sprintf(`direction: channel, prices_exclude_vat: true, vat_rate: "0.25", default_group: 1, uid_field: %d, variation_field: %d`, uidField, varField)
	h := w.newHost(w.config(w.shopboxLink("pos", orders("enabled", "false"), products, "") + "    initial_sync: channel\n"))
	defer h.Close()
	ctx := context.Background()
	_, initial, err := h.Flows(ctx, "pos")
	if err != nil || initial == nil {
		t.Fatalf("flows: %v", err)
	}
	rep, err := initial.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 0 || rep.Updated != len(ids) {
		t.Errorf("initial sync %+v; want every one of the %d products updated, none created", rep, len(ids))
	}
	for _, p := range w.rb.Products() {
		want, ok := ids[p.Number]
		if !ok {
			continue
		}
		if p.FieldValues[uidField] != want[0] {
			t.Errorf("%s: Shopbox UID felt = %q, want %q", p.Number, p.FieldValues[uidField], want[0])
		}
		if want[1] != "" && p.FieldValues[varField] != want[1] {
			t.Errorf("%s: Shopbox variasjonsfelt = %q, want %q", p.Number, p.FieldValues[varField], want[1])
		}
	}

	mark := w.writes.snapshot()
	rep, err = initial.Run(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Updated != 0 || rep.Created != 0 || rep.Unchanged != len(ids) {
		t.Errorf("forced second initial sync %+v; want all %d unchanged", rep, len(ids))
	}
	if n := w.writes.productWrites("rackbeat", mark); n != 0 {
		t.Errorf("the forced second initial sync wrote %d Rackbeat products whose fields were right (%s)", n, w.writes)
	}
}
