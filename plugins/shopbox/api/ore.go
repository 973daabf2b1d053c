package api

import (
	"fmt"
	"math/big"
)

// Ore is an amount in whole øre that the API may write as 150 or 150.0
// (real client code sends discounts as 0.0). It never goes through a float.
type Ore int64

// UnmarshalJSON accepts a JSON number (or null) that is a whole number of øre.
func (o *Ore) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*o = 0
		return nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return fmt.Errorf("%s is not a number of øre", s)
	}
	if !r.IsInt() || !r.Num().IsInt64() {
		return fmt.Errorf("%s is not a whole number of øre", s)
	}
	*o = Ore(r.Num().Int64())
	return nil
}
