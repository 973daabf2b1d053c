// Package mapping turns one system's idea of a product, price or weight
// into another's: the seeds' field tables as defaults, VAT in and out of
// prices, currencies' minor units, and weight units.
//
// Everything here is exact: amounts are decimals and are rounded once, half
// away from zero, to the currency's minor unit, at the point where a system
// needs a price it can show.
package mapping
