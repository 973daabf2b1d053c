package graphql

import (
	"context"
	"sync"
	"testing"
	"time"
)

// stepClock advances only when the code under test sleeps.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	if d > 0 {
		c.t = c.t.Add(d)
	}
	c.mu.Unlock()
	return ctx.Err()
}

// knownPacer is a standard-plan pacer (100 points/s, 2,000 in the bucket)
// that has read the bucket holding avail points.
func knownPacer(t *testing.T, avail float64) (*Pacer, *stepClock) {
	t.Helper()
	clock := &stepClock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	p := NewPacer(clock, 100, 2000)
	if err := p.Wait(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	p.Observe(1, 1, ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: avail, RestoreRate: 100})
	return p, clock
}

// TestAnswerWithoutCostDataKeepsTheBucket: a page read of 802 points sent
// with 900 points in the bucket meets a bare 5xx, which Shopify sends before
// running the query. Its retry must go out at once, not after the ~7 s a
// refill of 802 points takes on the standard plan.
func TestAnswerWithoutCostDataKeepsTheBucket(t *testing.T) {
	const cost = 802
	p, _ := knownPacer(t, 900)
	if d := p.Delay(cost); d != 0 {
		t.Fatalf("first request would wait %v with 900 points in the bucket", d)
	}
	if err := p.Wait(context.Background(), cost); err != nil {
		t.Fatal(err)
	}
	if d := p.Delay(cost); d < 6*time.Second {
		t.Fatalf("while the request is out its reservation holds: a second one would wait %v, want about 7 s", d)
	}
	p.Release(cost) // the 5xx
	if d := p.Delay(cost); d != 0 {
		t.Fatalf("after a 5xx the retry would wait %v for points Shopify never took", d)
	}
	if st := p.Status(); st.CurrentlyAvailable < 899 || st.CurrentlyAvailable > 900 {
		t.Fatalf("after a 5xx the model holds %.1f points, want the last known 900 less the probe's point", st.CurrentlyAvailable)
	}
}

// TestLostAnswerChargesTheEstimate: when the query probably ran (the body
// was truncated, the connection dropped after sending) the model charges
// the caller's estimate, keeps refilling at the restore rate, and a
// THROTTLED answer still says exactly how long to wait.
func TestLostAnswerChargesTheEstimate(t *testing.T) {
	p, clock := knownPacer(t, 900)
	if err := p.Wait(context.Background(), 802); err != nil {
		t.Fatal(err)
	}
	p.Settle(802, 300) // its usual actual cost
	if st := p.Status(); st.CurrentlyAvailable < 598 || st.CurrentlyAvailable > 600 {
		t.Fatalf("after a lost answer the model holds %.1f points, want 900 - 1 - 300", st.CurrentlyAvailable)
	}
	// Two seconds later the bucket has refilled by 200 points.
	_ = clock.Sleep(context.Background(), 2*time.Second)
	if st := p.Status(); st.CurrentlyAvailable < 798 || st.CurrentlyAvailable > 800 {
		t.Fatalf("two seconds on the model holds %.1f points, want about 799", st.CurrentlyAvailable)
	}
	if d := p.Delay(802); d < 30*time.Millisecond || d > 60*time.Millisecond {
		t.Fatalf("a request of 802 points would wait %v, want the 4 points' 40 ms", d)
	}
	// THROTTLED handling is unchanged: it waits for the reported bucket.
	if err := p.Wait(context.Background(), 802); err != nil {
		t.Fatal(err)
	}
	if w := p.Throttled(802, ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 100, RestoreRate: 100}); w < 7*time.Second || w > 7100*time.Millisecond {
		t.Fatalf("THROTTLED with 100 points left waits %v, want about 7.03 s", w)
	}
}

// TestCancelledWaitGivesItsPointsBack: a request whose caller gave up while
// waiting never reached Shopify, so the points it reserved come back.
func TestCancelledWaitGivesItsPointsBack(t *testing.T) {
	p, _ := knownPacer(t, 100)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Wait(ctx, 500); err == nil {
		t.Fatal("a cancelled wait for 401 missing points returned no error")
	}
	if st := p.Status(); st.CurrentlyAvailable < 99 {
		t.Fatalf("the cancelled request kept its points: the model holds %.1f, want about 99 plus the refill", st.CurrentlyAvailable)
	}
}

// TestOverlappingReadsAreChargedWhatShopifyCharged: two page reads of 802
// points go out together and each spends 52. When the first answer comes
// while the second is still out, the model takes back the first read's
// unused 750 points, as Shopify's bucket did: a third read may go at once
// instead of waiting about 4 s for points only the model thinks are gone.
func TestOverlappingReadsAreChargedWhatShopifyCharged(t *testing.T) {
	p, _ := knownPacer(t, 2000)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := p.Wait(ctx, 802); err != nil {
			t.Fatal(err)
		}
	}
	p.Observe(802, 52, ThrottleStatus{MaximumAvailable: 2000, CurrentlyAvailable: 1947, RestoreRate: 100})
	if d := p.Delay(802); d != 0 {
		t.Fatalf("with about 1,947 points in Shopify's bucket a third read would wait %v", d)
	}
	// The status Shopify reported is still the bound: the second read's
	// reservation stays until it is answered.
	if st := p.Status(); st.CurrentlyAvailable > 1947-802+1 {
		t.Fatalf("the model holds %.1f points, more than Shopify's 1,947 less the read still out", st.CurrentlyAvailable)
	}
}
