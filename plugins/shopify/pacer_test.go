package shopify

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/faults"
	sandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

// TestServerErrorCostsNoRefill: a page read of 802 points on a
// standard-plan shop whose bucket holds about 900 meets one bare 5xx, which
// Shopify sends before it runs the query. The retry must go out after its
// back-off, not after the ~7 s the pacer would wait if it counted the
// failed attempt's 802 points as spent. Measured on the fake clock the
// connector and the sandbox share, so only the pacer's computed waits and
// the back-off move it.
func TestServerErrorCostsNoRefill(t *testing.T) {
	e := newEnv(t, 1000, map[string]any{"plan": "standard"})
	ctx := context.Background()
	page := func(faulty bool) time.Duration {
		// A whole read leaves the shop's bucket and the pacer's model both
		// nearly empty; nine seconds later they hold about 900 points,
		// room for one page but not two.
		if err := e.link.ReadStock(ctx, sdk.StockReadRequest{}, func(sdk.StockPage) error { return nil }); err != nil {
			t.Fatalf("read stock: %v", err)
		}
		e.clock.Advance(9 * time.Second)
		if faulty {
			e.sb.Faults().Set(faults.Rule{Path: sandbox.GraphQLPath(), ErrorRate: 1, Times: 1})
		}
		start := e.clock.Now()
		err := e.link.ReadStock(ctx, sdk.StockReadRequest{}, func(p sdk.StockPage) error {
			if len(p.Items) != stockPage {
				t.Fatalf("first page has %d levels, want %d", len(p.Items), stockPage)
			}
			return errEnough
		})
		if !errors.Is(err, errEnough) {
			t.Fatalf("read the first page: %v", err)
		}
		return e.clock.Now().Sub(start)
	}
	e.drain(t) // another app's spending, which the first answers show the pacer
	clean := page(false)
	faulted := page(true)
	if n := e.sb.Faults().Counts()[faults.KindError]; n != 1 {
		t.Fatalf("%d 5xx injected, want 1", n)
	}
	// The first retry backs off at most 250 ms.
	if faulted > clean+time.Second {
		t.Fatalf("one 5xx delayed the page from %v to %v: the retry waited for points Shopify never took", clean, faulted)
	}
	if n := e.sb.ThrottledCount(); n != 0 {
		t.Fatalf("the sandbox answered THROTTLED %d times", n)
	}
}
