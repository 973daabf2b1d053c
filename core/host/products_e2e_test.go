package host_test

import (
	"context"
	"fmt"
	"testing"
)

// TestShopboxInitialSyncFieldsGroupsAndCategories runs the Norwegian
// guide's settings through the real Shopbox connector into an empty
// Rackbeat: "Initial Sync: Shopbox -> Rackbeat", the two custom fields
// ("Shopbox UID felt ID", "Shopbox variasjonsfelt ID") filled with each
// product's uid and variation id, the category table ("Kategorier") with
// its default group ("Standard Shopbox-gruppe").
func TestShopboxInitialSyncFieldsGroupsAndCategories(t *testing.T) {
	w := newWorld(t, 12, emptyRackbeat)
	uidField, varField := w.shopboxIDFields(t)
	mapped := w.cat.Products[0].Category // one category goes to group 2, the rest to the default
	products := fmt.Sprintf(`direction: channel, default_group: 1, default_category_group: 1, categories: {%q: 2}, uid_field: %d, variation_field: %d`, mapped, uidField, varField)
	h := w.newHost(w.config(w.shopboxLink("pos", orders("enabled", "false"), products, "") + "    initial_sync: channel\n"))
	defer h.Close()
	ctx := context.Background()
	_, initial, err := h.Flows(ctx, "pos")
	if err != nil || initial == nil {
		t.Fatalf("flows: %v", err)
	}
	if _, err := initial.Run(ctx, false); err != nil {
		t.Fatal(err)
	}

	ids := w.shopboxIDs() // SKU → Shopbox uid, variation uid
	category := map[string]string{}
	for _, p := range w.cat.Products {
		for _, v := range p.Variants {
			category[v.SKU] = p.Category
		}
	}
	checked := 0
	for _, p := range w.rb.Products() {
		want, ok := ids[p.Number]
		if !ok {
			continue // the prerequisites' shipping product
		}
		checked++
		t.Run(p.Number, func(t *testing.T) {
			if p.FieldValues[uidField] != want[0] {
				t.Errorf("Shopbox UID field = %q, want %q", p.FieldValues[uidField], want[0])
			}
			if want[1] != "" && p.FieldValues[varField] != want[1] {
				t.Errorf("Shopbox variation field = %q, want %q", p.FieldValues[varField], want[1])
			}
			wantGroup := 1
			if category[p.Number] == mapped {
				wantGroup = 2
			}
			if p.Group != wantGroup {
				t.Errorf("category %q: product group %d, want %d", category[p.Number], p.Group, wantGroup)
			}
		})
	}
	if checked != len(ids) {
		t.Fatalf("Rackbeat has %d of the %d Shopbox SKUs after the initial sync", checked, len(ids))
	}
}
