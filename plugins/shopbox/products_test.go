package shopbox_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	sandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	"github.com/shopbridge/shopbridge/sdk"
)

func TestProductsReadWithVariantsCategoriesAndIDs(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	all, pages := readAllProducts(t, l, sdk.ReadRequest{})
	want := e.sb.Products()
	if len(all) != len(want) {
		t.Fatalf("read %d products, want %d", len(all), len(want))
	}
	for i, p := range all {
		w := want[i]
		if p.ID != strconv.Itoa(w.UID) || p.Title != w.Name {
			t.Fatalf("product %d is %s %q, want %d %q", i, p.ID, p.Title, w.UID, w.Name)
		}
		if w.Tag != nil && (p.CategoryID != strconv.Itoa(*w.Tag) || p.Category == "") {
			t.Errorf("product %s has category %q (%s), want tag %d", p.ID, p.Category, p.CategoryID, *w.Tag)
		}
		if len(w.ProductVariances) == 0 {
			if len(p.Variants) != 1 || p.Variants[0].ID != p.ID || p.Variants[0].SKU != w.SKUCode {
				t.Errorf("simple product %s variants %+v", p.ID, p.Variants)
			}
			continue
		}
		for j, v := range p.Variants {
			wv := w.ProductVariances[j]
			if v.ID != strconv.Itoa(wv.UID) || v.SKU != wv.SKUCode || v.Options["Farge"] != wv.Name {
				t.Errorf("variant %s %s %v, want variance %d %s Farge=%s", v.ID, v.SKU, v.Options, wv.UID, wv.SKUCode, wv.Name)
			}
		}
	}
	last := pages[len(pages)-1]
	if !last.Last || last.Cursor == "" {
		t.Fatalf("the last page %+v has no resume cursor", last)
	}

	// Changed products only: nothing, then the one that changed.
	changed, _ := readAllProducts(t, l, sdk.ReadRequest{Cursor: last.Cursor})
	if len(changed) != 0 {
		t.Errorf("an incremental read right after a full one handed out %d products again", len(changed))
	}
	time.Sleep(1100 * time.Millisecond) // a stamp of a later second than the full read
	target := all[3]
	res, err := l.WriteProducts(context.Background(), []sdk.ProductWrite{{Key: "t", Fields: []string{sdk.FieldTitle},
		Product: sdk.Product{ID: target.ID, Title: target.Title + " (ny)", Variants: target.Variants}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("renaming: %v %v", err, res[0].Err)
	}
	changed, _ = readAllProducts(t, l, sdk.ReadRequest{Cursor: last.Cursor})
	if len(changed) != 1 || changed[0].ID != target.ID || changed[0].Title != target.Title+" (ny)" {
		t.Errorf("the incremental read gave %d products (%+v), want only the renamed %s", len(changed), changed, target.ID)
	}

	byID, _ := readAllProducts(t, l, sdk.ReadRequest{IDs: []string{all[0].ID, all[1].ID, "999999"}})
	if len(byID) != 2 {
		t.Errorf("reading two ids and one unknown gave %d products", len(byID))
	}
}

func TestProductWritesHonourFieldsCategoriesAndBOMs(t *testing.T) {
	e := startSandbox(t, sandbox.Options{}, nil)
	l := e.open(t, nil)
	ctx := context.Background()
	mug := sdk.Product{
		Title: "Termokopp", Description: "Holder varmen.", Category: "Nye kopper",
		Variants: []sdk.Variant{
			{SKU: "TK-RED", Title: "Rød", Price: sdk.MustMoney("249.00", "DKK"), PriceIncludesVAT: true, Barcode: "5701234000017", Options: map[string]string{"Farge": "Rød"}},
			{SKU: "TK-BLUE", Title: "Blå", Price: sdk.MustMoney("199.20", "DKK"), Options: map[string]string{"Farge": "Blå"}},
		},
	}
	res, err := l.WriteProducts(ctx, []sdk.ProductWrite{{Key: "mug", Product: mug}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("create: %v %v", err, res[0].Err)
	}
	got := res[0].Product
	if got.ID == "" || len(got.Variants) != 2 || got.Variants[0].ID == "" || got.Category != "Nye kopper" {
		t.Fatalf("created %+v, want uids for the product and both variants and the new tag", got)
	}
	if !got.Variants[1].Price.Amount.Equal(dec("249.00")) { // 199.20 × 1.25
		t.Errorf("a price of 199.20 without VAT became %s, want 249.00", got.Variants[1].Price)
	}
	tags := 0
	for _, tg := range e.sb.Tags() {
		if tg.Name == "Nye kopper" {
			tags++
		}
	}
	if tags != 1 {
		t.Errorf("%d tags named Nye kopper, want 1", tags)
	}

	// An update that carries only the price leaves the title alone, and
	// finds the product by SKU without its id.
	upd := mug
	upd.Title = "Should not be written"
	upd.Variants = append([]sdk.Variant(nil), mug.Variants...)
	upd.Variants[0].Price = sdk.MustMoney("299.00", "DKK")
	res, err = l.WriteProducts(ctx, []sdk.ProductWrite{{Key: "mug", Product: upd, Fields: []string{sdk.FieldPrice}}})
	if err != nil || res[0].Err != nil {
		t.Fatalf("update: %v %v", err, res[0].Err)
	}
	if p := res[0].Product; p.ID != got.ID || p.Title != "Termokopp" || !p.Variants[0].Price.Amount.Equal(dec("299.00")) || len(p.Variants) != 2 {
		t.Errorf("after a price-only update: %+v", p)
	}

	// A BOM product (strukturvare) from two components.
	kit := sdk.Product{Title: "Gavesett", IsBOM: true,
		BOMLines: []sdk.BOMLine{{SKU: "TK-RED", Quantity: 2}, {SKU: "TK-BLUE", Quantity: 1}},
		Variants: []sdk.Variant{{SKU: "GAVESETT", Price: sdk.MustMoney("499.00", "DKK"), PriceIncludesVAT: true}}}
	res, err = l.WriteProducts(ctx, []sdk.ProductWrite{
		{Key: "kit", Product: kit},
		{Key: "bad", Product: sdk.Product{Title: "Tom", IsBOM: true, BOMLines: []sdk.BOMLine{{SKU: "NOPE", Quantity: 1}}, Variants: []sdk.Variant{{SKU: "TOM"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || !res[0].Product.IsBOM || len(res[0].Product.BOMLines) != 2 {
		t.Errorf("BOM product: %+v", res[0])
	}
	if sdk.ClassOf(res[1].Err) != sdk.ClassInvalid {
		t.Errorf("a BOM of an unknown SKU gave %v, want invalid for that item alone", res[1].Err)
	}
}
