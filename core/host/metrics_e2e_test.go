package host_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	spsandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
)

// metricSamples parses a /metrics answer into "name{labels}" → value.
func metricSamples(t *testing.T, text string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// TestMetricsAfterOrdersAndStock runs a Shopify link through what a day
// brings — an order imported, an order whose product Rackbeat no longer
// has (quarantined), stock moved — and scrapes /metrics as Prometheus
// would: the series an operator graphs are there, with the values the
// activity implies.
func TestMetricsAfterOrdersAndStock(t *testing.T) {
	w := newWorld(t, 10)
	req, _ := http.NewRequest(http.MethodDelete, w.urls["rackbeat"]+"/api/products/"+url.PathEscape(w.sku(7)), nil)
	req.Header.Set("Authorization", "Bearer "+rbToken)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode/100 != 2 {
		t.Fatalf("delete a Rackbeat product: %v %v", res, err)
	}
	w.start(w.shopifyLink("shop", orders("pull_every", "2s"), "", "enabled: true, locations: all, reconcile_every: 2s"))

	good, err := w.shopify.PlaceOrder(spsandbox.OrderInput{Email: "k@example.se", FinancialStatus: "paid", Lines: []spsandbox.OrderLine{{SKU: w.sku(1), Quantity: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.shopify.PlaceOrder(spsandbox.OrderInput{Email: "q@example.se", FinancialStatus: "paid", Lines: []spsandbox.OrderLine{{SKU: w.sku(7), Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	// Rackbeat's webhook for the move queues a stock push.
	_ = w.rb.MoveStock(w.sku(3), w.cat.Locations[0].Number, 4)

	const (
		imported    = `shopbridge_items_synced_total{flow="orders",link="shop",outcome="ok"}`
		quarantined = `shopbridge_items_synced_total{flow="orders",link="shop",outcome="quarantined"}`
		waiting     = `shopbridge_quarantine_items{link="shop"}`
		stockLag    = `shopbridge_lag_seconds{flow="stock",link="shop"}`
		ordersLag   = `shopbridge_lag_seconds{flow="orders",link="shop"}`
		stockPushes = `shopbridge_job_duration_seconds_count{kind="stock.push"}`
	)
	var got map[string]float64
	w.eventually("the orders' outcomes, the quarantine and a stock push in /metrics", 60*time.Second, func() bool {
		if len(w.ordersWithReference("shopbridge:shop:"+good)) != 1 {
			return false
		}
		got = metricSamples(t, w.get(t, "/metrics"))
		_, lag := got[stockLag]
		return got[imported] >= 1 && got[quarantined] >= 1 && got[waiting] == 1 && lag && got[stockPushes] >= 1
	})

	// Exactly one order of the two imported; the other waits in quarantine,
	// counted there once even if pulls and webhooks both brought it.
	if v := got[imported]; v != 1 {
		t.Errorf("%s = %v, want 1", imported, v)
	}
	if v := got[quarantined]; v < 1 {
		t.Errorf("%s = %v, want at least 1", quarantined, v)
	}
	for _, s := range []string{stockLag, ordersLag} {
		if v, ok := got[s]; !ok || v < 0 || v > 60 {
			t.Errorf("%s = %v (present %v), want a few seconds: the flow ran successfully moments ago", s, v, ok)
		}
	}
	if v := got[`shopbridge_job_duration_seconds_count{kind="orders.import"}`]; v < 2 {
		t.Errorf("orders.import jobs timed %v times, want at least the two orders", v)
	}
	// Every job kind has its queue depth, if only 0, from the first scrape.
	for _, kind := range []string{"orders.import", "orders.pull", "stock.push", "stock.reconcile", "products.pull"} {
		if v, ok := got[`shopbridge_queue_depth{kind="`+kind+`"}`]; !ok || v < 0 {
			t.Errorf("queue depth of %s: %v (present %v)", kind, v, ok)
		}
	}
	var up, restarts bool
	for k, v := range got {
		switch {
		case strings.HasPrefix(k, `shopbridge_connector_up{connector="shopify"`):
			up = v == 1
		case strings.HasPrefix(k, `shopbridge_connector_restarts_total{connector="shopify"`):
			restarts = v == 0
		}
	}
	if !up || !restarts {
		t.Errorf("the Shopify connector process: up %v, restarts at zero %v; want it running and never restarted", up, restarts)
	}
	if v, ok := got[`shopbridge_scrape_errors_total{what="quarantine"}`]; !ok || v != 0 {
		t.Errorf("quarantine count failures at scrape: %v (present %v), want 0", v, ok)
	}

	// The calls the flows made to the connector, by method: the order
	// pulls read orders and the stock push wrote stock, and they worked.
	calls := func(method, outcome string) float64 {
		n := 0.0
		for k, v := range got {
			if strings.HasPrefix(k, `shopbridge_connector_calls_total{connector="shopify",method="`+method+`",outcome="`+outcome+`",version="`) {
				n += v
			}
		}
		return n
	}
	for _, method := range []string{"ReadOrders", "WriteStock"} {
		if n := calls(method, "ok"); n < 1 {
			t.Errorf("%s calls to the Shopify connector that went well: %v, want at least 1", method, n)
		}
		if n := got[`shopbridge_connector_call_duration_seconds_count{connector="shopify",method="`+method+`"}`]; n < 1 {
			t.Errorf("%s calls timed %v times, want at least 1", method, n)
		}
	}

	// The Shopify cost bucket, as the connector's pacer sees it after the
	// calls above: the standard plan's 2,000 points, some maybe spent.
	const (
		bucket   = `shopbridge_channel_rate_limit_available{connector="shopify",link="shop",unit="points"}`
		capacity = `shopbridge_channel_rate_limit_capacity{connector="shopify",link="shop",unit="points"}`
	)
	avail, okA := got[bucket]
	size, okC := got[capacity]
	if !okA || !okC || size <= 0 || avail < 0 || avail > size {
		t.Errorf("Shopify bucket: %v of %v points (present %v, %v); want a level between 0 and the bucket's size", avail, size, okA, okC)
	}
}
