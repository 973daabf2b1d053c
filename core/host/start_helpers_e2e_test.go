package host_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/host"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/schedule"
)

// hostSetup is what startWith adds to world.start: top-level YAML (the
// server and rackbeat blocks are built from it), host options, and a log
// kept in memory so a test can read it.
type hostSetup struct {
	// Server and Rackbeat are extra keys for those blocks, e.g.
	// `operator_token: "${OPERATOR_TOKEN}", max_body_bytes: 4096`.
	Server, Rackbeat string
	Env              map[string]string
	Scheduler        schedule.Options
	RackbeatOptions  []rackbeat.Option
	StatePath        string // default: a file in a temporary directory
	// OrderLease is host.Options.OrderLease; 0 takes 5 s, so an order
	// whose answer was lost heals within seconds (the flow's default is
	// 30 s, which the crash and multi-host runs keep).
	OrderLease time.Duration
}

// syncBuffer is a log sink safe for the host's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startWith is world.start with the Rackbeat client unthrottled (the
// sandbox has no limit; 480 requests a minute would make every fault test
// a test of patience), fast retries, and the extra setup; it returns the
// host's log.
func (w *world) startWith(s hostSetup, links ...string) *syncBuffer {
	t := w.t
	t.Helper()
	w.addr = freeAddr(t)
	path := s.StatePath
	if path == "" {
		path = filepath.Join(t.TempDir(), "state.db")
	}
	yaml := fmt.Sprintf(`
state: {driver: sqlite, path: %q}
server: {listen: %q, public_url: "http://%s"%s}
plugins: {dir: %q, lock: %q}
rackbeat: {url: %q, token: "${RACKBEAT_TOKEN}", requests_per_minute: 600000%s}
log: {level: info}
links:%s`, path, w.addr, w.addr, prefixComma(s.Server), pluginsDir, lockFile, w.urls["rackbeat"]+"/api", prefixComma(s.Rackbeat), strings.Join(links, ""))
	env := map[string]string{"RACKBEAT_TOKEN": rbToken, "SHOPIFY_TOKEN": shopifyToken, "SHOPIFY_SECRET": shopifySec,
		"SHOPBOX_PASSWORD": shopboxPass, "SHOPBOX_PUSH": shopboxPush}
	for k, v := range s.Env {
		env[k] = v
	}
	cfg, err := config.Parse([]byte(yaml), config.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	logs := &syncBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Info, Output: logs, JSONFormat: true})
	sched := s.Scheduler
	if sched.PollInterval == 0 {
		sched.PollInterval = 50 * time.Millisecond
	}
	if sched.RetryBackoff == nil {
		sched.RetryBackoff = func(int) time.Duration { return 200 * time.Millisecond }
	}
	lease := s.OrderLease
	if lease == 0 {
		lease = 5 * time.Second
	}
	h, err := host.New(context.Background(), cfg, host.Options{Logger: logger, Scheduler: sched, RackbeatOptions: s.RackbeatOptions, OrderLease: lease})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	w.host = h
	var once sync.Once
	w.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("host: %v", err)
			}
		})
	}
	t.Cleanup(func() {
		w.stop()
		if t.Failed() {
			t.Logf("host log tail:\n%s", tail(logs.String(), 40))
		}
		if os.Getenv("SHOPBRIDGE_CHAOS_KEEP_LOG") != "" {
			p := filepath.Join(os.TempDir(), "shopbridge-"+strings.ReplaceAll(t.Name(), "/", "-")+".log")
			_ = os.WriteFile(p, []byte(logs.String()), 0o600)
		}
	})
	w.eventually("host ready", 60*time.Second, func() bool {
		res, err := http.Get("http://" + w.addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
	return logs
}

func prefixComma(s string) string {
	if s == "" {
		return ""
	}
	return ", " + s
}
