package catalog

import (
	"reflect"
	"strings"
	"testing"
)

func TestGenerateIsDeterministicBySeed(t *testing.T) {
	cfg := Config{Products: 200, MinVariants: 1, MaxVariants: 3, Locations: 3, Seed: 42}
	a, b := Generate(cfg), Generate(cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two catalogues from the same seed differ")
	}
	cfg.Seed = 43
	if reflect.DeepEqual(a, Generate(cfg)) {
		t.Fatal("catalogues from different seeds are identical")
	}
}

func TestGenerateShape(t *testing.T) {
	c := Generate(Config{Products: 300, MinVariants: 1, MaxVariants: 3, Locations: 2, Seed: 7})
	if len(c.Products) != 300 || len(c.Locations) != 2 {
		t.Fatalf("got %d products, %d locations", len(c.Products), len(c.Locations))
	}
	if c.Locations[0].Name != "Hovedlager" || c.Groups[0].Name != "Varer m/lagerstrekk" || !c.Groups[0].HasInventory || c.Groups[0].VATPercent != 25 {
		t.Fatalf("unexpected defaults: %+v %+v", c.Locations[0], c.Groups[0])
	}
	seen := map[string]bool{}
	barcodes := map[string]bool{}
	counts := map[int]int{}
	for _, p := range c.Products {
		if len(p.Description) < 200 {
			t.Errorf("%s: description only %d bytes", p.Number, len(p.Description))
		}
		if !strings.Contains(p.SalesPrice, ".") || len(p.SalesPrice)-strings.Index(p.SalesPrice, ".") != 3 {
			t.Errorf("%s: price %q not 2 decimals", p.Number, p.SalesPrice)
		}
		counts[len(p.Variants)]++
		if len(p.Variants) == 1 && p.Variants[0].SKU != p.Number {
			t.Errorf("%s: single variant SKU %q != number", p.Number, p.Variants[0].SKU)
		}
		for _, v := range p.Variants {
			if seen[v.SKU] || barcodes[v.Barcode] {
				t.Errorf("duplicate SKU or barcode %s %s", v.SKU, v.Barcode)
			}
			seen[v.SKU], barcodes[v.Barcode] = true, true
			if len(v.Barcode) != 13 || !validEAN(v.Barcode) {
				t.Errorf("bad EAN %q", v.Barcode)
			}
			if len(v.Stock) != 2 {
				t.Errorf("%s: stock for %d locations", v.SKU, len(v.Stock))
			}
		}
	}
	for n := 1; n <= 3; n++ {
		if counts[n] == 0 {
			t.Errorf("no product with %d variants in %v", n, counts)
		}
	}
	if _, v, ok := c.Variant(c.SKUs()[5]); !ok || v.SKU != c.SKUs()[5] {
		t.Error("Variant lookup failed")
	}
	if c.VariantCount() != len(c.SKUs()) {
		t.Error("VariantCount disagrees with SKUs")
	}
}

func validEAN(s string) bool {
	sum := 0
	for i, r := range s {
		d := int(r - '0')
		if i%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return sum%10 == 0
}
