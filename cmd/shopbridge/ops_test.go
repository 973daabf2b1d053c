package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
	spsandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
)

// The operator commands run the real binary against sandboxes started in
// this test process, with a real configuration file.

const (
	rbToken      = "rb-cli-token"
	shopifyToken = "shpat_cli"
	shopifySec   = "shopify-cli-secret"
	stateKey     = "0011223344556677889900112233445566778899001122334455667788990011"
)

var sandboxEnv = []string{"RB_TOKEN=" + rbToken, "SHOPIFY_TOKEN=" + shopifyToken, "SHOPIFY_SECRET=" + shopifySec, "SHOPBRIDGE_STATE_KEY=" + stateKey}

// sandboxes is one test's Rackbeat and Shopify.
type sandboxes struct {
	t       *testing.T
	cat     *catalog.Catalog
	rb      *rbsandbox.Server
	shopify *spsandbox.Server
	rbURL   string
	spURL   string
	dir     string
	addr    string
}

func newSandboxes(t *testing.T, prerequisites bool) *sandboxes {
	t.Helper()
	s := &sandboxes{t: t, cat: catalog.Generate(catalog.Config{Products: 10, Locations: 2, Seed: 7}), dir: t.TempDir(), addr: freeAddr(t)}
	s.rb = rbsandbox.New(rbsandbox.Options{Catalog: s.cat, Tokens: []string{rbToken}, RequestsPerMinute: -1, Prerequisites: prerequisites, Seed: 7})
	s.shopify = spsandbox.New(spsandbox.Options{Catalog: s.cat, AccessTokens: []string{shopifyToken}, ClientSecret: shopifySec, Seed: 7})
	rb, sp := httptest.NewServer(s.rb), httptest.NewServer(s.shopify)
	t.Cleanup(func() { rb.Close(); sp.Close(); s.rb.Close(); s.shopify.Close() })
	s.rbURL, s.spURL = rb.URL, sp.URL
	if r := run(t, nil, "plugins", "install", connectors["shopify"], "--plugins-dir", filepath.Join(s.dir, "plugins"), "--lock", filepath.Join(s.dir, "shopbridge.lock")); r.code != 0 {
		t.Fatalf("install the shopify connector: %+v", r)
	}
	return s
}

const ordersBlock = `{enabled: true, trigger: paid, state: ready_to_ship, numbering: rackbeat, payment_terms: 3, language: en, customer_group: 1, vat_zone: domestic, currency: SEK, employee: 2, shipping_product: frakt, pull_every: 1h}`

// config writes a configuration with the given links block and returns its
// path.
func (s *sandboxes) config(links string) string {
	return writeFile(s.t, filepath.Join(s.dir, "shopbridge.yaml"), fmt.Sprintf(`
state: {driver: sqlite, path: %q}
server: {listen: %q, public_url: "http://%s"}
plugins: {dir: %q, lock: %q}
rackbeat: {url: %q, token: "${RB_TOKEN}"}
log: {level: info, format: text}
links:%s`, filepath.Join(s.dir, "state.db"), s.addr, s.addr, filepath.Join(s.dir, "plugins"), filepath.Join(s.dir, "shopbridge.lock"), s.rbURL+"/api", links))
}

func (s *sandboxes) tokenLink(id, extra string) string {
	return fmt.Sprintf(`
  - id: %s
    connector: shopify@^1.0
    settings: {shop: demo.myshopify.com, access_token: "${SHOPIFY_TOKEN}", client_secret: "${SHOPIFY_SECRET}", base_url: %q}
    orders: %s%s
`, id, s.spURL, ordersBlock, extra)
}

func (s *sandboxes) sku(i int) string { return s.cat.Products[i].Variants[0].SKU }

func noSecrets(t *testing.T, r result) {
	t.Helper()
	for _, secret := range []string{rbToken, shopifyToken, shopifySec, stateKey} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("output shows a secret:\n%s%s", r.stdout, r.stderr)
		}
	}
}

func TestCheckWithoutPrerequisitesFails(t *testing.T) {
	s := newSandboxes(t, false)
	cfg := s.config(s.tokenLink("webshop", "\n    products: {uid_field: 9001, variation_field: 9002}") + `
  - id: pos
    connector: shopbox@^1.0
    settings: {email: a@b.c}
    orders: ` + ordersBlock + "\n")
	r := run(t, sandboxEnv, "check", "-c", cfg)
	t.Logf("check:\n%s%s", r.stdout, r.stderr)
	noSecrets(t, r)
	if r.code == 0 {
		t.Fatalf("check against a Rackbeat without the prerequisites exited 0:\n%s", r.stdout)
	}
	lines := strings.Split(r.stdout, "\n")
	if !strings.HasPrefix(lines[0], "✓ Rackbeat account") {
		t.Errorf("the first line is not the Rackbeat account: %q", lines[0])
	}
	want := []string{"✗ Shopbox UID field (products.uid_field)", "✗ Shopbox variation field (products.variation_field)", "✗ connector shopbox@^1.0"}
	for _, w := range want {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("no line %q in:\n%s", w, r.stdout)
		}
	}
	for _, l := range lines {
		if l != "" && !strings.HasPrefix(strings.TrimSpace(l), "✓") && !strings.HasPrefix(strings.TrimSpace(l), "✗") && !strings.HasPrefix(l, "link ") {
			t.Errorf("a line that is neither a finding nor a link heading: %q", l)
		}
	}
	if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 || !strings.Contains(r.stderr, "fix the ✗ lines") {
		t.Errorf("stderr is not one line saying what to do: %q", r.stderr)
	}

	// One link at a time, and an unknown link is named.
	r = run(t, sandboxEnv, "check", "--link", "webshop", "-c", cfg)
	if strings.Contains(r.stdout, "shopbox") {
		t.Errorf("check --link webshop also checked pos:\n%s", r.stdout)
	}
	r = run(t, sandboxEnv, "check", "--link", "nope", "-c", cfg)
	if r.code == 0 || !strings.Contains(r.stderr, `"nope"`) || !strings.Contains(r.stderr, "webshop") {
		t.Errorf("check of an unknown link: %+v", r)
	}
}

func TestCheckWithPrerequisitesPasses(t *testing.T) {
	s := newSandboxes(t, true)
	cfg := s.config(s.tokenLink("webshop", ""))
	r := run(t, sandboxEnv, "check", "-c", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "all prerequisites in place") {
		t.Fatalf("check against a prepared Rackbeat: %+v", r)
	}
}

var rackbeatOrder = regexp.MustCompile(`Rackbeat order (\d+)`)

func TestOrdersImportQuarantineAndStatus(t *testing.T) {
	s := newSandboxes(t, true)
	cfg := s.config(s.tokenLink("webshop", ""))
	paid, err := s.shopify.PlaceOrder(spsandbox.OrderInput{Email: "kund@example.se", FirstName: "Karin", LastName: "Kund", FinancialStatus: "paid",
		Lines: []spsandbox.OrderLine{{SKU: s.sku(0), Quantity: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	unpaid, err := s.shopify.PlaceOrder(spsandbox.OrderInput{Email: "ny@example.se", Lines: []spsandbox.OrderLine{{SKU: s.sku(1), Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	imp := func(args ...string) result {
		r := run(t, sandboxEnv, append([]string{"orders", "import", "--link", "webshop", "-c", cfg}, args...)...)
		noSecrets(t, r)
		return r
	}

	r := imp("--id", paid)
	m := rackbeatOrder.FindStringSubmatch(r.stdout)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "imported as Rackbeat order ") || m == nil {
		t.Fatalf("first import: %+v", r)
	}
	first := m[1]
	r = imp("--id", paid)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "already imported as Rackbeat order "+first+" (use --force to import it again; that creates a duplicate)" {
		t.Errorf("second import: %+v", r)
	}
	if n := len(s.rb.Orders()); n != 1 {
		t.Errorf("Rackbeat has %d orders after importing one twice, want 1", n)
	}
	r = imp("--id", paid, "--force")
	if m := rackbeatOrder.FindStringSubmatch(r.stdout); r.code != 0 || m == nil || m[1] == first {
		t.Errorf("forced import: %+v", r)
	}
	if n := len(s.rb.Orders()); n != 2 {
		t.Errorf("Rackbeat has %d orders after a forced import, want 2", n)
	}
	r = imp("--id", unpaid)
	if r.code != 1 || !strings.HasPrefix(r.stdout, "not yet: ") {
		t.Errorf("import of an unpaid order on a link triggered on paid: %+v", r)
	}
	r = imp("--id", "999999")
	if r.code != 1 || !strings.HasPrefix(r.stdout, "quarantined: ") || !strings.Contains(r.stdout, "999999") {
		t.Errorf("import of an order the channel does not have: %+v", r)
	}

	// The quarantine shows the item without its payload.
	r = run(t, sandboxEnv, "quarantine", "list", "-c", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "999999") || !strings.Contains(r.stdout, "webshop") || !strings.Contains(r.stdout, "REASON") {
		t.Fatalf("quarantine list: %+v", r)
	}
	r = run(t, sandboxEnv, "quarantine", "list", "--json", "--link", "webshop", "-c", cfg)
	var items []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &items); err != nil || len(items) != 1 {
		t.Fatalf("quarantine list --json: %v %+v", err, r)
	}
	for _, k := range []string{"id", "link", "flow", "key", "attempts", "age_seconds", "reason"} {
		if _, ok := items[0][k]; !ok {
			t.Errorf("quarantine list --json has no %q: %v", k, items[0])
		}
	}
	if _, ok := items[0]["payload"]; ok {
		t.Errorf("quarantine list --json shows the payload")
	}
	id := strconv.Itoa(int(items[0]["id"].(float64)))

	r = run(t, sandboxEnv, "status", "-c", cfg)
	t.Logf("status:\n%s", r.stdout)
	if r.code != 0 || !strings.Contains(r.stdout, "link webshop: shopify@^1.0, running 1.") || !strings.Contains(r.stdout, "quarantine: 1 item(s) (webshop 1)") ||
		!strings.Contains(r.stdout, "host: not running") || !strings.Contains(r.stdout, "orders") {
		t.Errorf("status: %+v", r)
	}
	noSecrets(t, r)

	// Retry queues it for the running host; the quarantine is empty then.
	r = run(t, sandboxEnv, "quarantine", "retry", id, "-c", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "queued again") || !strings.Contains(r.stdout, "running host") {
		t.Errorf("quarantine retry: %+v", r)
	}
	r = run(t, sandboxEnv, "status", "--json", "-c", cfg)
	var st statusReport
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, r.stdout)
	}
	if st.Quarantine.Total != 0 || st.Queue["orders.import"] != 1 {
		t.Errorf("after retry: quarantine %d, queue %v; want 0 and one orders.import", st.Quarantine.Total, st.Queue)
	}
	if len(st.Links) != 1 || st.Links[0].Version == "" || len(st.Links[0].Flows) == 0 {
		t.Errorf("status --json links: %+v", st.Links)
	}

	// Drop: the item comes back on the next failed import, and goes.
	imp("--id", "999999")
	r = run(t, sandboxEnv, "quarantine", "list", "--json", "-c", cfg)
	items = nil
	_ = json.Unmarshal([]byte(r.stdout), &items)
	if len(items) != 1 {
		t.Fatalf("quarantine after a second failed import: %s", r.stdout)
	}
	id = strconv.Itoa(int(items[0]["id"].(float64)))
	if r := run(t, sandboxEnv, "quarantine", "drop", id, "-c", cfg); r.code != 0 || !strings.Contains(r.stdout, "dropped") {
		t.Errorf("quarantine drop: %+v", r)
	}
	for _, args := range [][]string{{"drop", id}, {"retry", id}, {"drop", "x"}} {
		r := run(t, sandboxEnv, append(append([]string{"quarantine"}, args...), "-c", cfg)...)
		if r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "quarantine list") {
			t.Errorf("quarantine %v of a missing item: %+v, want one line pointing at quarantine list", args, r)
		}
	}
}

// host is a `shopbridge run` subprocess.
type hostProc struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

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

func startHost(t *testing.T, cfgPath, addr string, env []string) *hostProc {
	t.Helper()
	cmd := exec.Command(shopbridge, "run", "-c", cfgPath)
	cmd.Env = append(os.Environ(), env...)
	h := &hostProc{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = h.logs, h.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { h.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	eventually(t, "host ready", 60*time.Second, func() bool {
		select {
		case err := <-h.done:
			t.Fatalf("run exited early (%v):\n%s", err, h.logs.String())
		default:
		}
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return h
}

// eventually polls cond; it bounds waiting and asserts no timing.
func eventually(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestConnectInstallsThroughOAuthAndRefreshes(t *testing.T) {
	s := newSandboxes(t, true)
	cfg := s.config(fmt.Sprintf(`
  - id: shop
    connector: shopify@^1.0
    settings: {shop: demo.myshopify.com, client_id: sandbox-client-id, client_secret: "${SHOPIFY_SECRET}", base_url: %q}
    orders: %s
`, s.spURL, ordersBlock))
	startHost(t, cfg, s.addr, sandboxEnv)

	// Before the install the link cannot read the shop.
	order, err := s.shopify.PlaceOrder(spsandbox.OrderInput{Email: "oauth@example.se", FinancialStatus: "paid", Lines: []spsandbox.OrderLine{{SKU: s.sku(0), Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, sandboxEnv, "orders", "import", "--link", "shop", "--id", order, "-c", cfg); r.code == 0 {
		t.Fatalf("a link without a token imported an order: %+v", r)
	}

	cmd := exec.Command(shopbridge, "connect", "--link", "shop", "--wait", "60s", "-c", cfg)
	cmd.Env = append(os.Environ(), sandboxEnv...)
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	out := &syncBuffer{}
	sc := bufio.NewScanner(io.TeeReader(stdout, out))
	var authorize *url.URL
	for authorize == nil && sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.HasPrefix(l, s.spURL+"/admin/oauth/authorize?") {
			authorize, _ = url.Parse(l)
		}
	}
	if authorize == nil {
		t.Fatalf("connect printed no authorize URL:\n%s\n%s", out.String(), stderr.String())
	}
	drained := make(chan struct{})
	go func() {
		for sc.Scan() {
		}
		close(drained)
	}()
	q := authorize.Query()
	if want := "http://" + s.addr + "/oauth/callback/shop"; q.Get("redirect_uri") != want {
		t.Errorf("redirect_uri %q, want %q", q.Get("redirect_uri"), want)
	}
	get := func(u string) (int, string) {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	// A callback with another state is refused and does not spoil the install.
	forged, err := s.shopify.Approve(q.Get("client_id"), q.Get("scope"), q.Get("redirect_uri"), "forged-state")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(forged); code != http.StatusForbidden || !strings.Contains(body, "Not connected") {
		t.Errorf("callback with a forged state: %d %s", code, body)
	}

	// The merchant approves; the browser lands on the running host.
	back, err := s.shopify.Approve(q.Get("client_id"), q.Get("scope"), q.Get("redirect_uri"), q.Get("state"))
	if err != nil {
		t.Fatal(err)
	}
	if code, body := get(back); code != http.StatusOK || !strings.Contains(body, "Connected") {
		t.Fatalf("callback: %d %s", code, body)
	}
	<-drained
	if err := cmd.Wait(); err != nil || !strings.Contains(out.String(), "connected: link shop") {
		t.Fatalf("connect did not report the install (%v):\n%s\n%s", err, out.String(), stderr.String())
	}
	// The same callback again is refused: a state is good once.
	if code, _ := get(back); code != http.StatusForbidden {
		t.Errorf("a replayed callback answered %d, want 403", code)
	}

	// The token is stored encrypted: readable with the key, absent from the
	// database files as plaintext.
	token := storedToken(t, s.dir)
	assertNotInFiles(t, s.dir, token)

	// The link works with it, in another process that reads it from the store.
	// The running host may import the order itself first (its webhook
	// arrives too), with the same stored token; either way it is in Rackbeat.
	r := run(t, sandboxEnv, "orders", "import", "--link", "shop", "--id", order, "-c", cfg)
	if r.code != 0 || !(strings.HasPrefix(r.stdout, "imported as Rackbeat order") || strings.HasPrefix(r.stdout, "already imported as Rackbeat order")) {
		t.Fatalf("import with the installed token: %+v", r)
	}
	noSecrets(t, r)

	// A refresh replaces the token, and the link works with the new one.
	r = run(t, sandboxEnv, "connect", "--refresh", "--link", "shop", "-c", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "refreshed") {
		t.Fatalf("connect --refresh: %+v", r)
	}
	if again := storedToken(t, s.dir); again == token || again == "" {
		t.Errorf("refresh did not replace the stored token")
	} else {
		assertNotInFiles(t, s.dir, again)
	}
	second, _ := s.shopify.PlaceOrder(spsandbox.OrderInput{Email: "oauth@example.se", FinancialStatus: "paid", Lines: []spsandbox.OrderLine{{SKU: s.sku(1), Quantity: 1}}})
	if r := run(t, sandboxEnv, "orders", "import", "--link", "shop", "--id", second, "-c", cfg); r.code != 0 {
		t.Errorf("import with the refreshed token: %+v", r)
	}
	r = run(t, sandboxEnv, "status", "-c", cfg)
	if !strings.Contains(r.stdout, "credentials: stored, expire") {
		t.Errorf("status does not show the stored credentials:\n%s", r.stdout)
	}
	noSecrets(t, r)
}

func storedToken(t *testing.T, dir string) string {
	t.Helper()
	t.Setenv(state.SecretKeyEnv, stateKey)
	db, err := state.Open(context.Background(), state.Options{Driver: "sqlite", Path: filepath.Join(dir, "state.db"), Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sec, ok, err := db.GetSecret(context.Background(), "shop", "credentials")
	if err != nil || !ok {
		t.Fatalf("no stored credentials (%v)", err)
	}
	var c struct{ AccessToken, RefreshToken string }
	if err := json.Unmarshal([]byte(sec.Value), &c); err != nil || c.AccessToken == "" || c.RefreshToken == "" {
		t.Fatalf("stored credentials lack a token: %v", err)
	}
	return c.AccessToken
}

func assertNotInFiles(t *testing.T, dir, secret string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "state.db*"))
	if len(files) == 0 {
		t.Fatal("no state database files")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the access token in plaintext", f)
		}
	}
}
