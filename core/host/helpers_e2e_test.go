package host_test

import (
	"strconv"

	"github.com/shopspring/decimal"
)

func itoa[T ~int | ~int64](n T) string { return strconv.FormatInt(int64(n), 10) }

// decimalOre renders øre as the decimal Rackbeat shows.
func decimalOre(ore int64) string { return decimal.New(ore, -2).String() }
