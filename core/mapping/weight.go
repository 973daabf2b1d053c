package mapping

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/sdk"
)

// gramsPer holds exact definitions: the avoirdupois pound is 453.59237 g by
// international agreement and the ounce a sixteenth of it.
var gramsPer = map[sdk.WeightUnit]decimal.Decimal{
	sdk.Grams:     decimal.NewFromInt(1),
	sdk.Kilograms: decimal.NewFromInt(1000),
	sdk.Ounces:    decimal.RequireFromString("28.349523125"),
	sdk.Pounds:    decimal.RequireFromString("453.59237"),
}

// ParseWeightUnit reads the unit names Rackbeat and the channels use.
func ParseWeightUnit(s string) (sdk.WeightUnit, error) {
	switch s {
	case "g", "gram", "grams", "GRAMS":
		return sdk.Grams, nil
	case "kg", "kilo", "kilogram", "kilograms", "KILOGRAMS":
		return sdk.Kilograms, nil
	case "oz", "ounce", "ounces", "OUNCES":
		return sdk.Ounces, nil
	case "lb", "lbs", "pound", "pounds", "POUNDS":
		return sdk.Pounds, nil
	}
	return "", fmt.Errorf("weight unit %q is not one of g, kg, oz, lb", s)
}

// ConvertWeight expresses w in unit, keeping six decimals (a milligram of
// precision for kilograms, more than any shipping table needs).
func ConvertWeight(w sdk.Weight, unit sdk.WeightUnit) (sdk.Weight, error) {
	if w.IsZero() {
		return w, nil
	}
	from, ok := gramsPer[w.Unit]
	if !ok {
		return sdk.Weight{}, fmt.Errorf("weight unit %q is unknown", w.Unit)
	}
	to, ok := gramsPer[unit]
	if !ok {
		return sdk.Weight{}, fmt.Errorf("weight unit %q is unknown", unit)
	}
	if w.Unit == unit {
		return w, nil
	}
	return sdk.Weight{Value: w.Value.Mul(from).DivRound(to, 6), Unit: unit}, nil
}
