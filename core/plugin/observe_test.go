package plugin

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/sdk"
)

// callLog records what Options.ObserveCall is told.
type callLog struct {
	mu    sync.Mutex
	calls []observedCall
}

type observedCall struct {
	connector, version, method string
	class                      sdk.Class
	err                        error
}

func (c *callLog) observe(connector, version, method string, err error, _ time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, observedCall{connector, version, method, sdk.ClassOf(err), err})
}

func (c *callLog) count(method string) (ok, failed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.calls {
		if x.method != method {
			continue
		}
		if x.err == nil {
			ok++
		} else {
			failed++
		}
	}
	return ok, failed
}

func TestEveryCallIsObservedWithItsOutcome(t *testing.T) {
	e := newEnv(t, "1.0.0")
	var log callLog
	m, err := NewManager(Options{Dir: e.dir, Lock: e.lock, Logger: hclog.NewNullLogger(), ObserveCall: log.observe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx := ctxT(t)
	l, err := m.Open(ctx, testLink("a", ""))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := countProducts(ctx, l); err != nil {
		t.Fatal(err)
	}
	_, _ = l.WriteStock(ctx, sdk.StockWriteRequest{IdempotencyKey: "k"})

	if ok, _ := log.count("Check"); ok != 1 {
		t.Fatalf("Check observed ok %d times, want 1: %+v", ok, log.calls)
	}
	if ok, _ := log.count("ReadProducts"); ok != 1 {
		t.Fatalf("ReadProducts observed ok %d times, want 1: %+v", ok, log.calls)
	}
	if ok, failed := log.count("WriteStock"); ok+failed != 1 {
		t.Fatalf("WriteStock observed %d times, want 1: %+v", ok+failed, log.calls)
	}
	for _, c := range log.calls {
		if c.connector != "test" || c.version != "1.0.0" {
			t.Fatalf("call observed as %s %s, want test 1.0.0", c.connector, c.version)
		}
	}
}

// The test connector's link has no sdk.RateLimitReporter: it answers
// unsupported, and the link asks it only once however often it is polled.
func TestRateLimitStatusUnsupportedIsAskedOnce(t *testing.T) {
	e := newEnv(t, "1.0.0")
	var log callLog
	m, err := NewManager(Options{Dir: e.dir, Lock: e.lock, Logger: hclog.NewNullLogger(), ObserveCall: log.observe})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx := ctxT(t)
	l, err := m.Open(ctx, testLink("a", ""))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := l.RateLimitStatus(ctx); sdk.ClassOf(err) != sdk.ClassUnsupported {
			t.Fatalf("RateLimitStatus of a connector without it: %v, want unsupported", err)
		}
	}
	if _, failed := log.count("RateLimitStatus"); failed != 1 {
		t.Fatalf("the connector was asked %d times, want once", failed)
	}

	// A restarted process may be another build: it is asked again, once.
	if err := syscall.Kill(m.Processes()[0].PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := l.Check(ctx); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("link not working again after the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for range 3 {
		_, _ = l.RateLimitStatus(ctx)
	}
	if _, failed := log.count("RateLimitStatus"); failed != 2 {
		t.Fatalf("the connector was asked %d times over two processes, want twice", failed)
	}
}
