package shopbox

import (
	"math"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/sdk"
)

var (
	hundred = decimal.NewFromInt(100)
	one     = decimal.NewFromInt(1)
)

// OreToMoney turns integer øre into an exact decimal amount: 12500 is 125.00.
func OreToMoney(ore int64, currency string) sdk.Money {
	return sdk.Money{Amount: decimal.New(ore, -2), Currency: currency}
}

// PriceToOre turns a price into the øre including VAT that Shopbox stores.
// A price without VAT is multiplied by 1+vatRate first; the result is
// rounded half away from zero to whole øre, exactly (no float).
func PriceToOre(price decimal.Decimal, includesVAT bool, vatRate decimal.Decimal) (int64, bool) {
	if !includesVAT {
		price = price.Mul(one.Add(vatRate))
	}
	return wholeOre(price)
}

// AmountToOre turns an amount without VAT semantics (a cost) into øre.
func AmountToOre(amount decimal.Decimal) (int64, bool) { return wholeOre(amount) }

func wholeOre(amount decimal.Decimal) (int64, bool) {
	ore := amount.Mul(hundred).Round(0)
	if ore.GreaterThan(decimal.NewFromInt(math.MaxInt64)) || ore.LessThan(decimal.NewFromInt(math.MinInt64)) {
		return 0, false
	}
	return ore.IntPart(), true
}

// ExcludingVAT turns a VAT-inclusive amount into the amount without VAT,
// rounded half away from zero to two decimals: 125.00 at 0.25 is 100.00.
func ExcludingVAT(m sdk.Money, vatRate decimal.Decimal) sdk.Money {
	return sdk.Money{Amount: m.Amount.DivRound(one.Add(vatRate), 8).Round(2), Currency: m.Currency}
}

// vatShare is the VAT contained in an amount of øre that includes it,
// rounded half away from zero to whole øre.
func vatShare(ore int64, vatRate decimal.Decimal) int64 {
	if vatRate.IsZero() {
		return 0
	}
	d := decimal.NewFromInt(ore).Mul(vatRate).DivRound(one.Add(vatRate), 8).Round(0)
	return d.IntPart()
}
