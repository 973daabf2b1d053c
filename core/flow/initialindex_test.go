package flow

import (
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/core/mapping"
	"github.com/shopbridge/shopbridge/core/rackbeat"
)

// The initial sync decides create, update or leave alone from the compact
// catalogue index; it must decide exactly as mapping.DiffRackbeat does on
// the full product, or a product would be left stale or rewritten.
func TestCatalogueIndexDiffsAsDiffRackbeat(t *testing.T) {
	d := func(s string) *decimal.Decimal { v := decimal.RequireFromString(s); return &v }
	str := func(s string) *string { return &s }
	have := rackbeat.Product{Number: "A-1", Name: "Kopp", Description: "Blå kopp", Barcode: "5701234567892",
		SalesPrice: decimal.RequireFromString("100.00"), CostPrice: decimal.RequireFromString("40"),
		Physical: rackbeat.Physical{Weight: decimal.RequireFromString("0.4"), WeightUnit: "kg"},
		Group:    rackbeat.ProductGroup{Number: 1, HasInventory: true}}
	base := rackbeat.ProductInput{Number: "A-1", Name: "Kopp", Description: str("Blå kopp"), SalesPrice: d("100")}
	with := func(f func(*rackbeat.ProductInput)) rackbeat.ProductInput { in := base; f(&in); return in }
	cases := map[string]rackbeat.ProductInput{
		"same":                          base,
		"same but surrounding space":    with(func(in *rackbeat.ProductInput) { in.Name = "  Kopp " }),
		"other name":                    with(func(in *rackbeat.ProductInput) { in.Name = "Krus" }),
		"other description":             with(func(in *rackbeat.ProductInput) { in.Description = str("Rød kopp") }),
		"no description":                with(func(in *rackbeat.ProductInput) { in.Description = nil }),
		"same barcode":                  with(func(in *rackbeat.ProductInput) { in.Barcode = str("5701234567892") }),
		"other barcode":                 with(func(in *rackbeat.ProductInput) { in.Barcode = str("5701234567809") }),
		"empty barcode":                 with(func(in *rackbeat.ProductInput) { in.Barcode = str("") }),
		"price a cent off":              with(func(in *rackbeat.ProductInput) { in.SalesPrice = d("100.01") }),
		"price with more zeros":         with(func(in *rackbeat.ProductInput) { in.SalesPrice = d("100.0000") }),
		"same cost":                     with(func(in *rackbeat.ProductInput) { in.CostPrice = d("40.00") }),
		"other cost":                    with(func(in *rackbeat.ProductInput) { in.CostPrice = d("41") }),
		"same weight in grams":          with(func(in *rackbeat.ProductInput) { in.Weight, in.WeightUnit = d("400"), "g" }),
		"other weight":                  with(func(in *rackbeat.ProductInput) { in.Weight, in.WeightUnit = d("401"), "g" }),
		"weight in pounds":              with(func(in *rackbeat.ProductInput) { in.Weight, in.WeightUnit = d("1"), "lb" }),
		"zero weight":                   with(func(in *rackbeat.ProductInput) { in.Weight, in.WeightUnit = d("0"), "kg" }),
		"weight in an unknown unit":     with(func(in *rackbeat.ProductInput) { in.Weight, in.WeightUnit = d("0.4"), "stone" }),
		"other number (a rule renames)": with(func(in *rackbeat.ProductInput) { in.Number = "A-2" }),
		"everything else":               {Number: "A-1", Name: "Krus", Description: str("x"), Barcode: str("1"), SalesPrice: d("1"), CostPrice: d("2"), Weight: d("3"), WeightUnit: "oz"},
	}
	odd := have
	odd.Physical = rackbeat.Physical{Weight: decimal.RequireFromString("0.4"), WeightUnit: "stone"}
	for _, h := range []rackbeat.Product{have, odd, {Number: "A-1"}} {
		x := newCatalogueIndex()
		if err := x.add(h); err != nil {
			t.Fatal(err)
		}
		x.build()
		e, ok := x.find("A-1")
		if !ok {
			t.Fatal("indexed product not found")
		}
		for name, in := range cases {
			if got, want := x.diff(in, e), mapping.DiffRackbeat(in, h); !slices.Equal(got, want) {
				t.Errorf("%s against %+v: index says %v, DiffRackbeat %v", name, h.Physical, got, want)
			}
		}
		if got := x.product(e); got.Number != "A-1" || got.Hash != mapping.HashRackbeat(h) || got.Stock != (h.Group.HasInventory || h.InventoryEnabled) {
			t.Errorf("product %+v: want number A-1, hash %s, stock %v", got, mapping.HashRackbeat(h), h.Group.HasInventory)
		}
	}
}

// A product Rackbeat lists twice (a catalogue that moved while it was
// read) is known by its last copy, and numbers Rackbeat does not have are
// not found.
func TestCatalogueIndexFinds(t *testing.T) {
	x := newCatalogueIndex()
	x.grow(4, 3)
	for _, p := range []rackbeat.Product{{Number: "B"}, {Number: "A", Name: "first"}, {Number: "C/1"}, {Number: "A", Name: "second", InventoryEnabled: true}} {
		if err := x.add(p); err != nil {
			t.Fatal(err)
		}
	}
	x.build()
	if x.Len() != 3 {
		t.Errorf("indexed %d products, want 3", x.Len())
	}
	e, ok := x.find("A")
	if !ok || !x.product(e).Stock || x.diff(rackbeat.ProductInput{Name: "second"}, e) != nil {
		t.Errorf("A is not its last copy (found %v)", ok)
	}
	for _, n := range []string{"B", "C/1"} {
		if e, ok := x.find(n); !ok || x.product(e).Number != n {
			t.Errorf("%s not found", n)
		}
	}
	for _, n := range []string{"", "AA", "C", "D"} {
		if _, ok := x.find(n); ok {
			t.Errorf("%q found in an index without it", n)
		}
	}
}

// The index's field fingerprint decides as idFields does whether a
// product's id fields need writing: missing, other or partly set fields
// do, the same values do not; an index without fields never asks for a
// write, and its entries take no room for them.
func TestCatalogueIndexFieldsDifferAsIDFields(t *testing.T) {
	const uid, variation = 7, 8
	rules := mapping.LinkRules{UIDField: uid, VariationField: variation}
	fv := func(kv ...string) []rackbeat.FieldValue {
		var out []rackbeat.FieldValue
		for i := 0; i < len(kv); i += 2 {
			id := int64(uid)
			if kv[i] == "var" {
				id = variation
			}
			out = append(out, rackbeat.FieldValue{FieldID: id, Value: kv[i+1]})
		}
		return out
	}
	cases := map[string][]rackbeat.FieldValue{
		"none":                    nil,
		"both right":              fv("uid", "p1", "var", "v1"),
		"both right, other order": fv("var", "v1", "uid", "p1"),
		"uid only":                fv("uid", "p1"),
		"variation only":          fv("var", "v1"),
		"other uid":               fv("uid", "p2", "var", "v1"),
		"other variation":         fv("uid", "p1", "var", "v2"),
		"empty values":            fv("uid", "", "var", ""),
		"values run together":     fv("uid", "p1v", "var", "1"),
	}
	ids := (&Products{Rules: rules}).idFields("p1", "v1", nil)
	for name, have := range cases {
		x := newCatalogueIndex(uid, 0, variation)
		if err := x.add(rackbeat.Product{Number: "A", FieldValues: have}); err != nil {
			t.Fatal(err)
		}
		x.build()
		e, _ := x.find("A")
		want := len((&Products{Rules: rules}).idFields("p1", "v1", &rackbeat.Product{FieldValues: have})) > 0
		if got := x.fieldsDiffer(ids, e); got != want {
			t.Errorf("fields %s: index says differ=%v, idFields %v", name, got, want)
		}
		if x.number(e) != "A" {
			t.Errorf("fields %s: number read back as %q", name, x.number(e))
		}
	}
	plain := newCatalogueIndex(0, 0)
	if err := plain.add(rackbeat.Product{Number: "A", FieldValues: fv("uid", "p9")}); err != nil {
		t.Fatal(err)
	}
	plain.build()
	e, _ := plain.find("A")
	if plain.fieldsDiffer(ids, e) || len(plain.arena) != 1 {
		t.Errorf("an index without fields asks for a write or keeps %d bytes for one number of 1", len(plain.arena))
	}
}
