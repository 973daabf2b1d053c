package shopbox

import (
	"fmt"
	"math/big"
	"strings"
)

// OreInclVAT turns a decimal price excluding VAT ("100.00") into integer øre
// including VAT (12500 at 25 %), rounding half away from zero. It works on
// integers only so that no price ever passes through a float.
func OreInclVAT(exclVAT string, vatPercent int) (int64, error) {
	num, den, err := parseDecimal(exclVAT)
	if err != nil {
		return 0, err
	}
	// øre = value × 100 × (100+vat)/100 = num × (100+vat) / den.
	num.Mul(num, big.NewInt(int64(100+vatPercent)))
	return roundDiv(num, den)
}

// OreExclVAT turns a decimal price without VAT into integer øre, rounding half
// away from zero; cost prices are carried this way.
func OreExclVAT(amount string) (int64, error) {
	num, den, err := parseDecimal(amount)
	if err != nil {
		return 0, err
	}
	num.Mul(num, big.NewInt(100))
	return roundDiv(num, den)
}

// DecimalExclVAT turns øre including VAT back into a two-decimal price
// excluding VAT (12500 at 25 % is "100.00"), rounding half away from zero.
func DecimalExclVAT(ore int64, vatPercent int) string {
	// cents excl = ore × 100 / (100+vat)
	n := new(big.Int).Mul(big.NewInt(ore), big.NewInt(100))
	cents, _ := roundDiv(n, big.NewInt(int64(100+vatPercent)))
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// parseDecimal reads "-12.345" as num/den = -12345/1000.
func parseDecimal(s string) (*big.Int, *big.Int, error) {
	s = strings.TrimSpace(s)
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	num, ok := new(big.Int).SetString(digits, 10)
	if !ok || s == "" || strings.ContainsAny(frac, "+-") {
		return nil, nil, fmt.Errorf("price %q is not a decimal number like 100.00", s)
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil)
	return num, den, nil
}

// roundDiv divides and rounds half away from zero.
func roundDiv(num, den *big.Int) (int64, error) {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	twice := new(big.Int).Abs(r)
	twice.Mul(twice, big.NewInt(2))
	if twice.Cmp(new(big.Int).Abs(den)) >= 0 {
		if (num.Sign() < 0) != (den.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("price %s/%s is out of range", num, den)
	}
	return q.Int64(), nil
}
