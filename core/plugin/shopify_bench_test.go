package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	spsandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

// BenchmarkShopifyPushRealTime pushes stock for 25,000 SKUs through the
// real Shopify connector binary (started by the Manager: go-plugin,
// AutoMTLS, sha256 checked) to the Shopify sandbox on the standard plan,
// in real time, from a bucket another app has just drained. It reports
// rows/s next to the cost model's bound (100 points/s ÷ 10 points per
// 250-row call × 250 = 2,500 rows/s), the ratio, and THROTTLED answers.
// It is the wall-clock check of plugins/shopify's BenchmarkRateLimit,
// which runs 100,000 rows on a clock shared with the sandbox. One run
// whatever b.N; it takes about 10 s.
//
//	go test -run '^$' -bench ShopifyPushRealTime -benchtime 1x ./core/plugin/
func BenchmarkShopifyPushRealTime(b *testing.B) {
	const products, variants = 12_500, 2
	root := b.TempDir()
	bin := filepath.Join(root, "shopbridge-connector-shopify")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/shopbridge/shopbridge/plugins/shopify/cmd/shopbridge-connector-shopify").CombinedOutput(); err != nil {
		b.Fatalf("building the Shopify connector: %v\n%s", err, out)
	}
	dir, lock := filepath.Join(root, "plugins"), filepath.Join(root, "shopbridge.lock")
	if _, err := Install(context.Background(), dir, lock, bin); err != nil {
		b.Fatal(err)
	}
	const token = "shpat_bench"
	sb := spsandbox.New(spsandbox.Options{
		Catalog:      catalog.Generate(catalog.Config{Products: products, MinVariants: variants, MaxVariants: variants, Locations: 1, Seed: 13}),
		AccessTokens: []string{token}, Plan: "standard", Seed: 13,
	})
	srv := httptest.NewServer(sb)
	b.Cleanup(func() { srv.Close(); sb.Close() })

	// The inventory items and the location, from the sandbox's own
	// snapshot: reading 25,000 levels through the API would spend ten
	// minutes of the bucket before the push starts.
	snap, err := sb.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	var st struct {
		Locations []struct{ ID int64 } `json:"locations"`
		Products  []struct {
			Variants []struct {
				Item struct{ ID int64 } `json:"inventory_item"`
			} `json:"variants"`
		} `json:"products"`
	}
	if err := json.Unmarshal(snap, &st); err != nil {
		b.Fatal(err)
	}
	loc := fmt.Sprintf("gid://shopify/Location/%d", st.Locations[0].ID)
	req := sdk.StockWriteRequest{IdempotencyKey: "bench-push"}
	for _, p := range st.Products {
		for _, v := range p.Variants {
			req.Rows = append(req.Rows, sdk.StockWrite{Key: fmt.Sprint(len(req.Rows)),
				Level: sdk.StockLevel{InventoryItemID: fmt.Sprintf("gid://shopify/InventoryItem/%d", v.Item.ID), LocationID: loc, Quantity: int64(len(req.Rows) % 40)}})
		}
	}
	if len(req.Rows) != products*variants {
		b.Fatalf("%d rows, want %d", len(req.Rows), products*variants)
	}

	m, err := NewManager(Options{Dir: dir, Lock: lock})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	l, err := m.Open(context.Background(), &config.Link{ID: "push", ConnectorName: "shopify", ConnectorConstraint: ">=0.0.0",
		Settings: map[string]any{"shop": sb.Shop(), "access_token": token, "base_url": srv.URL}})
	if err != nil {
		b.Fatal(err)
	}
	drainShopify(b, srv.URL, token, sb)
	start := time.Now()
	res, err := l.WriteStock(context.Background(), req)
	el := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			b.Fatalf("row %s: %v", r.Key, r.Err)
		}
	}
	_, _, rate := sb.ThrottleStatus()
	bound := rate / 10 * 250
	perSec := float64(len(req.Rows)) / el.Seconds()
	b.ReportMetric(perSec, "rows/s")
	b.ReportMetric(bound, "bound_rows/s")
	b.ReportMetric(perSec/bound, "ratio")
	b.ReportMetric(float64(sb.ThrottledCount()), "throttled")
	b.ReportMetric(el.Seconds(), "wall_s")
}

// drainShopify spends the shop's bucket as another app would, until less
// than 20 points are left.
func drainShopify(b *testing.B, base, token string, sb *spsandbox.Server) {
	body := `{"query":"mutation { webhookSubscriptionDelete(id: \"gid://shopify/WebhookSubscription/1\") { deletedWebhookSubscriptionId } }"}`
	for range 1000 {
		if avail, _, _ := sb.ThrottleStatus(); avail < 20 {
			return
		}
		req, _ := http.NewRequest(http.MethodPost, base+spsandbox.GraphQLPath(), strings.NewReader(body))
		req.Header.Set("X-Shopify-Access-Token", token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatalf("drain the bucket: %v", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	b.Fatal("the bucket did not drain")
}
