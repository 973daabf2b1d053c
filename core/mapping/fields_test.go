package mapping

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/sdk"
)

func mug() rackbeat.Product {
	return rackbeat.Product{Number: "SKU-1", Name: "Mug", Description: "A mug", Barcode: "5701234",
		SalesPrice: d("100.00"), CostPrice: d("40"), Group: rackbeat.ProductGroup{Number: 2, Name: "Kopper"},
		Physical:    rackbeat.Physical{Weight: d("0.4"), WeightUnit: "kg"},
		FieldValues: []rackbeat.FieldValue{{FieldID: 7, Value: "123456"}}}
}

func seedRules(t *testing.T, channel string, mutate func(*config.ProductsSettings)) LinkRules {
	t.Helper()
	s := config.ProductsSettings{Direction: "inventory", PricesExcludeVAT: true, VATRate: d("0.25"), DefaultGroup: 1}
	if mutate != nil {
		mutate(&s)
	}
	r, err := NewLinkRules(channel, s, "SEK", "links[0].products.rules")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The Shopify seed's table "Rackbeat > Shopify" with "Försäljningspriser i
// Rackbeat är exkl. moms" ticked: the price is multiplied by 1.25.
func TestPricesExcludeVAT(t *testing.T) {
	p, v, fields, err := ToChannel(mug(), seedRules(t, "shopify", nil))
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Mug" || v.SKU != "SKU-1" || p.Description != "A mug" || p.Category != "Kopper" || v.Barcode != "5701234" {
		t.Errorf("fields not mapped per the seed table: %+v %+v", p, v)
	}
	if !v.Price.Amount.Equal(d("125")) || v.Price.Currency != "SEK" || !v.PriceIncludesVAT {
		t.Errorf("price = %v, want 125 SEK incl. VAT", v.Price)
	}
	want := []string{sdk.FieldTitle, sdk.FieldSKU, sdk.FieldDescription, sdk.FieldCategory, sdk.FieldPrice, sdk.FieldBarcode}
	if !slices.Equal(fields, want) {
		t.Errorf("fields %v, want %v", fields, want)
	}
	// Back from the channel, the price loses its VAT again.
	in, err := ToRackbeat(p, v, seedRules(t, "shopify", nil))
	if err != nil || !in.SalesPrice.Equal(d("100")) || in.Name != "Mug" || in.Number != "SKU-1" {
		t.Fatalf("back: %+v %v", in, err)
	}
	// Without the setting the price goes as it is.
	_, v, _, _ = ToChannel(mug(), seedRules(t, "shopify", func(s *config.ProductsSettings) { s.PricesExcludeVAT = false }))
	if !v.Price.Amount.Equal(d("100")) {
		t.Errorf("without prices_exclude_vat: %v", v.Price)
	}
}

func TestShopboxFieldTable(t *testing.T) {
	_, _, fields, _ := ToChannel(mug(), seedRules(t, "shopbox", nil))
	if !slices.Equal(fields, []string{sdk.FieldTitle, sdk.FieldSKU, sdk.FieldDescription, sdk.FieldPrice}) {
		t.Errorf("Shopbox carries name, number, description and sales price; got %v", fields)
	}
}

// Shopify > Rackbeat: title, SKU, description, price, cost per item,
// weight and unit; a variant of a product with several gets its own name.
func TestChannelToRackbeatTable(t *testing.T) {
	p := sdk.Product{Title: "Genser", Description: "Varm", Variants: []sdk.Variant{
		{SKU: "G-RED", Title: "Rød", Price: sdk.MustMoney("250.00", "SEK"), Cost: sdk.MustMoney("80", "SEK"),
			Weight: sdk.Weight{Value: d("16"), Unit: sdk.Ounces}},
		{SKU: "G-BLUE", Title: "Blå"},
	}}
	in, err := ToRackbeat(p, p.Variants[0], seedRules(t, "shopify", nil))
	if err != nil {
		t.Fatal(err)
	}
	if in.Name != "Genser - Rød" || in.Number != "G-RED" || *in.Description != "Varm" || !in.SalesPrice.Equal(d("200")) ||
		!in.CostPrice.Equal(d("80")) || !in.Weight.Equal(d("16")) || in.WeightUnit != "oz" {
		t.Errorf("got %+v", in)
	}
}

// The Shopbox seed's categories: a mapped category, an unknown one (the
// "Standard Shopbox-gruppe") and none at all (the default group).
func TestCategoryGroups(t *testing.T) {
	r := seedRules(t, "shopbox", func(s *config.ProductsSettings) {
		s.Categories = map[string]int{"Klær": 2, "Sko": 3}
		s.DefaultCategoryGroup = 4
	})
	if g := r.GroupFor("Sko"); g != 3 {
		t.Errorf("Sko → %d", g)
	}
	if g := r.GroupFor("Leker"); g != 4 {
		t.Errorf("unknown category → %d, want the default category group", g)
	}
	if g := r.GroupFor(""); g != 1 {
		t.Errorf("no category → %d, want the default group", g)
	}
	p, _, _, _ := ToChannel(mug(), r) // group 2 is mapped from Klær
	if p.Category != "Klær" {
		t.Errorf("group 2 → category %q, want Klær", p.Category)
	}
}

func TestRulesOverrideFields(t *testing.T) {
	r := seedRules(t, "shopify", func(s *config.ProductsSettings) {
		s.Rules = map[string]string{
			"title":                `product.name + " (" + product.number + ")"`,
			"variants.price":       `decimal_mul(product.sales_price, "2")`,
			"barcode":              `product.fields["7"]`,
			"rackbeat.description": `variant.options["Color"] + ": " + product.description`,
		}
	})
	p, v, fields, err := ToChannel(mug(), r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "Mug (SKU-1)" || !v.Price.Amount.Equal(d("200")) || v.Barcode != "123456" {
		t.Errorf("rules not applied: %q %v %q", p.Title, v.Price, v.Barcode)
	}
	if !slices.Contains(fields, sdk.FieldBarcode) {
		t.Errorf("fields %v", fields)
	}
	in, err := ToRackbeat(sdk.Product{Title: "T", Description: "d"}, sdk.Variant{SKU: "X", Options: map[string]string{"Color": "Red"}}, r)
	if err != nil || *in.Description != "Red: d" {
		t.Fatalf("%v %v", in.Description, err)
	}
}

func TestCheckRuleReportsLineAndColumn(t *testing.T) {
	err := CheckRule("links[0].products.rules.title", "product.name + 1")
	var re *RuleError
	if !errors.As(err, &re) || re.Line != 1 || re.Column != 14 || !strings.HasPrefix(err.Error(), "1:14: found no matching overload") {
		t.Fatalf("got %v", err)
	}
	if re.Path != "links[0].products.rules.title" {
		t.Errorf("path %q", re.Path)
	}
	err = CheckRule("links[0].products.rules.title", "product.name +\n  product.nmae")
	if !errors.As(err, &re) || re.Line != 2 || !strings.Contains(err.Error(), "nmae") {
		t.Fatalf("unknown field: %v", err)
	}
	if err := CheckRule(`links[0].products.rules["variants.price"]`, "product.sales_price * 1.25"); err == nil {
		t.Fatal("money as float must not type-check")
	}
	if err := CheckRule(`links[0].products.rules["variants.price"]`, "1.5"); err == nil || !strings.Contains(err.Error(), "never a float") {
		t.Fatalf("a price rule must give a decimal string: %v", err)
	}
	if err := CheckRule("links[0].products.rules.colour", `"x"`); err == nil || !strings.Contains(err.Error(), "not a field") {
		t.Fatalf("unknown target: %v", err)
	}
	if err := CheckRule(`links[0].products.rules["rackbeat.sales_price"]`, `decimal_round(variant.price, 2)`); err != nil {
		t.Fatal(err)
	}
	// The checker plugs into the config loader.
	_ = config.WithRuleChecker(CheckRule)
}

func TestPriceRuleMustGiveADecimal(t *testing.T) {
	r := seedRules(t, "shopify", func(s *config.ProductsSettings) { s.Rules = map[string]string{"price": `product.name`} })
	if _, _, _, err := ToChannel(mug(), r); err == nil || !strings.Contains(err.Error(), "not a decimal") {
		t.Fatalf("got %v", err)
	}
}

func TestHashesIgnoreFormatting(t *testing.T) {
	a := mug()
	b := mug()
	b.SalesPrice = d("100")
	b.Physical = rackbeat.Physical{Weight: d("400"), WeightUnit: "g"}
	b.FieldValues = nil
	if HashRackbeat(a) != HashRackbeat(b) {
		t.Error("100.00 vs 100, 0.4 kg vs 400 g or a custom field changed the hash")
	}
	b.Name = "Cup"
	if HashRackbeat(a) == HashRackbeat(b) {
		t.Error("a new name must change the hash")
	}
}
