package shopify

import (
	"context"
	"math"

	"github.com/shopbridge/shopbridge/sdk"
)

var _ sdk.RateLimitReporter = (*link)(nil)

// RateLimitStatus reports the shop's GraphQL cost bucket as the link's
// pacer models it: corrected by every answer's throttleStatus and refilled
// at the restore rate in between, so it costs no request. Until the first
// answer of a shop whose plan is not set in the settings the size is
// unknown, and the capacity is 0.
//
// The model's level goes below zero while requests wait for points; the
// shop's bucket never does, so the report stops at 0.
func (l *link) RateLimitStatus(context.Context) (sdk.RateLimit, error) {
	s := l.gql.Pacer().Status()
	return sdk.RateLimit{
		Available:        math.Max(0, math.Min(s.CurrentlyAvailable, s.MaximumAvailable)),
		Capacity:         s.MaximumAvailable,
		RestorePerSecond: s.RestoreRate,
		Unit:             sdk.RateLimitPoints,
	}, nil
}
