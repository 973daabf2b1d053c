package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var (
	shopbridge string
	connectors = map[string]string{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "shopbridge-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	build := func(out string, args ...string) {
		cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building", out, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	shopbridge = filepath.Join(dir, "shopbridge")
	build(shopbridge, "-ldflags", "-X main.version=9.9.9", ".")
	pkg := "github.com/shopbridge/shopbridge/sdk/internal/testconnector"
	for _, v := range []string{"1.0.0", "1.1.0"} {
		connectors[v] = filepath.Join(dir, "connector-"+v)
		build(connectors[v], "-ldflags", "-X "+pkg+".Version="+v, pkg+"/cmd/shopbridge-connector-test")
	}
	connectors["shopify"] = filepath.Join(dir, "shopbridge-connector-shopify")
	build(connectors["shopify"], "github.com/shopbridge/shopbridge/plugins/shopify/cmd/shopbridge-connector-shopify")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(shopbridge, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const goodConfig = `
rackbeat: {token: "${RB_TOKEN}"}
server: {listen: "%s"}
plugins: {dir: ./plugins, lock: ./shopbridge.lock}
log: {level: info, format: text}
links:
  - id: webshop
    connector: test@^1.0
    settings: {shop: demo, token: "${TEST_TOKEN}"}
    orders: {payment_terms: 1, customer_group: 1, employee: 1}
`

var testEnv = []string{"RB_TOKEN=rb-secret", "TEST_TOKEN=test-secret"}

func TestVersion(t *testing.T) {
	r := run(t, nil, "version")
	if r.code != 0 || !strings.Contains(r.stdout, "shopbridge 9.9.9") || !strings.Contains(r.stdout, "protocol 1") {
		t.Fatalf("version: %+v", r)
	}
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "good.yaml"), fmt.Sprintf(goodConfig, "127.0.0.1:8080"))
	if r := run(t, testEnv, "validate", "-c", good); r.code != 0 {
		t.Fatalf("validate of a good config: %+v", r)
	}
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), `
rackbeat: {tokn: x}
links:
  - id: webshop
    connector: test@^1
    orders: {numbering: sometimes, payment_terms: 1, customer_group: 1, employee: 1}
`)
	r := run(t, testEnv, "validate", "-c", bad)
	if r.code != 2 {
		t.Fatalf("validate of a bad config exited %d, want 2: %+v", r.code, r)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	for _, key := range []string{"rackbeat.tokn", "rackbeat.token", "links[0].orders.numbering"} {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, key+":") {
				found = true
			}
		}
		if !found {
			t.Errorf("no line for %s in:\n%s", key, r.stderr)
		}
	}
	if r := run(t, nil, "validate", "-c", filepath.Join(dir, "missing.yaml")); r.code != 2 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("validate of a missing file: %+v, want exit 2 and one line", r)
	}
}

func TestPluginsInstallListVerify(t *testing.T) {
	dir := t.TempDir()
	flags := []string{"--plugins-dir", filepath.Join(dir, "plugins"), "--lock", filepath.Join(dir, "shopbridge.lock")}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		r := run(t, nil, append([]string{"plugins", "install", connectors[v]}, flags...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "shopbridge-connector-test_v"+v) {
			t.Fatalf("install %s: %+v", v, r)
		}
	}
	r := run(t, nil, append([]string{"plugins", "list"}, flags...)...)
	if r.code != 0 {
		t.Fatalf("list: %+v", r)
	}
	for _, v := range []string{"1.0.0", "1.1.0"} {
		found := false
		for _, l := range strings.Split(r.stdout, "\n") {
			f := strings.Fields(l)
			if len(f) >= 4 && f[0] == "test" && f[1] == v && f[2] == "1" && strings.Contains(f[3], "products.read") {
				found = true
			}
		}
		if !found {
			t.Errorf("list does not show test %s with protocol 1 and its capabilities:\n%s", v, r.stdout)
		}
	}
	if r := run(t, nil, append([]string{"plugins", "verify"}, flags...)...); r.code != 0 {
		t.Fatalf("verify of fresh installs: %+v", r)
	}

	// A tampered binary is caught by verify and flagged by list.
	tampered := filepath.Join(dir, "plugins", "shopbridge-connector-test_v1.0.0")
	f, _ := os.OpenFile(tampered, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte("x"))
	f.Close()
	r = run(t, nil, append([]string{"plugins", "verify"}, flags...)...)
	if r.code == 0 || !strings.Contains(r.stderr, tampered) || !strings.Contains(r.stderr, "plugins install") {
		t.Errorf("verify of a tampered binary: %+v", r)
	}
	r = run(t, nil, append([]string{"plugins", "list"}, flags...)...)
	if !strings.Contains(r.stdout, "MISMATCH") {
		t.Errorf("list does not flag the tampered binary:\n%s", r.stdout)
	}

	if r := run(t, nil, append([]string{"plugins", "install", filepath.Join(dir, "nope")}, flags...)...); r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("install of a missing file: %+v, want an error on one line", r)
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestRunServesHealthAndStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	cfgPath := writeFile(t, filepath.Join(dir, "shopbridge.yaml"), fmt.Sprintf(goodConfig, addr))
	if r := run(t, nil, "plugins", "install", connectors["1.1.0"], "--plugins-dir", filepath.Join(dir, "plugins"), "--lock", filepath.Join(dir, "shopbridge.lock")); r.code != 0 {
		t.Fatalf("install: %+v", r)
	}
	// With the config, list shows which link uses the version.
	r := run(t, testEnv, "plugins", "list", "-c", cfgPath)
	if !strings.Contains(r.stdout, "webshop") {
		t.Errorf("list -c does not show the link using the connector:\n%+v", r)
	}

	cmd := exec.Command(shopbridge, "run", "-c", cfgPath)
	cmd.Env = append(os.Environ(), testEnv...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer cmd.Process.Kill()

	get := func(path string) (int, string) {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code, _ := get("/readyz"); code == http.StatusOK {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run exited early (%v):\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("never ready:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d %s", code, body)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run exited with %v after SIGTERM:\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("run did not stop after SIGTERM:\n%s", logs.String())
	}
	out := logs.String()
	if strings.Contains(out, "[WARN]") || strings.Contains(out, "[ERROR]") {
		t.Errorf("a clean start and stop logged warnings or errors:\n%s", out)
	}
	for _, secret := range []string{"rb-secret", "test-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains a secret:\n%s", out)
		}
	}
	if !strings.Contains(out, "link open") || !strings.Contains(out, "webshop") {
		t.Errorf("the log does not say the link opened:\n%s", out)
	}
}
