package shopbox_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/shopbridge/shopbridge/plugins/shopbox"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	sandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	"github.com/shopbridge/shopbridge/sdk"
)

// BenchmarkReadProducts reads a whole catalogue of 1,000 and of 10,000
// products (1–3 variants each) from the in-process sandbox, 100 per page.
// Besides ns/op and B/op it reports:
//
//   - B/product: bytes allocated per product read (client and sandbox
//     together, both in this process);
//   - peak-live-B: the most live heap the read held above what was live
//     before it, measured with a GC at every page. It should not grow with
//     the catalogue: a read holds one page, not the catalogue;
//   - catalogue-live-B: for contrast, the live heap that holding every
//     product read would take.
func BenchmarkReadProducts(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) { benchRead(b, n) })
	}
}

func benchRead(b *testing.B, n int) {
	cat := catalog.Generate(catalog.Config{Products: n, MinVariants: 1, MaxVariants: 3, Locations: 2, Seed: 1})
	e := startSandbox(b, sandbox.Options{Catalog: cat}, nil)
	l := e.open(b, map[string]any{"page_size": 100})
	read := func(l *shopbox.Link, each func()) int {
		count := 0
		err := l.ReadProducts(context.Background(), sdk.ReadRequest{}, func(p sdk.ProductPage) error {
			count += len(p.Items)
			if each != nil {
				each()
				runtime.KeepAlive(p) // the page counts while the host holds it
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return count
	}
	if got := read(l, nil); got != n { // also logs in and lets the seed's second pass
		b.Fatalf("read %d products, want %d", got, n)
	}

	var ms runtime.MemStats
	live := func() uint64 {
		// Twice: the first cycle moves sync.Pool contents to the victim
		// cache, the second frees them.
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := live()
	var peak uint64
	read(l, func() {
		if h := live(); h > base && h-base > peak {
			peak = h - base
		}
	})
	// For contrast: what holding the whole catalogue would cost.
	var kept []sdk.Product
	if err := l.ReadProducts(context.Background(), sdk.ReadRequest{}, func(p sdk.ProductPage) error {
		kept = append(kept, p.Items...)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	withAll := live()
	runtime.KeepAlive(kept)
	kept = nil
	catalogue := int64(withAll) - int64(live())

	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		read(l, nil)
	}
	b.StopTimer()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.TotalAlloc-before)/float64(b.N*n), "B/product")
	b.ReportMetric(float64(peak), "peak-live-B")
	b.ReportMetric(float64(catalogue), "catalogue-live-B")
}
