package mapping

import (
	"github.com/shopspring/decimal"
)

// minorUnits lists the ISO 4217 currencies whose minor unit is not two
// decimals; every other currency has two.
var minorUnits = map[string]int32{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// MinorUnits is the number of decimals of the currency's minor unit.
func MinorUnits(currency string) int32 {
	if n, ok := minorUnits[currency]; ok {
		return n
	}
	return 2
}

// RoundMoney rounds an amount to the currency's minor unit, half away from
// zero (the rule shops and tax authorities use, unlike banker's rounding).
func RoundMoney(amount decimal.Decimal, currency string) decimal.Decimal {
	return amount.Round(MinorUnits(currency))
}

var one = decimal.NewFromInt(1)

// AddVAT turns a price excluding VAT into the price a customer sees:
// amount × (1 + rate), rounded to the currency. Rackbeat's sales prices
// exclude VAT; shops usually show them including it (the seeds' "sales
// prices in Rackbeat exclude VAT" setting, 1.25 for 25 %).
func AddVAT(net, rate decimal.Decimal, currency string) decimal.Decimal {
	return RoundMoney(net.Mul(one.Add(rate)), currency)
}

// netPlaces is how many decimals a price without VAT keeps when it is
// derived from a price with VAT. Rounding it to the minor unit would make
// the inventory system's own VAT calculation miss the channel's total by a
// cent (19.99 / 1.25 = 15.992); four places always round back to the same
// shelf price.
const netPlaces = 4

// RemoveVAT turns a price including VAT into the price without it:
// gross / (1 + rate), kept to four decimals.
func RemoveVAT(gross, rate decimal.Decimal) decimal.Decimal {
	if rate.IsZero() {
		return gross
	}
	return gross.DivRound(one.Add(rate), netPlaces)
}

// PriceToChannel converts a Rackbeat sales price (always without VAT) into
// the channel's price: with VAT added when the link says Rackbeat's prices
// exclude VAT, otherwise unchanged, and rounded to the currency.
func PriceToChannel(rackbeatPrice decimal.Decimal, pricesExcludeVAT bool, vatRate decimal.Decimal, currency string) decimal.Decimal {
	if pricesExcludeVAT {
		return AddVAT(rackbeatPrice, vatRate, currency)
	}
	return RoundMoney(rackbeatPrice, currency)
}

// PriceFromChannel is the inverse of PriceToChannel: a channel price into a
// Rackbeat sales price, rounded to the currency so that a round trip of a
// price that came from Rackbeat gives back the same number.
func PriceFromChannel(channelPrice decimal.Decimal, pricesExcludeVAT bool, vatRate decimal.Decimal, currency string) decimal.Decimal {
	if pricesExcludeVAT {
		return RoundMoney(RemoveVAT(channelPrice, vatRate), currency)
	}
	return RoundMoney(channelPrice, currency)
}
