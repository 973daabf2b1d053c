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

// idFieldsEnv is a Shopbox link whose rules name the sandbox's two id
// fields, with six products that both sides have, equal in every mapped
// field: SB-0 and SB-1 without the id fields, SB-2 with another product's
// ids, SB-3 with only the UID, SB-4 and SB-5 with both ids right. It
// returns the ids each product should hold.
func idFieldsEnv(t *testing.T, dir string) (e *env, uid, variation int64, wants map[string][2]string) {
	t.Helper()
	e = newEnv(t, 0, "shopbox", nil, nil)
	u, v := fieldIDs(t, e)
	uid, variation = int64(u), int64(v)
	rules, err := mapping.NewLinkRules("shopbox", config.ProductsSettings{Direction: dir, PricesExcludeVAT: true,
		VATRate: dec("0.25"), DefaultGroup: 1, UIDField: u, VariationField: v}, "SEK", "links[0].products.rules")
	if err != nil {
		t.Fatal(err)
	}
	e.prods.Direction, e.prods.Rules = dir, rules
	// As the host does: the orders' shipping product stays out of the shop.
	e.prods.Exclude = map[string]string{rbsandbox.ShippingProductNumber: "shipping"}
	ctx := context.Background()
	wants = map[string][2]string{}
	for i := 0; i < 6; i++ {
		sku := fmt.Sprintf("SB-%d", i)
		p := e.ch.add(sdk.Product{Title: "Vare " + sku, Description: "Kopp", Variants: []sdk.Variant{{SKU: sku, Price: sdk.MustMoney("125.00", "SEK")}}})
		pv := p.Variants[0]
		wants[sku] = [2]string{p.ID, pv.ID}
		in, err := mapping.ToRackbeat(p, pv, rules)
		if err != nil {
			t.Fatal(err)
		}
		in.Group = 1
		switch i {
		case 2:
			in.FieldValues = []rackbeat.FieldValue{{FieldID: uid, Value: "p999"}, {FieldID: variation, Value: "v999"}}
		case 3:
			in.FieldValues = []rackbeat.FieldValue{{FieldID: uid, Value: p.ID}}
		case 4, 5:
			in.FieldValues = []rackbeat.FieldValue{{FieldID: uid, Value: p.ID}, {FieldID: variation, Value: pv.ID}}
		}
		if _, err := e.client.CreateProduct(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	e.rb.ResetRequestCounts()
	return e, uid, variation, wants
}

// checkIDFields fails unless every product holds its channel ids and the
// name it was given.
func checkIDFields(t *testing.T, e *env, uid, variation int64, wants map[string][2]string) {
	t.Helper()
	for sku, w := range wants {
		p, ok := e.rb.Product(sku)
		if !ok {
			t.Fatalf("%s is gone from Rackbeat", sku)
		}
		if got := p.FieldValues[int(uid)]; got != w[0] {
			t.Errorf("%s: Shopbox UID felt ID holds %q, want %q", sku, got, w[0])
		}
		if got := p.FieldValues[int(variation)]; got != w[1] {
			t.Errorf("%s: Shopbox variasjonsfelt ID holds %q, want %q", sku, got, w[1])
		}
		if p.Name != "Vare "+sku || p.Description != "Kopp" {
			t.Errorf("%s: now %q / %q", sku, p.Name, p.Description)
		}
	}
}

// rbCalls counts the product updates, the reads and any other writes made
// to the Rackbeat sandbox since its counts were last reset.
func rbCalls(e *env) (puts, gets, other int) {
	for route, n := range e.rb.RequestCountsByRoute() {
		switch {
		case strings.HasPrefix(route, "PUT /api/products/"):
			puts += n
		case strings.HasPrefix(route, "GET "):
			gets += n
		default:
			other += n
		}
	}
	return puts, gets, other
}

// Shopbox seed, "Shopbox UID felt ID" and "Shopbox variasjonsfelt ID"
// with "Løpende synkronisering" = Shopbox or both: a pull writes the
// channel's ids to products Rackbeat already has whose fields are missing
// or other, one update each (together with any other differing field),
// and leaves those whose ids are right without a write; a product costs
// one Rackbeat read as before. With both, the id write never comes back
// to the channel.
func TestShopboxPullWritesUIDFeltIDAndVariasjonsfeltIDToMatchedProducts(t *testing.T) {
	for _, dir := range []string{DirChannel, DirBoth} {
		t.Run(dir, func(t *testing.T) {
			e, uid, variation, wants := idFieldsEnv(t, dir)
			ctx := context.Background()
			if dir == DirChannel {
				// SB-0 also has an old name in Rackbeat: one update
				// carries the name and the ids.
				if _, err := e.client.UpdateProduct(ctx, "SB-0", rackbeat.ProductInput{Name: "Gammel"}); err != nil {
					t.Fatal(err)
				}
				e.rb.ResetRequestCounts()
			}
			rep := mustReport(t)(e.prods.Pull(ctx))
			if rep.RackbeatUpdated != 4 || rep.RackbeatCreated != 0 || rep.Unchanged != 2 || rep.Quarantined != 0 {
				t.Errorf("report %+v; want 4 products' ids written, 2 left alone", rep)
			}
			checkIDFields(t, e, uid, variation, wants)
			puts, gets, other := rbCalls(e)
			if puts != 4 || other != 0 {
				t.Errorf("%d product updates and %d other writes; want 4 and none", puts, other)
			}
			if gets != len(wants) {
				t.Errorf("%d Rackbeat reads for %d products; want one each", gets, len(wants))
			}
			if e.channelWrites() != 0 {
				t.Errorf("%d channel writes; the ids go to Rackbeat only", e.channelWrites())
			}

			// Rackbeat's product.updated webhooks for the id writes, and
			// the next pull: nothing moves.
			e.rb.ResetRequestCounts()
			if dir == DirBoth {
				rep = mustReport(t)(e.prods.PushSKUs(ctx, []string{"SB-0", "SB-1", "SB-2", "SB-3", "SB-4", "SB-5"}))
				if rep.Writes != 0 || e.channelWrites() != 0 {
					t.Errorf("the id writes echoed to the channel: %+v", rep)
				}
			}
			rep = mustReport(t)(e.prods.Pull(ctx))
			if rep.Writes != 0 || e.nonGET() != 0 {
				t.Errorf("second pull %+v, %d Rackbeat writes; want none", rep, e.nonGET())
			}
		})
	}
}

// Same seed settings, by reconciliation: a first reconciliation writes the
// ids that are missing or other and no more; after someone clears a bound
// product's ids in Rackbeat the next reconciliation writes them again,
// though neither side's mapped fields moved; a last one writes nothing.
func TestShopboxReconcileWritesUIDFeltIDAndVariasjonsfeltID(t *testing.T) {
	for _, dir := range []string{DirChannel, DirBoth} {
		t.Run(dir, func(t *testing.T) {
			e, uid, variation, wants := idFieldsEnv(t, dir)
			ctx := context.Background()
			rep := mustReport(t)(e.prods.Reconcile(ctx))
			if rep.RackbeatUpdated != 4 || rep.Writes != 4 {
				t.Errorf("report %+v; want 4 products' ids written in 4 writes", rep)
			}
			checkIDFields(t, e, uid, variation, wants)
			if puts, _, other := rbCalls(e); puts != 4 || other != 0 {
				t.Errorf("%d product updates and %d other writes; want 4", puts, other)
			}
			if e.channelWrites() != 0 {
				t.Errorf("%d channel writes, want none", e.channelWrites())
			}

			if _, err := e.client.UpdateProduct(ctx, "SB-4", rackbeat.ProductInput{FieldValues: []rackbeat.FieldValue{{FieldID: uid, Value: "x"}, {FieldID: variation, Value: "y"}}}); err != nil {
				t.Fatal(err)
			}
			e.rb.ResetRequestCounts()
			rep = mustReport(t)(e.prods.Reconcile(ctx))
			if rep.RackbeatUpdated != 1 || rep.Writes != 1 {
				t.Errorf("after SB-4's ids were changed in Rackbeat: %+v; want one update", rep)
			}
			checkIDFields(t, e, uid, variation, wants)

			e.rb.ResetRequestCounts()
			rep = mustReport(t)(e.prods.Reconcile(ctx))
			if rep.Writes != 0 || e.nonGET() != 0 || e.channelWrites() != 0 {
				t.Errorf("last reconciliation %+v; want no write", rep)
			}
		})
	}
}
