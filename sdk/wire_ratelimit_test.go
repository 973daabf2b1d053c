package sdk

import (
	"context"
	"encoding/json"
	"net"
	"testing"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	pb "github.com/shopbridge/shopbridge/proto/shopbridge/connector/v1"
)

// pacedConnector's links report a rate limit.
type pacedConnector struct{ memConnector }

func (c *pacedConnector) OpenLink(ctx context.Context, req OpenRequest) (Link, error) {
	l, err := c.memConnector.OpenLink(ctx, req)
	if err != nil {
		return nil, err
	}
	if ml, ok := l.(*memLink); ok {
		return &pacedLink{memLink: ml}, nil
	}
	return l, nil
}

type pacedLink struct{ *memLink }

func (*pacedLink) RateLimitStatus(context.Context) (RateLimit, error) {
	return RateLimit{Available: 1450.5, Capacity: 2000, RestorePerSecond: 100, Unit: RateLimitPoints}, nil
}

func TestRateLimitStatusCrossesTheWire(t *testing.T) {
	r := dial(t, &pacedConnector{memConnector{caps: []Capability{CapRateLimit}}})
	l, err := r.OpenLink(context.Background(), "x", json.RawMessage(`{"shop":"s"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.RateLimitStatus(context.Background())
	want := RateLimit{Available: 1450.5, Capacity: 2000, RestorePerSecond: 100, Unit: RateLimitPoints}
	if err != nil || got != want {
		t.Fatalf("RateLimitStatus = %+v, %v; want %+v", got, err, want)
	}
}

func TestRateLimitStatusOfALinkWithoutItIsUnsupported(t *testing.T) {
	r := dial(t, &memConnector{})
	l, err := r.OpenLink(context.Background(), "x", json.RawMessage(`{"shop":"s"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.RateLimitStatus(context.Background()); ClassOf(err) != ClassUnsupported {
		t.Fatalf("want unsupported from a link without RateLimitReporter, got %v", err)
	}
}

func TestDeclaringRateLimitNeedsTheInterface(t *testing.T) {
	r := dial(t, &memConnector{caps: []Capability{CapRateLimit}})
	_, err := r.OpenLink(context.Background(), "x", json.RawMessage(`{"shop":"s"}`), nil)
	if ClassOf(err) != ClassUnsupported {
		t.Fatalf("want unsupported for a link that declares rate_limit without RateLimitReporter, got %v", err)
	}
}

// A connector built before RateLimitStatus existed serves a service
// without that method; gRPC answers UNIMPLEMENTED, which must read as
// unsupported, the same as a link without the interface.
func TestRateLimitStatusOfAnOlderConnectorIsUnsupported(t *testing.T) {
	lis := bufconn.Listen(1 << 16)
	s := grpc.NewServer()
	desc := pb.ConnectorService_ServiceDesc
	desc.Methods = nil
	for _, m := range pb.ConnectorService_ServiceDesc.Methods {
		if m.MethodName != "RateLimitStatus" {
			desc.Methods = append(desc.Methods, m)
		}
	}
	s.RegisterService(&desc, &server{impl: &memConnector{}, desc: (&memConnector{}).Describe(), log: hclog.NewNullLogger(), links: map[string]Link{}})
	go func() { _ = s.Serve(lis) }()
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(context.Context, string) (net.Conn, error) { return lis.Dial() }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close(); s.Stop() })
	l, err := newRemote(cc).OpenLink(context.Background(), "x", json.RawMessage(`{"shop":"s"}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.RateLimitStatus(context.Background()); ClassOf(err) != ClassUnsupported {
		t.Fatalf("want unsupported from a connector without the call, got %v", err)
	}
}
