package host_test

import (
	"strings"
	"testing"
	"time"
)

// TestMetricsShowRateLimitOnlyForConnectorsThatReportIt runs a Shopify link and a
// Shopbox link side by side. The Shopify connector reports its cost bucket;
// the Shopbox connector has no sdk.RateLimitReporter, as any connector
// built before the call had none. Scraped again and again, /metrics shows
// the bucket of the Shopify link only, the Shopbox connector is asked
// once, and nothing about it reaches the log.
func TestMetricsShowRateLimitOnlyForConnectorsThatReportIt(t *testing.T) {
	w := newWorld(t, 10)
	logs := w.startWith(hostSetup{},
		w.shopifyLink("shop", orders("enabled", "false"), "", ""),
		w.shopboxLink("pos", orders("enabled", "false", "currency", "NOK"), "", ""))

	// The Shopify connector knows its bucket from the first answer of the
	// shop, which the host's first calls at start bring.
	const capacity = `shopbridge_channel_rate_limit_capacity{connector="shopify",link="shop",unit="points"}`
	var got map[string]float64
	w.eventually("the Shopify bucket in /metrics", 30*time.Second, func() bool {
		got = metricSamples(t, w.get(t, "/metrics"))
		return got[capacity] > 0
	})
	for range 3 {
		got = metricSamples(t, w.get(t, "/metrics"))
	}
	var asked float64
	for k, v := range got {
		if strings.HasPrefix(k, "shopbridge_channel_rate_limit_") && strings.Contains(k, `link="pos"`) {
			t.Errorf("%s = %v: the Shopbox connector reports no rate limit", k, v)
		}
		if strings.HasPrefix(k, `shopbridge_connector_calls_total{connector="shopbox",method="RateLimitStatus",`) {
			if !strings.Contains(k, `outcome="unsupported"`) {
				t.Errorf("%s = %v, want only unsupported answers", k, v)
			}
			asked += v
		}
	}
	if asked != 1 {
		t.Errorf("the Shopbox connector was asked for its rate limit %v times over several scrapes, want once", asked)
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "RateLimitStatus") || strings.Contains(strings.ToLower(line), "rate limit") {
			t.Errorf("log line about the rate limit: %s", line)
		}
	}
}
