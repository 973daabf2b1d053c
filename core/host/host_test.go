package host

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/plugin"
)

func TestRunOpensLinksServesHealthAndStops(t *testing.T) {
	root := t.TempDir()
	bin := filepath.Join(root, "connector")
	pkg := "github.com/shopbridge/shopbridge/sdk/internal/testconnector"
	build := exec.Command("go", "build", "-ldflags", "-X "+pkg+".Version=1.0.0", "-o", bin, pkg+"/cmd/shopbridge-connector-test")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatal(err)
	}
	dir, lock := filepath.Join(root, "plugins"), filepath.Join(root, "shopbridge.lock")
	if _, err := plugin.Install(context.Background(), dir, lock, bin); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Server:  config.Server{Listen: "127.0.0.1:0"},
		Plugins: config.Plugins{Dir: dir, Lock: lock},
		Links: []config.Link{
			{ID: "a", ConnectorName: "test", ConnectorConstraint: "^1", Settings: map[string]any{"shop": "a", "token": "t"}},
			{ID: "b", ConnectorName: "test", Settings: map[string]any{"shop": "b", "token": "t"}},
			{ID: "off", ConnectorName: "test", Disabled: true},
		},
	}
	h, err := New(cfg, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()

	get := func(path string) (int, string) {
		addr := h.Addr()
		if addr == nil {
			return 0, ""
		}
		res, err := http.Get("http://" + addr.String() + path)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := get("/readyz")
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready: %d %s", code, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := get("/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if h.Link("a") == nil || h.Link("b") == nil || h.Link("off") != nil {
		t.Errorf("open links: a=%v b=%v off=%v; want a and b only", h.Link("a") != nil, h.Link("b") != nil, h.Link("off") != nil)
	}
	procs := h.Plugins().Processes()
	if len(procs) != 1 || len(procs[0].Links) != 2 {
		t.Errorf("processes = %+v, want one serving both links", procs)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if len(h.Plugins().Processes()) != 0 {
		t.Errorf("connector processes left after Run: %+v", h.Plugins().Processes())
	}
}

func TestRunFailsNamingTheLinkThatCannotOpen(t *testing.T) {
	root := t.TempDir()
	cfg := &config.Config{
		Server:  config.Server{Listen: "127.0.0.1:0"},
		Plugins: config.Plugins{Dir: filepath.Join(root, "plugins"), Lock: filepath.Join(root, "lock")},
		Links:   []config.Link{{ID: "shop1", ConnectorName: "missing", Settings: map[string]any{}}},
	}
	h, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = h.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "shop1") || !strings.Contains(err.Error(), "plugins install") {
		t.Fatalf("Run = %v, want an error naming link shop1 and the fix", err)
	}
}
