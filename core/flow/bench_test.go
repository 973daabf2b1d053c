package flow

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/sdk"
)

// BenchmarkInitialSync measures products/second of an initial sync from an
// in-process channel into the Rackbeat sandbox with a real store, and the
// host's heap afterwards (it should not grow with the catalogue).
//
//	go test -run XXX -bench InitialSync -benchtime 1x ./core/flow/
func BenchmarkInitialSync(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			if n > 10000 && testing.Short() {
				b.Skip("100k in -short")
			}
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				e := newEnv(b, 0, "shopify", func(s *config.ProductsSettings) { s.Direction = DirChannel }, nil)
				for j := 0; j < n; j++ {
					e.ch.add(sdk.Product{Title: "Vare", Variants: []sdk.Variant{{SKU: fmt.Sprintf("B-%06d", j), Price: sdk.MustMoney("10", "SEK")}}})
				}
				is := &InitialSync{Link: "shop", Mode: "channel", Rules: e.prods.Rules, Channel: e.ch, Inventory: e.client, Store: e.store}
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				b.StartTimer()
				rep, err := is.Run(context.Background(), false)
				b.StopTimer()
				if err != nil || rep.Created != n {
					b.Fatalf("%+v %v", rep, err)
				}
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(n)/b.Elapsed().Seconds()*float64(b.N), "products/s")
				b.ReportMetric(float64(after.HeapInuse)/(1<<20), "heap-MiB")
			}
		})
	}
}
