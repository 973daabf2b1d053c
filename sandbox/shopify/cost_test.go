package shopify

import (
	"net/http"
	"testing"
	"time"
)

const sampleQuery = `{ products(first: 10) { pageInfo { hasNextPage } edges { node { id title variants(first: 5) { nodes { id sku } } } } } }`

func TestCostOfASampleQuery(t *testing.T) {
	f := newFixture(t, nil)
	a := f.gql(t, sampleQuery, nil).ok(t)
	// products: 2 + 10 × (1 for the product + variants: 2 + 5 × 1) = 82.
	if a.Extensions.Cost.Requested != 82 {
		t.Fatalf("requested cost %v, want 82", a.Extensions.Cost.Requested)
	}
	want := 2
	for _, p := range f.cat.Products[:10] {
		want += 1 + 2 + len(p.Variants)
	}
	if a.Extensions.Cost.Actual == nil || int(*a.Extensions.Cost.Actual) != want {
		t.Fatalf("actual cost %v, want %d (what came back)", a.Extensions.Cost.Actual, want)
	}
	ts := a.Extensions.Cost.ThrottleStatus
	if ts.Maximum != 2000 || ts.RestoreRate != 100 || ts.Available != float64(2000-want) {
		t.Fatalf("throttle status %+v, want 2000/100 with %d available (difference refunded)", ts, 2000-want)
	}
	// A mutation costs 10; productSet 10 + 0.2 per variant, rounded up.
	a = f.gql(t, `mutation { productSet(input: {title: "X", variants: [
		{optionValues: [{optionName: "Title", name: "A"}], price: "1.00"},
		{optionValues: [{optionName: "Title", name: "B"}], price: "1.00"},
		{optionValues: [{optionName: "Title", name: "C"}], price: "1.00"},
		{optionValues: [{optionName: "Title", name: "D"}], price: "1.00"},
		{optionValues: [{optionName: "Title", name: "E"}], price: "1.00"},
		{optionValues: [{optionName: "Title", name: "F"}], price: "1.00"}]}) { product { id } userErrors { message } } }`, nil).ok(t)
	if a.Extensions.Cost.Requested != 12 {
		t.Fatalf("productSet with 6 variants cost %v, want 12", a.Extensions.Cost.Requested)
	}
}

func TestPlanPresets(t *testing.T) {
	for plan, want := range map[string][2]float64{"standard": {100, 2000}, "advanced": {200, 4000}, "plus": {1000, 20000}, "enterprise": {2000, 40000}} {
		f := newFixture(t, func(o *Options) { o.Plan = plan })
		ts := f.gql(t, `{ shop { name } }`, nil).ok(t).Extensions.Cost.ThrottleStatus
		if ts.RestoreRate != want[0] || ts.Maximum != want[1] {
			t.Errorf("%s: %+v, want %v", plan, ts, want)
		}
	}
}

// drain spends n × 10 points with mutations that change nothing.
func drain(t *testing.T, f *fixture, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		f.gql(t, `mutation { webhookSubscriptionDelete(id: "gid://shopify/WebhookSubscription/1") { deletedWebhookSubscriptionId } }`, nil).ok(t)
	}
}

func TestBucketDrainsAndRefillsAtTheRestoreRate(t *testing.T) {
	f := newFixture(t, nil)
	drain(t, f, 150) // the clock stands still: nothing leaks back
	if avail, _, _ := f.s.ThrottleStatus(); avail != 500 {
		t.Fatalf("after spending 1,500 points %v are available, want 500", avail)
	}
	f.clock.Advance(2500 * time.Millisecond)
	if avail, _, _ := f.s.ThrottleStatus(); avail != 750 {
		t.Fatalf("2.5 s at 100/s should restore 250 points: %v available, want 750", avail)
	}
	a := f.gql(t, `{ shop { name } }`, nil).ok(t)
	if a.Extensions.Cost.ThrottleStatus.Available != 749 {
		t.Fatalf("throttleStatus after a 1-point query: %+v", a.Extensions.Cost.ThrottleStatus)
	}
	f.clock.Advance(time.Hour)
	if avail, maxi, _ := f.s.ThrottleStatus(); avail != maxi {
		t.Fatalf("the bucket refilled past or short of its size: %v of %v", avail, maxi)
	}
}

func TestThrottledAs200And429(t *testing.T) {
	for _, tc := range []struct {
		fraction float64
		status   int
	}{{0, http.StatusOK}, {1, http.StatusTooManyRequests}} {
		f := newFixture(t, func(o *Options) { o.Throttled429Fraction = tc.fraction })
		drain(t, f, 199)
		a := f.gql(t, sampleQuery, nil) // asks for 82 with 10 left
		if a.Status != tc.status || a.Data != nil || len(a.Errors) != 1 || a.Errors[0].Extensions["code"] != "THROTTLED" {
			t.Fatalf("want THROTTLED with HTTP %d and no data: %d %s", tc.status, a.Status, a.raw)
		}
		if a.Extensions.Cost.Requested != 82 || a.Extensions.Cost.ThrottleStatus.Available != 10 {
			t.Fatalf("a throttled answer must still report cost: %s", a.raw)
		}
		if f.s.ThrottledCount() != 1 {
			t.Fatalf("ThrottledCount = %d", f.s.ThrottledCount())
		}
		f.clock.Advance(time.Second) // 110 available now
		f.gql(t, sampleQuery, nil).ok(t)
	}
}

func TestMaxCostExceeded(t *testing.T) {
	f := newFixture(t, nil)
	a := f.gql(t, `{ products(first: 250) { nodes { id variants(first: 250) { nodes { id } } } } }`, nil)
	if a.Data != nil || len(a.Errors) != 1 || a.Errors[0].Extensions["code"] != "MAX_COST_EXCEEDED" {
		t.Fatalf("want MAX_COST_EXCEEDED: %s", a.raw)
	}
	if a.Extensions.Cost.Requested != 2+250*(1+2+250) || a.Extensions.Cost.ThrottleStatus.Available != 2000 {
		t.Fatalf("cost %v, bucket %v: a refused query must not be charged", a.Extensions.Cost.Requested, a.Extensions.Cost.ThrottleStatus.Available)
	}
}
