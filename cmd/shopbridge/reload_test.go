package main

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
)

// connectorProcs maps the connector versions running as children of pid to
// their process ids.
func connectorProcs(t *testing.T, pid int) map[string]int {
	t.Helper()
	out := map[string]int{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		stat, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		// The command name in parentheses may hold spaces: fields follow the last ")".
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) < 2 || f[1] != strconv.Itoa(pid) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(d, "cmdline"))
		exe := filepath.Base(strings.SplitN(string(cmdline), "\x00", 2)[0])
		if v, ok := strings.CutPrefix(exe, "shopbridge-connector-test_v"); ok {
			child, _ := strconv.Atoi(filepath.Base(d))
			out[v] = child
		}
	}
	return out
}

func TestReloadMovesLinkToNewConnectorVersion(t *testing.T) {
	dir := t.TempDir()
	rb := rbsandbox.New(rbsandbox.Options{Tokens: []string{"rb-secret"}, RequestsPerMinute: -1, Prerequisites: true})
	rbSrv := httptest.NewServer(rb)
	t.Cleanup(func() { rbSrv.Close(); rb.Close() })
	for _, v := range []string{"1.0.0", "1.1.0"} {
		if r := run(t, nil, "plugins", "install", connectors[v], "--plugins-dir", filepath.Join(dir, "plugins"), "--lock", filepath.Join(dir, "shopbridge.lock")); r.code != 0 {
			t.Fatalf("install %s: %+v", v, r)
		}
	}
	addr := freeAddr(t)
	write := func(a, b string) string {
		link := func(id, constraint string) string {
			return fmt.Sprintf(`
  - id: %s
    connector: test@%s
    settings: {shop: %s, token: "${TEST_TOKEN}"}
    orders: {payment_terms: 1, customer_group: 1, employee: 1}`, id, constraint, id)
		}
		return writeFile(t, filepath.Join(dir, "shopbridge.yaml"), fmt.Sprintf(`
state: {path: %q}
server: {listen: %q}
plugins: {dir: %q, lock: %q}
rackbeat: {url: %q, token: "${RB_TOKEN}"}
log: {level: info, format: text}
links:%s%s
`, filepath.Join(dir, "state.db"), addr, filepath.Join(dir, "plugins"), filepath.Join(dir, "shopbridge.lock"), rbSrv.URL+"/api", link("alpha", a), link("beta", b)))
	}
	cfg := write("~1.0.0", "~1.0.0")

	if r := run(t, testEnv, "reload", "-c", cfg); r.code == 0 || !strings.Contains(r.stderr, "no running host") || !strings.Contains(r.stderr, "state.db.pid") {
		t.Errorf("reload without a running host: %+v", r)
	}

	h := startHost(t, cfg, addr, testEnv)
	pid := h.cmd.Process.Pid
	if b, err := os.ReadFile(filepath.Join(dir, "state.db.pid")); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		t.Fatalf("pid file: %q %v", b, err)
	}
	procs := connectorProcs(t, pid)
	if len(procs) != 1 || procs["1.0.0"] == 0 {
		t.Fatalf("connector processes before the reload: %v", procs)
	}
	old := procs["1.0.0"]

	// alpha moves; beta stays on 1.0.0, which keeps its process alive.
	write("~1.1.0", "~1.0.0")
	r := run(t, testEnv, "reload", "-c", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "link alpha moved from connector 1.0.0 to 1.1.0") || strings.Contains(r.stdout, "beta") {
		t.Fatalf("reload: %+v\n%s", r, h.logs.String())
	}
	procs = connectorProcs(t, pid)
	if procs["1.0.0"] != old || procs["1.1.0"] == 0 {
		t.Errorf("after moving alpha: processes %v, want 1.0.0 (pid %d, still serving beta) and 1.1.0", procs, old)
	}
	st := run(t, testEnv, "status", "--json", "-c", cfg)
	if !strings.Contains(st.stdout, `"version": "1.1.0"`) || !strings.Contains(st.stdout, `"version": "1.0.0"`) || !strings.Contains(st.stdout, `"running": true`) {
		t.Errorf("status after the reload:\n%s", st.stdout)
	}

	// A configuration that does not load changes nothing and says so.
	writeFile(t, cfg, "links: [{id: alpha}]\n")
	r = run(t, testEnv, "reload", "-c", cfg)
	if r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || !strings.Contains(r.stderr, "validate") {
		t.Errorf("reload of a broken configuration: %+v", r)
	}

	// beta moves too: nothing uses 1.0.0 any more and its process stops.
	write("~1.1.0", "~1.1.0")
	r = run(t, testEnv, "reload", "-c", cfg)
	if r.code != 0 || !strings.Contains(r.stdout, "link beta moved from connector 1.0.0 to 1.1.0") {
		t.Fatalf("second reload: %+v", r)
	}
	eventually(t, "the 1.0.0 process to stop", 30*time.Second, func() bool { return connectorProcs(t, pid)["1.0.0"] == 0 })
	if procs := connectorProcs(t, pid); len(procs) != 1 || procs["1.1.0"] == 0 {
		t.Errorf("after moving beta: processes %v, want only 1.1.0", procs)
	}
	if out := h.logs.String(); strings.Contains(out, "[ERROR]") {
		t.Errorf("the host logged errors during the reloads:\n%s", out)
	}
}
