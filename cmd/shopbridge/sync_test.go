package main

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestProgressLines(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	p := newProgress(&buf, "initial sync of link x", false)
	p.now = func() time.Time { return clock }
	p.start = clock
	for i := int64(1); i <= 10; i++ {
		clock = clock.Add(500 * time.Millisecond)
		p.update(i*100, 1000)
	}
	p.finish()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// Plain lines are spaced out (every 2 s of 5 s here) and the last one
	// is the final state.
	if len(lines) < 2 || len(lines) > 5 {
		t.Fatalf("%d plain lines for 10 updates over 5 s, want a few:\n%s", len(lines), buf.String())
	}
	if lines[0] != "initial sync of link x: 100/1000 (10%), 200/s, ETA 5s" {
		t.Errorf("first line %q", lines[0])
	}
	if last := lines[len(lines)-1]; last != "initial sync of link x: 1000/1000 (100%), 200/s" {
		t.Errorf("last line %q", last)
	}
	if strings.Contains(buf.String(), "\x1b") || strings.Contains(buf.String(), "\r") {
		t.Errorf("control codes in plain output: %q", buf.String())
	}

	buf.Reset()
	p = newProgress(&buf, "sync", true)
	p.now = func() time.Time { return clock }
	p.start = clock.Add(-2 * time.Second)
	p.update(50, 200)
	if !strings.Contains(buf.String(), "\r\x1b[K") || !strings.Contains(buf.String(), "] 50/200 (25%), 25/s, ETA 6s") {
		t.Errorf("terminal bar: %q", buf.String())
	}
}

func TestSyncAndPlan(t *testing.T) {
	s := newSandboxes(t, true)
	cfg := s.config(s.tokenLink("webshop", `
    products: {direction: inventory, default_group: 1}
    stock: {enabled: true, locations: all}
    initial_sync: channel`))
	sync := func(args ...string) result {
		r := run(t, sandboxEnv, append([]string{"sync", "--link", "webshop", "-c", cfg}, args...)...)
		noSecrets(t, r)
		return r
	}
	r := sync("--flow", "initial")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "initial sync of link webshop done: ") {
		t.Fatalf("initial sync: %+v", r)
	}
	t.Logf("initial sync:\n%s%s", r.stderr, r.stdout)
	if !regexp.MustCompile(`(?m)^initial sync of link webshop: \d+`).MatchString(r.stderr) {
		t.Errorf("no progress lines on stderr: %q", r.stderr)
	}
	r = sync("--flow", "initial")
	if r.code == 0 || !regexp.MustCompile(`^shopbridge: initial sync of link webshop already ran at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: use --force to run it again\n$`).MatchString(r.stderr) {
		t.Errorf("second initial sync: %+v", r)
	}
	if r := sync("--flow", "initial", "--force"); r.code != 0 || !strings.Contains(r.stdout, "done") {
		t.Errorf("forced initial sync: %+v", r)
	}
	if r := sync("--flow", "products"); r.code != 0 || !strings.HasPrefix(r.stdout, "products of link webshop: ") {
		t.Errorf("products sync: %+v", r)
	}
	if r := sync("--flow", "stock"); r.code != 0 || !strings.HasPrefix(r.stdout, "stock of link webshop: ") {
		t.Errorf("stock sync: %+v", r)
	}
	for _, bad := range [][]string{{"--flow", "orders"}, {"--flow", "stock", "--force"}} {
		if r := sync(bad...); r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("sync %v: %+v, want one error line", bad, r)
		}
	}

	// After the syncs, the plan has nothing to do, and says so both ways.
	r = run(t, sandboxEnv, "plan", "--link", "webshop", "-c", cfg)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "Plan for link webshop (products: inventory)") || !strings.Contains(r.stdout, "nothing to do") {
		t.Fatalf("plan: %+v", r)
	}
	noSecrets(t, r)
	t.Logf("plan:\n%s", r.stdout)
	r = run(t, sandboxEnv, "plan", "--link", "webshop", "--json", "-c", cfg)
	var plan struct {
		Link      string         `json:"link"`
		Direction string         `json:"direction"`
		Products  map[string]int `json:"products"`
		Items     []any          `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || plan.Link != "webshop" || plan.Direction != "inventory" || plan.Products == nil {
		t.Errorf("plan --json: %v\n%s", err, r.stdout)
	}
}
