package sdk_test

import (
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopbridge/shopbridge/sdk/internal/benchconnector"
)

// BenchmarkProductCodec is the codec's share of a boundary read, on one
// goroutine: a 500-product page of the bench catalogue written from
// sdk.ProductPage (the connector's side) and read back into one (the
// host's side), with no gRPC, TLS or socket. Compare with BenchmarkProtoPage
// in sdk/internal/benchconnector, which is protobuf-go alone before the
// conversions it no longer needs.
//
//	go test -run '^$' -bench ProductCodec ./sdk/
func BenchmarkProductCodec(b *testing.B) {
	const size = 500
	page := sdk.ProductPage{Cursor: "after:499", Items: make([]sdk.Product, size)}
	for i := range page.Items {
		benchconnector.Fill(&page.Items[i], make([]sdk.Variant, 3), int64(i))
	}
	wire, err := sdk.EncodeProductPage(page)
	if err != nil {
		b.Fatal(err)
	}
	report := func(b *testing.B, start time.Time) {
		el := time.Since(start)
		n := float64(b.N * size)
		b.ReportMetric(n/el.Seconds(), "products/s")
		b.ReportMetric(float64(el.Nanoseconds())/n, "ns/product")
	}
	b.Run("marshal", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if _, err := sdk.EncodeProductPage(page); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if _, err := sdk.DecodeProductPage(wire); err != nil {
				b.Fatal(err)
			}
		}
		report(b, start)
	})
}
