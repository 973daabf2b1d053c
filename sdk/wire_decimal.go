package sdk

import (
	"strconv"

	"github.com/shopspring/decimal"
)

// Decimals cross the wire as strings. Products carry three of them per
// variant, so parsing and printing them is a visible part of what a page
// costs; these fast paths handle the everyday amounts (at most 18 digits,
// plain notation) with one allocation instead of several, and hand every
// other string to the decimal package, so the values and strings are the
// same either way.

// parseDecimal is decimal.NewFromString for plain "-123.45" amounts.
func parseDecimal(s string) (decimal.Decimal, error) {
	var coef int64
	digits, frac, dot := 0, 0, false
	i := 0
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		i = 1
	}
	intStart := i
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			coef = coef*10 + int64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot && i > intStart:
			dot = true
		default:
			return decimal.NewFromString(s)
		}
	}
	if digits == 0 || digits > 18 || (dot && frac == 0) {
		return decimal.NewFromString(s)
	}
	if neg {
		coef = -coef
	}
	return decimal.New(coef, int32(-frac)), nil
}

// decimalString is d.String() for coefficients that fit 18 digits.
func decimalString(d decimal.Decimal) string {
	var buf [48]byte
	return string(appendDecimal(buf[:0], d))
}

// appendDecimal appends d.String() to b; the product codec writes amounts
// straight into the message this way.
func appendDecimal(b []byte, d decimal.Decimal) []byte {
	exp := d.Exponent()
	if exp > 18 || exp < -18 || !decimal.TrimTrailingZeros || decimal.UseScientificNotation || d.NumDigits() > 18 {
		return append(b, d.String()...)
	}
	c := d.CoefficientInt64()
	if exp >= 0 {
		// Whole numbers print with their exponent's zeros (5e3 is "5000"),
		// zero as "0".
		if c == 0 {
			return append(b, '0')
		}
		if d.NumDigits()+int(exp) > 18 {
			return append(b, d.String()...)
		}
		b = strconv.AppendInt(b, c, 10)
		for range exp {
			b = append(b, '0')
		}
		return b
	}
	// Trimming trailing zeros of the fraction is what String does.
	for exp < 0 && c%10 == 0 {
		c /= 10
		exp++
	}
	if exp == 0 {
		return strconv.AppendInt(b, c, 10)
	}
	u := uint64(c)
	if c < 0 {
		b = append(b, '-')
		u = uint64(-c)
	}
	var digits [20]byte
	ds := strconv.AppendUint(digits[:0], u, 10)
	scale := int(-exp)
	if len(ds) > scale {
		b = append(b, ds[:len(ds)-scale]...)
		b = append(b, '.')
		return append(b, ds[len(ds)-scale:]...)
	}
	b = append(b, '0', '.')
	for range scale - len(ds) {
		b = append(b, '0')
	}
	return append(b, ds...)
}
