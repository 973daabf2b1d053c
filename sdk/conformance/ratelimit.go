package conformance

import (
	"math"
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
)

// checkRateLimit asks a link for its rate limit as the host does at every
// scrape of its metrics. A connector without sdk.RateLimitReporter must
// answer unsupported (the SDK does it for it) and must not declare
// rate_limit; one with it must answer a level the gauges can show.
func (k *kit) checkRateLimit(t *testing.T) {
	l := k.open(t, "rate-limit")
	declared := k.desc.Has(sdk.CapRateLimit)
	rl, err := l.RateLimitStatus(k.ctx(t))
	if sdk.ClassOf(err) == sdk.ClassUnsupported {
		if declared {
			t.Fatalf("the connector declares %q but RateLimitStatus answers unsupported: %v", sdk.CapRateLimit, err)
		}
		t.Skip("the connector does not report its rate limit (optional)")
	}
	if err != nil {
		t.Fatalf("RateLimitStatus: %v (answer from the pacing model the connector keeps; never call the channel for it)", err)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(rl.Available) || !finite(rl.Capacity) || !finite(rl.RestorePerSecond) {
		t.Fatalf("RateLimitStatus = %+v: every figure must be a finite number", rl)
	}
	if rl.Capacity < 0 || rl.RestorePerSecond < 0 {
		t.Errorf("RateLimitStatus = %+v: capacity and restore rate cannot be negative (capacity 0 means not known yet)", rl)
	}
	if rl.Capacity > 0 && (rl.Available < 0 || rl.Available > rl.Capacity) {
		t.Errorf("RateLimitStatus = %+v: available must be between 0 and the capacity", rl)
	}
	if rl.Unit != sdk.RateLimitPoints && rl.Unit != sdk.RateLimitRequests {
		t.Errorf("RateLimitStatus unit %q: want %q or %q", rl.Unit, sdk.RateLimitPoints, sdk.RateLimitRequests)
	}
}
