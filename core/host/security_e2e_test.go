package host_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/shopbridge/shopbridge/core/plugin"
	spsandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
)

// post sends a webhook-like request to the running host.
func (w *world) post(t *testing.T, path string, hdr http.Header, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+w.addr+path, strings.NewReader(string(body)))
	for k, v := range hdr {
		req.Header[k] = append([]string(nil), v...)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// metric reads one sample of /metrics, or "" when it is absent.
func (w *world) metric(t *testing.T, series string) string {
	t.Helper()
	for _, l := range strings.Split(w.get(t, "/metrics"), "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			return v
		}
	}
	return ""
}

// TestSecurityWebhookSignaturesAndBodyCap sends the host forged, unsigned,
// tampered and replayed webhooks, and bodies over the cap: the forged ones
// are refused with 401 and counted on /metrics, a replay changes nothing,
// a big body gets 413, and nothing of it reaches Rackbeat.
func TestSecurityWebhookSignaturesAndBodyCap(t *testing.T) {
	w := newWorld(t, 10)
	w.startWith(hostSetup{Server: "max_body_bytes: 65536"},
		w.shopifyLink("shop", orders("trigger", "created"), "", "enabled: true, locations: all"))
	id, err := w.shopify.PlaceOrder(spsandbox.OrderInput{Email: "a@example.se", FinancialStatus: "paid", Lines: []spsandbox.OrderLine{{SKU: w.sku(1), Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	w.eventually("the genuine order in Rackbeat", 60*time.Second, func() bool { return len(w.ordersWithReference("shopbridge:shop:"+id)) == 1 })
	_ = w.shopify.Webhooks().Flush(context.Background())
	var genuine *struct {
		hdr  http.Header
		body []byte
	}
	for _, a := range w.shopify.Webhooks().Log() {
		if a.OK() && a.Header.Get("X-Shopify-Topic") == spsandbox.TopicOrdersCreate {
			genuine = &struct {
				hdr  http.Header
				body []byte
			}{a.Header, a.Body}
		}
	}
	if genuine == nil {
		t.Fatal("the sandbox delivered no orders/create webhook")
	}
	// A second order that exists only in the forged deliveries' bodies:
	// if any forged delivery got through, it would be imported.
	other, err := w.shopify.PlaceOrder(spsandbox.OrderInput{Email: "b@example.se", FinancialStatus: "pending", Lines: []spsandbox.OrderLine{{SKU: w.sku(2), Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = other
	forgedBody := []byte(strings.Replace(string(genuine.body), "a@example.se", "mallory@example.se", 1))
	with := func(mut func(h http.Header)) http.Header {
		h := genuine.hdr.Clone()
		h.Set("X-Shopify-Webhook-Id", fmt.Sprintf("forged-%d", time.Now().UnixNano()))
		mut(h)
		return h
	}
	refusals := []struct {
		name string
		hdr  http.Header
		body []byte
	}{
		{"missing signature", with(func(h http.Header) { h.Del("X-Shopify-Hmac-Sha256") }), genuine.body},
		{"signed with another secret", with(func(h http.Header) { h.Set("X-Shopify-Hmac-Sha256", spsandbox.Sign("not-the-secret", forgedBody)) }), forgedBody},
		{"tampered body, genuine signature", with(func(h http.Header) {}), forgedBody},
		{"garbage signature", with(func(h http.Header) { h.Set("X-Shopify-Hmac-Sha256", "%%%not-base64") }), genuine.body},
		{"genuine signature of another shop", with(func(h http.Header) { h.Set("X-Shopify-Shop-Domain", "evil.myshopify.com") }), genuine.body},
	}
	for _, r := range refusals {
		if code := w.post(t, "/hooks/shop", r.hdr, r.body); code != http.StatusUnauthorized {
			t.Errorf("%s: answered %d, want 401", r.name, code)
		}
	}
	for _, tok := range []string{"", "wrong-token"} {
		h := http.Header{"Content-Type": {"application/json"}, "Rackbeat-Webhook-Event": {"inventory.changed"}}
		if tok != "" {
			h.Set("Rackbeat-Webhook-Token", tok)
		}
		if code := w.post(t, "/hooks/rackbeat", h, []byte(`{"key":"`+w.sku(1)+`","key_name":"number","event":"inventory.changed"}`)); code != http.StatusUnauthorized {
			t.Errorf("Rackbeat webhook with token %q: answered %d, want 401", tok, code)
		}
	}
	if got := w.metric(t, `shopbridge_webhook_signature_failures_total{source="link:shop"}`); got != fmt.Sprint(len(refusals)) {
		t.Errorf("signature failures counted for link:shop: %q, want %d", got, len(refusals))
	}
	if got := w.metric(t, `shopbridge_webhook_signature_failures_total{source="rackbeat"}`); got != "2" {
		t.Errorf("signature failures counted for rackbeat: %q, want 2", got)
	}

	// A replay of the genuine delivery, as sent (same delivery id) and with
	// a new id (Shopify's HMAC covers only the body): acknowledged, so a
	// sender stops, and absorbed by the delivery log and the unique order
	// binding.
	for i := 0; i < 3; i++ {
		if code := w.post(t, "/hooks/shop", genuine.hdr, genuine.body); code/100 != 2 {
			t.Errorf("replay %d: answered %d", i, code)
		}
	}
	replay := genuine.hdr.Clone()
	replay.Set("X-Shopify-Webhook-Id", "replayed-with-a-new-id")
	if code := w.post(t, "/hooks/shop", replay, genuine.body); code/100 != 2 {
		t.Errorf("replay with a new id: answered %d", code)
	}

	big := make([]byte, 70_000)
	for i := range big {
		big[i] = 'x'
	}
	for _, path := range []string{"/hooks/shop", "/hooks/rackbeat"} {
		h := genuine.hdr.Clone()
		h.Set("X-Shopify-Hmac-Sha256", spsandbox.Sign(shopifySec, big))
		if code := w.post(t, path, h, big); code != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with a 70 kB body: %d, want 413", path, code)
		}
	}
	time.Sleep(time.Second) // give a wrongly accepted delivery time to land
	if n := len(w.ordersWithReference("shopbridge:shop:" + id)); n != 1 {
		t.Errorf("after the replays the order is in Rackbeat %d times", n)
	}
	for _, c := range w.rb.Customers() {
		if c.ContactEmail == "mallory@example.se" {
			t.Errorf("a forged body reached Rackbeat: customer %+v", c)
		}
	}
}

// unixSockets lists the paths of the Unix sockets a process holds open.
func unixSockets(t *testing.T, pid int) []string {
	t.Helper()
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/net/unix", pid))
	if err != nil {
		t.Skipf("no /proc/net/unix: %v", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 8 && inodes[fields[6]] && strings.HasPrefix(fields[7], "/") {
			out = append(out, fields[7])
		}
	}
	return out
}

// selfSignedCert is a client certificate nobody trusts.
func selfSignedCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestSecurityConnectorAutoMTLS finds the socket a running connector
// process serves gRPC on and talks to it as a stranger would: in plain
// text, over TLS without a client certificate, and with a certificate the
// host did not issue. Every attempt must fail, while the host's own calls
// keep working.
func TestSecurityConnectorAutoMTLS(t *testing.T) {
	w := newWorld(t, 5)
	w.startWith(hostSetup{}, w.shopifyLink("shop", orders("enabled", "false"), "", ""))
	procs := w.host.Plugins().Processes()
	if len(procs) != 1 || procs[0].PID == 0 {
		t.Fatalf("want one running connector process, got %+v", procs)
	}
	socks := unixSockets(t, procs[0].PID)
	if len(socks) == 0 {
		t.Fatalf("connector process %d holds no Unix socket", procs[0].PID)
	}
	probe := func(creds credentials.TransportCredentials) error {
		conn, err := grpc.NewClient("unix://"+socks[0], grpc.WithTransportCredentials(creds))
		if err != nil {
			return err
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "plugin"})
		return err
	}
	cases := map[string]credentials.TransportCredentials{
		"plain text":                   insecure.NewCredentials(),
		"TLS without a client cert":    credentials.NewTLS(&tls.Config{InsecureSkipVerify: true}), //nolint:gosec // a stranger's client
		"TLS with a stranger's cert":   credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, Certificates: []tls.Certificate{selfSignedCert(t)}}),
		"TLS verifying the server too": credentials.NewTLS(&tls.Config{ServerName: "localhost", Certificates: []tls.Certificate{selfSignedCert(t)}}),
	}
	for name, creds := range cases {
		if err := probe(creds); err == nil {
			t.Errorf("%s: the connector at %s answered a process that is not its host", name, socks[0])
		}
	}
	// The host's own channel still works: the link checks out.
	l, err := w.host.OpenLink(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Connector().ListLocations(context.Background()); err != nil {
		t.Errorf("the host's own call failed after the probes: %v", err)
	}
}

// TestSecurityTamperedConnectorNeverRuns installs a connector, swaps its
// binary for a script that would leave a mark if it ever ran, and starts a
// host process: the link stays closed, /readyz says why, the script never
// runs, and the other link runs.
func TestSecurityTamperedConnectorNeverRuns(t *testing.T) {
	w := newWorld(t, 5)
	dir := t.TempDir()
	plugins, lock := filepath.Join(dir, "plugins"), filepath.Join(dir, "shopbridge.lock")
	// A copy of the installed connectors with their lock.
	ents, err := os.ReadDir(pluginsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		src := filepath.Join(pluginsDir, e.Name())
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(dir, e.Name())
		if err := os.WriteFile(tmp, b, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := plugin.Install(context.Background(), plugins, lock, tmp); err != nil {
			t.Fatal(err)
		}
	}
	marker := filepath.Join(dir, "tampered-binary-ran")
	var shopify string
	all, _ := os.ReadDir(plugins)
	for _, e := range all {
		if strings.Contains(e.Name(), "shopify") {
			shopify = filepath.Join(plugins, e.Name())
		}
	}
	if shopify == "" {
		t.Fatal("no installed Shopify connector")
	}
	if err := os.WriteFile(shopify, []byte("#!/bin/sh\ntouch "+marker+"\nsleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cfg := filepath.Join(dir, "shopbridge.yaml")
	yaml := fmt.Sprintf(`
state: {driver: sqlite, path: %q}
server: {listen: %q}
plugins: {dir: %q, lock: %q}
rackbeat: {url: %q, token: "${RACKBEAT_TOKEN}", requests_per_minute: 600000}
log: {level: debug, format: json}
links:%s%s`, filepath.Join(dir, "state.db"), addr, plugins, lock, w.urls["rackbeat"]+"/api",
		w.shopifyLink("shop", orders("enabled", "false"), "", ""), w.shopboxLink("pos", orders("currency", "NOK"), "", ""))
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	hp := newHostProcess(t, shopbridgeBinary(t), cfg, addr, map[string]string{"RACKBEAT_TOKEN": rbToken, "SHOPIFY_TOKEN": shopifyToken,
		"SHOPIFY_SECRET": shopifySec, "SHOPBOX_PASSWORD": shopboxPass, "SHOPBOX_PUSH": shopboxPush})
	hp.launch()
	var ready string
	w.eventually("/readyz naming the closed link", 60*time.Second, func() bool {
		res, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		ready = string(b)
		return res.StatusCode == http.StatusServiceUnavailable && strings.Contains(ready, "link shop is not open") && !strings.Contains(ready, "starting")
	})
	if strings.Contains(ready, "link pos") {
		t.Errorf("the untampered link did not open: %s", ready)
	}
	hp.stop()
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the tampered connector binary ran")
	}
	log, _ := os.ReadFile(hp.logPath)
	if !strings.Contains(string(log), "sha256") {
		t.Errorf("the log does not say the checksum did not match:\n%s", tail(string(log), 20))
	}
}

// TestSecuritySecretsNeverLeak runs a host process through a full day in
// miniature — orders, a quarantined order, stock, webhooks both ways, the
// status page and its actions — then greps everything an operator or an
// attacker could read for the configured secret values: the log (at debug
// level), the status page, /status.json, /metrics, the output of plan,
// status, quarantine list and check (also failing, with a wrong Rackbeat
// token), and the bytes of the SQLite file. The status page's actions must
// need the operator token.
func TestSecuritySecretsNeverLeak(t *testing.T) {
	w := newWorld(t, 10)
	const operator = "operator-secret-3f9a7c"
	stateKey := strings.Repeat("5e", 32)
	secrets := map[string]string{"rackbeat token": rbToken, "Shopify access token": shopifyToken, "Shopify client secret": shopifySec,
		"Shopbox password": shopboxPass, "Shopbox push secret": shopboxPush, "operator token": operator, "state key": stateKey}
	// The deleted product makes the order that uses it go to quarantine.
	req, _ := http.NewRequest(http.MethodDelete, w.urls["rackbeat"]+"/api/products/"+url.PathEscape(w.sku(7)), nil)
	req.Header.Set("Authorization", "Bearer "+rbToken)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode/100 != 2 {
		t.Fatalf("delete a Rackbeat product: %v %v", res, err)
	}

	dir := t.TempDir()
	addr := freeAddr(t)
	dbPath := filepath.Join(dir, "state.db")
	cfg := filepath.Join(dir, "shopbridge.yaml")
	yaml := fmt.Sprintf(`
state: {driver: sqlite, path: %q}
server: {listen: %q, public_url: "http://%s", operator_token: "${OPERATOR_TOKEN}"}
plugins: {dir: %q, lock: %q}
rackbeat: {url: %q, token: "${RACKBEAT_TOKEN}", requests_per_minute: 600000}
log: {level: debug, format: json}
links:%s%s`, dbPath, addr, addr, pluginsDir, lockFile, w.urls["rackbeat"]+"/api",
		w.shopifyLink("shop", orders("pull_every", "2s"), `direction: inventory, default_group: 1`, "enabled: true, locations: all, reconcile_every: 2s"),
		w.shopboxLink("pos", orders("currency", "NOK", "pull_every", "2s"), "", ""))
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"RACKBEAT_TOKEN": rbToken, "SHOPIFY_TOKEN": shopifyToken, "SHOPIFY_SECRET": shopifySec,
		"SHOPBOX_PASSWORD": shopboxPass, "SHOPBOX_PUSH": shopboxPush, "OPERATOR_TOKEN": operator, "SHOPBRIDGE_STATE_KEY": stateKey}
	hp := newHostProcess(t, shopbridgeBinary(t), cfg, addr, env)
	hp.start(60 * time.Second)
	w.addr = addr

	good, err := w.shopify.PlaceOrder(spsandbox.OrderInput{Email: "k@example.se", FinancialStatus: "paid", Lines: []spsandbox.OrderLine{{SKU: w.sku(1), Quantity: 2}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.shopify.PlaceOrder(spsandbox.OrderInput{Email: "q@example.se", FinancialStatus: "paid", Lines: []spsandbox.OrderLine{{SKU: w.sku(7), Quantity: 1}}}); err != nil {
		t.Fatal(err)
	}
	_ = w.rb.MoveStock(w.sku(3), w.cat.Locations[0].Number, 4)
	w.eventually("the good order imported and the bad one quarantined", 60*time.Second, func() bool {
		return len(w.ordersWithReference("shopbridge:shop:"+good)) == 1
	})
	var outputs = map[string]string{}

	// The status page: read-only without the token, actions refused.
	anon := w.get(t, "/")
	outputs["status page (anonymous)"] = anon
	var qid string
	w.eventually("the quarantined order on the status page", 60*time.Second, func() bool {
		page := authGet(t, addr, "/", operator)
		m := regexp.MustCompile(`/quarantine/(\d+)/retry`).FindStringSubmatch(page)
		if m != nil {
			qid = m[1]
			outputs["status page (operator)"] = page
		}
		return m != nil
	})
	for _, tok := range []string{"", "wrong-operator-token"} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/quarantine/"+qid+"/drop", strings.NewReader("csrf=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		outputs["refused action "+tok] = string(b)
		if res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusForbidden {
			t.Errorf("drop with token %q: %d, want 401 or 403", tok, res.StatusCode)
		}
	}
	if !strings.Contains(authGet(t, addr, "/", operator), "/quarantine/"+qid+"/retry") {
		t.Fatal("a refused action changed the quarantine")
	}
	// The operator logs in and drops the item through the page's form.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	res, err := browser.PostForm("http://"+addr+"/login", url.Values{"token": {operator}})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	res, err = browser.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("the logged-in page has no CSRF token:\n%s", page)
	}
	res, err = browser.PostForm("http://"+addr+"/quarantine/"+qid+"/drop", url.Values{"csrf": {string(m[1])}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	outputs["status page after drop"] = string(page)
	if strings.Contains(authGet(t, addr, "/", operator), "/quarantine/"+qid+"/retry") {
		t.Errorf("the operator's drop (status %d) left the item in quarantine", res.StatusCode)
	}
	outputs["/status.json"] = authGet(t, addr, "/status.json", operator)
	outputs["/metrics"] = w.get(t, "/metrics")
	outputs["/readyz"] = w.get(t, "/readyz")
	hp.stop()

	run := func(name string, extraEnv map[string]string, args ...string) {
		cmd := exec.Command(shopbridgeBinary(t), args...)
		cmd.Env = os.Environ()
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		for k, v := range extraEnv {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		out, _ := cmd.CombinedOutput()
		outputs[name] = string(out)
	}
	run("plan", nil, "plan", "-c", cfg, "--link", "shop")
	run("plan --json", nil, "plan", "-c", cfg, "--link", "shop", "--json")
	run("status", nil, "status", "-c", cfg)
	run("quarantine list", nil, "quarantine", "list", "-c", cfg)
	run("check", nil, "check", "-c", cfg)
	run("validate", nil, "validate", "-c", cfg)
	const wrong = "wrong-rackbeat-token-77d1"
	run("check with a wrong Rackbeat token", map[string]string{"RACKBEAT_TOKEN": wrong}, "check", "-c", cfg)
	run("orders import with a wrong Rackbeat token", map[string]string{"RACKBEAT_TOKEN": wrong}, "--verbose", "orders", "import", "-c", cfg, "--link", "shop", "--id", good)
	secrets["wrong Rackbeat token"] = wrong
	if !strings.Contains(outputs["plan"], "shop") {
		t.Errorf("plan printed nothing useful:\n%s", outputs["plan"])
	}

	log, _ := os.ReadFile(hp.logPath)
	outputs["host log"] = string(log)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if b, err := os.ReadFile(dbPath + suffix); err == nil {
			outputs["state database "+filepath.Base(dbPath+suffix)] = string(b)
		}
	}
	// The webhook token Rackbeat issued the host is a secret too.
	for i, wh := range w.rb.Webhooks() {
		if wh.Token != "" {
			secrets[fmt.Sprintf("Rackbeat webhook token %d", i)] = wh.Token
		}
	}
	if len(outputs["host log"]) < 1000 || len(outputs["state database state.db"]) == 0 {
		t.Fatalf("too little to grep: log %d bytes, database %d bytes", len(outputs["host log"]), len(outputs["state database state.db"]))
	}
	sizes := map[string]int{}
	for what, out := range outputs {
		sizes[what] = len(out)
	}
	t.Logf("grepped %d outputs for %d secrets: %v", len(outputs), len(secrets), sizes)
	for what, out := range outputs {
		for name, s := range secrets {
			if strings.Contains(out, s) || strings.Contains(out, hex.EncodeToString([]byte(s))) {
				i := strings.Index(out, s)
				ctx := ""
				if i >= 0 {
					ctx = out[max(0, i-120):min(len(out), i+len(s)+40)]
				}
				t.Errorf("the %s appears in %s: …%s…", name, what, ctx)
			}
		}
	}
}

func authGet(t *testing.T, addr, path, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}
