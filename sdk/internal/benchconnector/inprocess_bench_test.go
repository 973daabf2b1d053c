package benchconnector_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopbridge/shopbridge/sdk/internal/benchconnector"
)

// These are the in-process columns of the boundary table (the process
// column is core/plugin's BenchmarkBoundaryRead): the same connector called
// directly, and through the SDK's gRPC service on a local socket inside one
// process (proto conversions and gRPC, no second process, no TLS).
//
//	go test -run '^$' -bench . ./sdk/internal/benchconnector/

const conduitRecordsPerSecond = 338200

// go-plugin's test connection logs at debug level to hclog's default
// output, which go test mixes into the benchmark lines.
func init() { hclog.DefaultOutput = io.Discard }

func report(b *testing.B, n int, el time.Duration) {
	rate := float64(n) / el.Seconds()
	b.ReportMetric(rate, "products/s")
	b.ReportMetric(rate/conduitRecordsPerSecond, "x_conduit")
	b.ReportMetric(float64(el.Nanoseconds())/float64(n), "ns/product")
}

func open(b *testing.B, products int) sdk.Link {
	l, err := benchconnector.New().OpenLink(context.Background(), sdk.OpenRequest{LinkID: "inproc", Settings: []byte(fmt.Sprintf(`{"products":%d}`, products))})
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// grpcLink serves the connector through sdk.GRPCPlugin on a unix socket in
// this process and returns the host's handle on one link.
func grpcLink(b *testing.B, products int) *sdk.RemoteLink {
	client, _ := goplugin.TestPluginGRPCConn(b, false, map[string]goplugin.Plugin{sdk.PluginName: &sdk.GRPCPlugin{Impl: benchconnector.New()}})
	b.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(sdk.PluginName)
	if err != nil {
		b.Fatal(err)
	}
	l, err := raw.(*sdk.RemoteConnector).OpenLink(context.Background(), "inproc", []byte(fmt.Sprintf(`{"products":%d}`, products)), nil)
	if err != nil {
		b.Fatal(err)
	}
	return l
}

func read(b *testing.B, r sdk.ProductReader) int {
	n := 0
	if err := r.ReadProducts(context.Background(), sdk.ReadRequest{PageSize: 500}, func(p sdk.ProductPage) error {
		n += len(p.Items)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if n != b.N {
		b.Fatalf("read %d products, want %d", n, b.N)
	}
	return n
}

func BenchmarkInProcessRead(b *testing.B) {
	b.Run("direct/page=500", func(b *testing.B) {
		l := open(b, b.N).(sdk.ProductReader)
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		n := read(b, l)
		report(b, n, time.Since(start))
	})
	b.Run("grpc-no-process/page=500", func(b *testing.B) {
		l := grpcLink(b, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		n := read(b, l)
		report(b, n, time.Since(start))
	})
}

func BenchmarkInProcessWrite(b *testing.B) {
	const batch = 500
	writes := make([]sdk.ProductWrite, batch)
	variants := make([]sdk.Variant, batch*3)
	for i := range writes {
		benchconnector.Fill(&writes[i].Product, variants[i*3:i*3+3:i*3+3], int64(i))
		writes[i].Key = fmt.Sprint(i)
	}
	run := func(b *testing.B, w sdk.ProductWriter) {
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		for done := 0; done < b.N; done += batch {
			res, err := w.WriteProducts(context.Background(), writes[:min(batch, b.N-done)])
			if err != nil || res[0].Err != nil {
				b.Fatal(err, res[0].Err)
			}
		}
		report(b, b.N, time.Since(start))
	}
	b.Run("direct/batch=500", func(b *testing.B) { run(b, open(b, 0).(sdk.ProductWriter)) })
	b.Run("grpc-no-process/batch=500", func(b *testing.B) { run(b, grpcLink(b, 0)) })
}
