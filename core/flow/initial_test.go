package flow

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/mapping"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
	"github.com/shopbridge/shopbridge/sdk"
)

// Shopbox seed, "Shopbox UID felt ID" and "Shopbox variasjonsfelt ID":
// the initial sync writes the Shopbox product and variation ids to the two
// Rackbeat custom fields also for products Rackbeat already has (matched
// by SKU = number) and that differ in nothing else, and it does so
// without a request per product whose fields are already right.
func TestInitialSyncShopboxUIDFieldAndVariationFieldOnExistingProducts(t *testing.T) {
	var uidField, varField int64
	// The sandbox's prerequisites make the two fields; the link's rules
	// name them once their ids are known.
	e := newEnv(t, 0, "shopbox", nil, nil)
	for _, f := range e.rb.Fields() {
		switch f.Name {
		case rbsandbox.FieldShopboxUID:
			uidField = int64(f.ID)
		case rbsandbox.FieldShopboxVariation:
			varField = int64(f.ID)
		}
	}
	if uidField == 0 || varField == 0 {
		t.Fatal("the Rackbeat sandbox has no Shopbox id fields")
	}
	rules, err := mapping.NewLinkRules("shopbox", config.ProductsSettings{Direction: DirChannel, PricesExcludeVAT: true,
		VATRate: dec("0.25"), DefaultGroup: 1, UIDField: int(uidField), VariationField: int(varField)}, "SEK", "links[0].products.rules")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Six Shopbox products Rackbeat has already, equal in every field the
	// sync maps: two without the id fields, one with another product's
	// ids, one with only the UID, two with both ids right.
	const products = 6
	type want struct{ uid, variation string }
	wants := map[string]want{}
	for i := 0; i < products; i++ {
		sku := fmt.Sprintf("SB-%d", i)
		p := e.ch.add(sdk.Product{Title: "Vare " + sku, Description: "Kopp", Variants: []sdk.Variant{{SKU: sku, Price: sdk.MustMoney("125.00", "SEK")}}})
		v := p.Variants[0]
		wants[sku] = want{p.ID, v.ID}
		in, err := mapping.ToRackbeat(p, v, rules)
		if err != nil {
			t.Fatal(err)
		}
		in.Group = 1
		switch i {
		case 2:
			in.FieldValues = []rackbeat.FieldValue{{FieldID: uidField, Value: "p999"}, {FieldID: varField, Value: "v999"}}
		case 3:
			in.FieldValues = []rackbeat.FieldValue{{FieldID: uidField, Value: p.ID}}
		case 4, 5:
			in.FieldValues = []rackbeat.FieldValue{{FieldID: uidField, Value: p.ID}, {FieldID: varField, Value: v.ID}}
		}
		if _, err := e.client.CreateProduct(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	e.rb.ResetRequestCounts()

	is := &InitialSync{Link: "shop", Mode: "channel", Rules: rules, Channel: e.ch, Inventory: e.client, Store: e.store, PageSize: 4}
	rep, err := is.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 0 || rep.Updated != 4 || rep.Unchanged != 2 {
		t.Errorf("report %+v; want 4 products' fields written and 2 left alone", rep)
	}
	for _, p := range e.rb.Products() {
		w, ok := wants[p.Number]
		if !ok {
			continue
		}
		if got := p.FieldValues[int(uidField)]; got != w.uid {
			t.Errorf("%s: Shopbox UID field holds %q, want %q", p.Number, got, w.uid)
		}
		if got := p.FieldValues[int(varField)]; got != w.variation {
			t.Errorf("%s: Shopbox variation field holds %q, want %q", p.Number, got, w.variation)
		}
		if p.Name != "Vare "+p.Number || p.Description != "Kopp" {
			t.Errorf("%s: writing the fields changed the product to %q / %q", p.Number, p.Name, p.Description)
		}
	}
	// One write per product whose fields were wrong, none for the two that
	// were right, and no read per product: the catalogue is read in pages
	// with its field values.
	puts, perProductGETs := 0, 0
	for route, n := range e.rb.RequestCountsByRoute() {
		switch {
		case strings.HasPrefix(route, "PUT /api/products/"):
			puts += n
		case strings.HasPrefix(route, "GET /api/products/"):
			perProductGETs += n
		case !strings.HasPrefix(route, "GET "):
			t.Errorf("unexpected Rackbeat write %s ×%d", route, n)
		}
	}
	if puts != 4 || perProductGETs != 0 {
		t.Errorf("%d product updates and %d reads of single products; want 4 and 0", puts, perProductGETs)
	}

	// A forced second run finds every field right and writes nothing.
	e.rb.ResetRequestCounts()
	rep, err = is.Run(ctx, true)
	if err != nil || rep.Updated != 0 || rep.Unchanged != products {
		t.Fatalf("forced run: %+v %v; want all %d unchanged", rep, err, products)
	}
	if n := e.nonGET(); n != 0 {
		t.Errorf("the forced run made %d Rackbeat writes, want none", n)
	}
}

// Without custom fields in the link the catalogue is read as before,
// without field values, and an existing product that differs in nothing
// is left alone whatever its fields hold.
func TestInitialSyncWithoutIDFieldsLeavesFieldsAlone(t *testing.T) {
	e := newEnv(t, 0, "shopify", func(s *config.ProductsSettings) { s.Direction = DirChannel }, nil)
	ctx := context.Background()
	p := e.ch.add(sdk.Product{Title: "Krus", Variants: []sdk.Variant{{SKU: "K-1", Price: sdk.MustMoney("125.00", "SEK")}}})
	in, err := mapping.ToRackbeat(p, p.Variants[0], e.prods.Rules)
	if err != nil {
		t.Fatal(err)
	}
	in.Group = 1
	if _, err := e.client.CreateProduct(ctx, in); err != nil {
		t.Fatal(err)
	}
	e.rb.ResetRequestCounts()
	is := &InitialSync{Link: "shop", Mode: "channel", Rules: e.prods.Rules, Channel: e.ch, Inventory: e.client, Store: e.store}
	rep, err := is.Run(ctx, false)
	if err != nil || rep.Unchanged != 1 || rep.Updated != 0 {
		t.Fatalf("%+v %v; want the product left alone", rep, err)
	}
	if n := e.nonGET(); n != 0 {
		t.Errorf("%d Rackbeat writes, want none", n)
	}
}
