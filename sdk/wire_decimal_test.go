package sdk

import (
	"math/rand"
	"strconv"
	"testing"

	"github.com/shopspring/decimal"
)

// The fast paths must be indistinguishable from the decimal package: the
// same value from every string, the same string from every value.
func TestDecimalFastPathsMatchDecimalPackage(t *testing.T) {
	inputs := []string{"0", "-0", "0.00", "125.00", "125", "-125.50", "0.05", "-0.005", "007", "1.10", "999999999999999999",
		"9999999999999999999", "12345678901234567.89", "1e5", "1.5E-3", ".5", "5.", "+5", "-", "", "1.2.3", "abc", "١٢", "0.000000000000000001",
		"123456789.123456789"}
	rng := rand.New(rand.NewSource(1))
	for range 2000 {
		v := rng.Int63n(1e12) - 5e11
		inputs = append(inputs, decimal.New(v, -int32(rng.Intn(8))).StringFixed(int32(rng.Intn(6))), strconv.FormatInt(v, 10))
	}
	for _, s := range inputs {
		want, wantErr := decimal.NewFromString(s)
		got, err := parseDecimal(s)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("parseDecimal(%q): error %v, decimal package says %v", s, err, wantErr)
		}
		if err != nil {
			continue
		}
		if !got.Equal(want) || got.Exponent() != want.Exponent() {
			t.Fatalf("parseDecimal(%q) = %s (exp %d), want %s (exp %d)", s, got, got.Exponent(), want, want.Exponent())
		}
		if decimalString(want) != want.String() {
			t.Fatalf("decimalString(%q) = %q, want %q", s, decimalString(want), want.String())
		}
	}
	for e := range int32(20) {
		for _, c := range []int64{0, 1, -7, 180, 999999999999999999, -123456789012345678} {
			if d := decimal.New(c, e); decimalString(d) != d.String() {
				t.Fatalf("decimalString(%s) = %q", d.String(), decimalString(d))
			}
		}
	}
	for _, d := range []decimal.Decimal{decimal.New(5, 3), decimal.New(-12345, -3), decimal.New(1, -20), decimal.RequireFromString("123456789012345678901234.5")} {
		if decimalString(d) != d.String() {
			t.Fatalf("decimalString(%s) = %q", d.String(), decimalString(d))
		}
	}
}
