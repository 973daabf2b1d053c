package sdk

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Money is an exact amount in a currency. The zero Money means "absent".
type Money struct {
	Amount   decimal.Decimal
	Currency string // ISO 4217
}

// NewMoney parses a decimal string such as "125.00". It never goes
// through a float, so no cent is lost.
func NewMoney(amount, currency string) (Money, error) {
	d, err := decimal.NewFromString(amount)
	if err != nil {
		return Money{}, fmt.Errorf("amount %q is not a decimal number: %w", amount, err)
	}
	return Money{Amount: d, Currency: currency}, nil
}

// MustMoney is NewMoney for constants in code and tests; it panics on a
// malformed amount.
func MustMoney(amount, currency string) Money {
	m, err := NewMoney(amount, currency)
	if err != nil {
		panic(err)
	}
	return m
}

// IsZero reports whether the money is absent (no currency and no amount).
func (m Money) IsZero() bool { return m.Currency == "" && m.Amount.IsZero() }

// String renders "125.00 DKK".
func (m Money) String() string {
	if m.IsZero() {
		return ""
	}
	return m.Amount.String() + " " + m.Currency
}

// WeightUnit is the unit of a Weight.
type WeightUnit string

// The weight units channels and Rackbeat use.
const (
	Grams     WeightUnit = "g"
	Kilograms WeightUnit = "kg"
	Ounces    WeightUnit = "oz"
	Pounds    WeightUnit = "lb"
)

// Weight is an exact weight. The zero Weight means "absent".
type Weight struct {
	Value decimal.Decimal
	Unit  WeightUnit
}

// IsZero reports whether the weight is absent.
func (w Weight) IsZero() bool { return w.Unit == "" && w.Value.IsZero() }
