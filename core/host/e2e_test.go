package host_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/host"
	"github.com/shopbridge/shopbridge/core/plugin"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
	sbsandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	spsandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
)

// The end-to-end tests run the host in-process with the real connector
// binaries (built once in TestMain, installed with their sha256 in a lock
// file) against the three sandboxes.

var pluginsDir, lockFile string

func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "shopbridge-e2e-")
	if err != nil {
		panic(err)
	}
	pluginsDir, lockFile = filepath.Join(root, "plugins"), filepath.Join(root, "shopbridge.lock")
	for _, name := range []string{"shopify", "shopbox"} {
		bin := filepath.Join(root, "build", "shopbridge-connector-"+name)
		cmd := exec.Command("go", "build", "-o", bin, "github.com/shopbridge/shopbridge/plugins/"+name+"/cmd/shopbridge-connector-"+name)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", name, err)
			os.Exit(1)
		}
		if _, err := plugin.Install(context.Background(), pluginsDir, lockFile, bin); err != nil {
			fmt.Fprintln(os.Stderr, "install", name, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(root)
	os.Exit(code)
}

const (
	rbToken      = "rackbeat-e2e-token"
	shopifyToken = "shpat_e2e"
	shopifySec   = "shopify-e2e-secret"
	shopboxPass  = "shopbox-e2e-password"
	shopboxPush  = "shopbox-e2e-push-secret"
)

// world is one test's sandboxes and host.
type world struct {
	t       *testing.T
	cat     *catalog.Catalog
	rb      *rbsandbox.Server
	shopify *spsandbox.Server
	shopbox *sbsandbox.Server
	urls    map[string]string
	opts    host.Options // options of the hosts the test starts (Logger and Scheduler are set by newHost)
	host    *host.Host
	addr    string
	stop    func()
	// writes counts the writes each sandbox receives, when the world was
	// made with countWrites.
	writes *writeCounter
}

// emptyRackbeat starts Rackbeat with the catalogue's groups and locations
// but none of its products, as an account before its initial sync.
func emptyRackbeat(o *worldOptions) { o.emptyRackbeat = true }

// countWrites counts every write request the sandboxes receive (see
// writeCounter), for tests that bound or forbid writes.
func countWrites(o *worldOptions) { o.countWrites = true }

type worldOptions struct{ emptyRackbeat, countWrites bool }

func newWorld(t *testing.T, products int, opts ...func(*worldOptions)) *world {
	t.Helper()
	var o worldOptions
	for _, f := range opts {
		f(&o)
	}
	w := &world{t: t, cat: catalog.Generate(catalog.Config{Products: products, Locations: 2, Seed: 42}), urls: map[string]string{}}
	rbCat := w.cat
	if o.emptyRackbeat {
		c := *w.cat
		c.Products = nil
		rbCat = &c
	}
	w.rb = rbsandbox.New(rbsandbox.Options{Catalog: rbCat, Tokens: []string{rbToken}, RequestsPerMinute: -1, Prerequisites: true, Seed: 42})
	w.shopify = spsandbox.New(spsandbox.Options{Catalog: w.cat, AccessTokens: []string{shopifyToken}, ClientSecret: shopifySec, Seed: 42})
	w.shopbox = sbsandbox.New(sbsandbox.Options{Catalog: w.cat, Password: shopboxPass, PushSecret: shopboxPush, Seed: 42})
	if o.countWrites {
		w.writes = &writeCounter{counts: map[string]int{}}
	}
	for name, h := range map[string]http.Handler{"rackbeat": w.rb, "shopify": w.shopify, "shopbox": w.shopbox} {
		if w.writes != nil {
			h = w.writes.wrap(name, h)
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		w.urls[name] = srv.URL
	}
	t.Cleanup(func() { w.rb.Close(); w.shopify.Close(); w.shopbox.Close() })
	return w
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// shopifyLink is a link block for the Shopify sandbox; orders and stock
// are YAML fragments of the link's settings.
func (w *world) shopifyLink(id, orders, products, stock string) string {
	return fmt.Sprintf(`
  - id: %s
    connector: shopify@^1.0
    settings: {shop: demo.myshopify.com, access_token: "${SHOPIFY_TOKEN}", client_secret: "${SHOPIFY_SECRET}", base_url: %q}
    orders: {%s}
    products: {%s}
    stock: {%s}
`, id, w.urls["shopify"], orders, products, stock)
}

func (w *world) shopboxLink(id, orders, products, stock string) string {
	return fmt.Sprintf(`
  - id: %s
    connector: shopbox@^1.0
    settings: {email: "sandbox@shopbox.test", password: "${SHOPBOX_PASSWORD}", push_secret: "${SHOPBOX_PUSH}", base_url: %q}
    orders: {%s}
    products: {%s}
    stock: {%s}
`, id, w.urls["shopbox"]+"/api/v3/", orders, products, stock)
}

// orders renders a link's orders block: the seeds' recommended settings,
// with the given key/value pairs replacing or adding to them.
func orders(kv ...string) string {
	keys := []string{"enabled", "trigger", "state", "numbering", "payment_terms", "language", "customer_group", "vat_zone", "currency", "employee", "shipping_product", "pull_every"}
	vals := map[string]string{"enabled": "true", "trigger": "paid", "state": "ready_to_ship", "numbering": "rackbeat", "payment_terms": "3",
		"language": "en", "customer_group": "1", "vat_zone": "domestic", "currency": "SEK", "employee": "2", "shipping_product": "frakt", "pull_every": "1h"}
	for i := 0; i+1 < len(kv); i += 2 {
		if _, ok := vals[kv[i]]; !ok {
			keys = append(keys, kv[i])
		}
		vals[kv[i]] = kv[i+1]
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + vals[k]
	}
	return strings.Join(parts, ", ")
}

// config writes the config, and loads it through the real loader.
func (w *world) config(links ...string) *config.Config {
	t := w.t
	t.Helper()
	if w.addr == "" {
		w.addr = freeAddr(t)
	}
	dir := t.TempDir()
	yaml := fmt.Sprintf(`
state: {driver: sqlite, path: %q}
server: {listen: %q, public_url: "http://%s"}
plugins: {dir: %q, lock: %q}
rackbeat: {url: %q, token: "${RACKBEAT_TOKEN}", requests_per_minute: 60000}
log: {level: warn}
links:%s`, filepath.Join(dir, "state.db"), w.addr, w.addr, pluginsDir, lockFile, w.urls["rackbeat"]+"/api", strings.Join(links, ""))
	env := map[string]string{"RACKBEAT_TOKEN": rbToken, "SHOPIFY_TOKEN": shopifyToken, "SHOPIFY_SECRET": shopifySec,
		"SHOPBOX_PASSWORD": shopboxPass, "SHOPBOX_PUSH": shopboxPush}
	cfg, err := config.Parse([]byte(yaml), config.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, yaml)
	}
	return cfg
}

// newHost makes a host for cfg without running it: the one-shot commands'
// way (sync, plan, orders import).
func (w *world) newHost(cfg *config.Config) *host.Host {
	t := w.t
	t.Helper()
	// SHOPBRIDGE_E2E_LOG=debug (or info…) shows more of the host's log.
	level := hclog.LevelFromString(os.Getenv("SHOPBRIDGE_E2E_LOG"))
	if level == hclog.NoLevel {
		level = hclog.Warn
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "host", Level: level, Output: testWriter{t}})
	opts := w.opts
	opts.Logger = logger
	opts.Scheduler = schedule.Options{PollInterval: 50 * time.Millisecond, RetryBackoff: func(int) time.Duration { return 200 * time.Millisecond }}
	h, err := host.New(context.Background(), cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// start runs a host for links until the test ends.
func (w *world) start(links ...string) {
	t := w.t
	t.Helper()
	h := w.newHost(w.config(links...))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	w.host = h
	w.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("host: %v", err)
		}
	}
	t.Cleanup(w.stop)
	w.eventually("host ready", 60*time.Second, func() bool {
		res, err := http.Get("http://" + w.addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
}

type testWriter struct{ t *testing.T }

func (tw testWriter) Write(b []byte) (int, error) {
	tw.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// eventually polls cond; it is a bound on waiting, not a timing assertion.
func (w *world) eventually(what string, limit time.Duration, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("gave up waiting for %s after %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (w *world) sku(i int) string { return w.cat.Products[i].Variants[0].SKU }

func (w *world) ordersWithReference(prefix string) []rbsandbox.Order {
	var out []rbsandbox.Order
	for _, o := range w.rb.Orders() {
		if strings.HasPrefix(o.OtherReference, prefix) {
			out = append(out, o)
		}
	}
	return out
}
