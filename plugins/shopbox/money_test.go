package shopbox_test

import (
	"testing"

	"github.com/shopbridge/shopbridge/plugins/shopbox"
)

func TestPricesConvertToWholeOreHalfAwayFromZero(t *testing.T) {
	rate := dec("0.25")
	for _, tc := range []struct {
		amount string
		incl   bool
		want   int64
	}{
		{"125.00", true, 12500},
		{"100.00", false, 12500},
		{"0.004", true, 0},
		{"0.005", true, 1},
		{"-0.005", true, -1},
		{"79.996", false, 10000}, // 99.995 incl. VAT
		{"19.99", false, 2499},   // 24.9875
	} {
		got, ok := shopbox.PriceToOre(dec(tc.amount), tc.incl, rate)
		if !ok || got != tc.want {
			t.Errorf("%s (incl. VAT %v) is %d øre, want %d", tc.amount, tc.incl, got, tc.want)
		}
	}
	if m := shopbox.OreToMoney(12500, "NOK"); !m.Amount.Equal(dec("125")) || m.Currency != "NOK" {
		t.Errorf("12500 øre is %s", m)
	}
}
