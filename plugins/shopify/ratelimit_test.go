package shopify

import (
	"context"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
)

// TestRateLimitStatusFollowsTheBucket: after a whole stock read the
// reported level is below the standard plan's 2,000-point bucket and
// refills at its 100 points/second, as Shopify's throttleStatus says.
func TestRateLimitStatusFollowsTheBucket(t *testing.T) {
	e := newEnv(t, 300, map[string]any{"plan": "standard"})
	ctx := context.Background()
	if err := e.link.ReadStock(ctx, sdk.StockReadRequest{}, func(sdk.StockPage) error { return nil }); err != nil {
		t.Fatalf("read stock: %v", err)
	}
	before, err := e.link.RateLimitStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Unit != sdk.RateLimitPoints || before.Capacity != 2000 || before.RestorePerSecond != 100 {
		t.Fatalf("bucket reported as %+v, want 2000 points restored at 100/s", before)
	}
	if before.Available < 0 || before.Available >= before.Capacity {
		t.Fatalf("after a read the bucket holds %v of %v points: the read spent nothing?", before.Available, before.Capacity)
	}
	e.clock.Advance(time.Minute)
	after, _ := e.link.RateLimitStatus(ctx)
	if after.Available != after.Capacity {
		t.Fatalf("a minute later the bucket holds %v of %v points, want it full", after.Available, after.Capacity)
	}
}
