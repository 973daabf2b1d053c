package mapping

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/sdk"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// The seed's example: Rackbeat prices exclude VAT and are multiplied by
// 1.25 before they reach Shopify.
func TestPricesExcludeVATMultipliesByOnePointTwoFive(t *testing.T) {
	cases := []struct{ net, want, currency string }{
		{"100.00", "125", "SEK"},
		{"79.99", "99.99", "DKK"}, // 99.9875 rounds up
		{"0.02", "0.03", "NOK"},   // 0.025: half away from zero, not to even
		{"-0.02", "-0.03", "NOK"}, // and symmetric for credit notes
		{"1000", "1250", "JPY"},   // no minor unit
		{"1.001", "1.251", "KWD"}, // three decimals
	}
	for _, c := range cases {
		if got := PriceToChannel(d(c.net), true, d("0.25"), c.currency); !got.Equal(d(c.want)) {
			t.Errorf("%s %s excl. VAT → %s, want %s", c.net, c.currency, got, c.want)
		}
	}
	if got := PriceToChannel(d("79.994"), false, d("0.25"), "DKK"); !got.Equal(d("79.99")) {
		t.Errorf("without the setting the price must only be rounded, got %s", got)
	}
}

func TestPriceRoundTripsThroughTheChannel(t *testing.T) {
	for _, net := range []string{"100.00", "79.99", "15.99", "0.01", "123456.78"} {
		ch := PriceToChannel(d(net), true, d("0.25"), "DKK")
		back := PriceFromChannel(ch, true, d("0.25"), "DKK")
		if !back.Equal(d(net)) {
			t.Errorf("%s → %s → %s: the round trip lost money", net, ch, back)
		}
	}
}

func TestRemoveVATKeepsEnoughDecimalsToRebuildTheShelfPrice(t *testing.T) {
	gross := d("19.99")
	net := RemoveVAT(gross, d("0.25"))
	if !net.Equal(d("15.992")) {
		t.Fatalf("net = %s", net)
	}
	if back := AddVAT(net, d("0.25"), "DKK"); !back.Equal(gross) {
		t.Fatalf("rebuilt %s, want %s", back, gross)
	}
}

func TestWeightConversionsAreExact(t *testing.T) {
	w, err := ConvertWeight(sdk.Weight{Value: d("1"), Unit: sdk.Pounds}, sdk.Grams)
	if err != nil || !w.Value.Equal(d("453.59237")) {
		t.Fatalf("1 lb = %v %v", w, err)
	}
	w, _ = ConvertWeight(sdk.Weight{Value: d("16"), Unit: sdk.Ounces}, sdk.Pounds)
	if !w.Value.Equal(d("1")) {
		t.Fatalf("16 oz = %s lb", w.Value)
	}
	w, _ = ConvertWeight(sdk.Weight{Value: d("400"), Unit: sdk.Grams}, sdk.Kilograms)
	if !w.Value.Equal(d("0.4")) || w.Unit != sdk.Kilograms {
		t.Fatalf("400 g = %v", w)
	}
	if _, err := ParseWeightUnit("stone"); err == nil {
		t.Fatal("an unknown unit must be an error")
	}
}
