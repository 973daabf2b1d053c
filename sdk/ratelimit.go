package sdk

import "context"

// CapRateLimit declares that the link type implements RateLimitReporter.
// It is optional: the host asks every link and treats a connector that
// does not answer (an older one, or one without the interface) as having
// nothing to report.
const CapRateLimit Capability = "rate_limit" // RateLimitReporter

// RateLimitReporter reports how much of the channel's rate limit a link has
// left, as the connector's own pacing models it. The host calls it when
// its metrics are scraped, so it must be cheap and must not call the
// channel: answer from the model the connector keeps anyway.
type RateLimitReporter interface {
	RateLimitStatus(ctx context.Context) (RateLimit, error)
}

// RateLimit is a channel's limit seen as a leaky bucket: Capacity units at
// most, refilled at RestorePerSecond. Capacity 0 means the limit is not
// known yet (nothing answered so far); the host then reports nothing.
type RateLimit struct {
	Available        float64 // units left now, between 0 and Capacity
	Capacity         float64
	RestorePerSecond float64
	Unit             string // RateLimitPoints or RateLimitRequests
}

// Units of a RateLimit.
const (
	RateLimitPoints   = "points"   // a query-cost budget, like Shopify's GraphQL bucket
	RateLimitRequests = "requests" // a request count
)

func init() {
	capabilityInterfaces[CapRateLimit] = func(l Link) bool { _, ok := l.(RateLimitReporter); return ok }
}
