package mapping

import (
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
)

// FuzzRule compiles and runs arbitrary rules against every target: nothing
// may panic, a rule that compiles for a price must give a decimal or an
// error, and no rule may run past its cost limit.
func FuzzRule(f *testing.F) {
	for _, s := range []string{
		`product.name + " (" + product.number + ")"`,
		`decimal_mul(product.sales_price, "1.25")`,
		`decimal_round(variant.price, 0)`,
		`product.fields["7"]`,
		`product.name.upperAscii()`,
		`[1,2,3].map(x, [1,2,3].map(y, x*y)).size() > 0 ? "a" : "b"`,
		`product.sales_price * 1.25`,
		`"x".repeat(100000)`,
		"\x00",
	} {
		f.Add("title", s)
		f.Add("price", s)
		f.Add("rackbeat.sales_price", s)
	}
	f.Fuzz(func(t *testing.T, target, expr string) {
		if _, ok := targets[target]; !ok {
			target = "title"
		}
		rules, err := CompileRules("rules", map[string]string{target: expr})
		if err != nil {
			return
		}
		r := LinkRules{Channel: "shopify", PricesExcludeVAT: true, VATRate: d("0.25"), Currency: "DKK", Rules: rules}
		_, v, _, err := ToChannel(mug(), r)
		if err == nil && canonicalTarget(target) == TargetPrice && v.Price.Currency != "DKK" {
			t.Fatalf("price rule gave %v", v.Price)
		}
		_, _ = ToRackbeat(sdk.Product{Title: "T", Variants: []sdk.Variant{{SKU: "S"}}}, sdk.Variant{SKU: "S"}, r)
	})
}
