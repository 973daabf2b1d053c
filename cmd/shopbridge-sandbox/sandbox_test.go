package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer collects stderr from the running sandbox without racing the test.
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

// startInProcess runs the command's main logic and returns what it printed.
func startInProcess(t *testing.T, args ...string) (Info, *syncBuffer, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	stderr := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"--json"}, args...), pw, stderr, nil)
		_ = pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadBytes('\n')
	if err != nil {
		cancel()
		t.Fatalf("no JSON line from the sandbox: %v; stderr: %s", err, stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	var info Info
	if err := json.Unmarshal(line, &info); err != nil {
		cancel()
		t.Fatalf("--json printed %q: %v", line, err)
	}
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("sandbox did not stop within 30 s of cancellation")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return info, stderr, stop
}

func call(t *testing.T, method, url string, hdr map[string]string, body string) (int, map[string]any, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m, raw
}

// checkPrintedCredentials uses only what the sandbox printed to reach real-looking data on every service.
func checkPrintedCredentials(t *testing.T, info Info) {
	t.Helper()
	rb := info.Rackbeat
	code, m, raw := call(t, "GET", rb.BaseURL+"/products?limit=2", map[string]string{"Authorization": "Bearer " + rb.Token, "Accept": "application/json"}, "")
	if code != 206 || int(m["total"].(float64)) != info.SKUs {
		t.Fatalf("rackbeat products: %d %.300s", code, raw)
	}
	if code, _, _ := call(t, "GET", rb.BaseURL+"/products", nil, ""); code != 401 {
		t.Fatalf("rackbeat without token: %d", code)
	}

	sp := info.Shopify
	code, m, raw = call(t, "POST", sp.GraphQLURL, map[string]string{"X-Shopify-Access-Token": sp.AccessToken, "Content-Type": "application/json"},
		`{"query":"{ products(first: 2) { nodes { title variants(first: 3) { nodes { sku } } } } }"}`)
	if code != 200 || m["data"] == nil || !bytes.Contains(raw, []byte(`"sku":"P-`)) {
		t.Fatalf("shopify products: %d %.300s", code, raw)
	}

	sb := info.Shopbox
	code, m, raw = call(t, "POST", sb.BaseURL+"/authenticate/credentials", map[string]string{"Content-Type": "application/json"},
		`{"username":"`+sb.Email+`","password":"`+sb.Password+`","remember_me":null}`)
	tok, _ := m["accessToken"].(string)
	if code != 200 || tok == "" {
		t.Fatalf("shopbox login: %d %.300s", code, raw)
	}
	code, m, raw = call(t, "GET", sb.BaseURL+"/products?per-page=2&accessToken="+tok+"&client=1", nil, "")
	if code != 200 || len(m["data"].([]any)) != 2 {
		t.Fatalf("shopbox products: %d %.300s", code, raw)
	}
	if code, _, raw := call(t, "GET", sb.BaseURL+"/branches?api-token="+sb.APIToken+"&client=1", nil, ""); code != 200 {
		t.Fatalf("shopbox api token: %d %.300s", code, raw)
	}
	for _, u := range []string{rb.ControlURL + "/state", sp.ControlURL + "/state", sb.ControlURL + "/state"} {
		if code, _, _ := call(t, "GET", u, nil, ""); code != 200 {
			t.Fatalf("control %s answered %d", u, code)
		}
	}
}

func TestSandboxServesPrintedURLsWithPrintedCredentials(t *testing.T) {
	info, _, stop := startInProcess(t, "--products", "50", "--variants-per-product", "1..3", "--locations", "3", "--seed", "7")
	if info.Products != 50 || info.Locations != 3 || info.SKUs < 50 {
		t.Fatalf("info %+v", info)
	}
	checkPrintedCredentials(t, info)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestOrdersAndStockOnATimerAndStateRoundTrip(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	info, stderr, stop := startInProcess(t, "--products", "30", "--orders-every", "20ms", "--stock-every", "20ms", "--state", state)
	deadline := time.Now().Add(20 * time.Second)
	for !(strings.Contains(stderr.String(), "shopify: placed order") && strings.Contains(stderr.String(), "shopbox: placed sale") &&
		strings.Contains(stderr.String(), "rackbeat: stock of")) {
		if time.Now().After(deadline) {
			t.Fatalf("no orders or stock moves; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, _, before := call(t, "GET", info.Shopify.ControlURL+"/orders", nil, "")
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("state not saved: %v", err)
	}
	// A restart from the state file has the orders placed before.
	info2, _, stop2 := startInProcess(t, "--products", "30", "--state", state)
	var orders, ordersAfter []any
	_ = json.Unmarshal(before, &orders)
	_, _, after := call(t, "GET", info2.Shopify.ControlURL+"/orders", nil, "")
	_ = json.Unmarshal(after, &ordersAfter)
	if len(orders) == 0 || len(ordersAfter) < len(orders) {
		t.Fatalf("orders before %d, after restart %d", len(orders), len(ordersAfter))
	}
	if err := stop2(); err != nil {
		t.Fatal(err)
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"--variants-per-product", "3..1"}, {"--variants-per-product", "x"}, {"--locations", "0"}, {"stray"}, {"--nope"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	c, err := parseFlags([]string{"--variants-per-product", "2"}, io.Discard)
	if err != nil || c.minVariants != 2 || c.maxVariants != 2 || c.products != 1000 || c.locations != 2 || c.seed != 42 {
		t.Fatalf("%+v %v", c, err)
	}
}

// TestBinary builds the command and runs it as a user would, reading the
// printed JSON and calling each service with the printed credentials.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "shopbridge-sandbox")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--products", "1000", "--json")
	stdout, _ := cmd.StdoutPipe()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		t.Fatalf("no output: %v; stderr %s", err, stderr.String())
	}
	var info Info
	if err := json.Unmarshal(line, &info); err != nil {
		t.Fatal(err)
	}
	checkPrintedCredentials(t, info)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v; stderr %s", err, stderr.String())
	}
}

func TestTextBlockNamesEveryCredential(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--products", "5", "--prerequisites"}, &out, io.Discard, func(Info) { cancel() })
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{"Rackbeat", "Bearer", "Shopify", "X-Shopify-Access-Token", "demo.myshopify.com", "client secret",
		"Shopbox", "sandbox@shopbox.test", "password", "api token", "push secret", "Shopbox UID felt ID", "Ctrl-C"} {
		if !strings.Contains(text, want) {
			t.Errorf("text block lacks %q:\n%s", want, text)
		}
	}
}
