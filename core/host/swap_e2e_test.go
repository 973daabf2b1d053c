package host_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/host"
	"github.com/shopbridge/shopbridge/core/plugin"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	spsandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

// The connector swap of issue 8: `plugins install` a newer connector,
// change a link's constraint, reload. These tests run the real Shopify
// connector as two installed versions: 1.0.0 is the binary TestMain built,
// 1.1.0 is the same connector describing itself with the next number
// (testdata/shopify-next).

const (
	oldVersion = "1.0.0"
	newVersion = "1.1.0"
	// linkA moves first, linkB later; each has its own shop.
	linkA = "shop-a"
	linkB = "shop-b"
)

// swapPlugins installs both versions into a plugins directory and lock of
// the test's own, so the other tests (whose links ask for shopify@^1.0)
// keep resolving to 1.0.0 in the shared one.
func swapPlugins(t *testing.T) (dir, lock string) {
	t.Helper()
	root := t.TempDir()
	dir, lock = filepath.Join(root, "plugins"), filepath.Join(root, "shopbridge.lock")
	for v, src := range map[string]string{oldVersion: filepath.Join(pluginsDir, plugin.FileName("shopify", oldVersion)), newVersion: buildNext(t, newVersion, "")} {
		install(t, dir, lock, src, v)
	}
	return dir, lock
}

// buildNext builds testdata/shopify-next describing itself as version,
// with every capability of the real connector but drop (none if empty).
func buildNext(t *testing.T, version, drop string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "shopify-next")
	cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+version+" -X main.drop="+drop, "-o", bin, "./testdata/shopify-next")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the Shopify connector as %s: %v\n%s", version, err, out)
	}
	return bin
}

// install installs the connector binary src and checks that it says it is
// version v.
func install(t *testing.T, dir, lock, src, v string) {
	t.Helper()
	e, err := plugin.Install(context.Background(), dir, lock, src)
	if err != nil {
		t.Fatal(err)
	}
	if e.Version != v {
		t.Fatalf("installed %s as version %s, want %s", src, e.Version, v)
	}
}

// gate stands in front of a Shopify sandbox. While it is shut, the
// connector's requests wait in it, as they would on a shop that hangs: the
// jobs that made them stay running.
type gate struct {
	h       http.Handler
	mu      sync.Mutex
	shut    chan struct{} // nil while open; closed to let the waiting through
	waiting atomic.Int32
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	shut := g.shut
	g.mu.Unlock()
	if shut != nil && strings.HasPrefix(r.URL.Path, "/admin/") {
		g.waiting.Add(1)
		<-shut
		g.waiting.Add(-1)
	}
	g.h.ServeHTTP(w, r)
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = make(chan struct{})
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut != nil {
		close(g.shut)
		g.shut = nil
	}
}

// swapShop is one Shopify sandbox behind a gate.
type swapShop struct {
	*spsandbox.Server
	gate *gate
	url  string
}

func (w *world) newSwapShop(t *testing.T) *swapShop {
	// Plus: the connector's pacer never makes this test wait for a bucket.
	s := spsandbox.New(spsandbox.Options{Catalog: w.cat, AccessTokens: []string{shopifyToken}, ClientSecret: shopifySec, Seed: 42, Plan: "plus"})
	g := &gate{h: s}
	srv := httptest.NewServer(g)
	t.Cleanup(func() { g.open(); srv.Close(); s.Close() })
	return &swapShop{Server: s, gate: g, url: srv.URL}
}

// swapHost is a running host whose configuration the test rewrites and
// reloads.
type swapHost struct {
	*host.Host
	logs  *syncBuffer
	write func(constraints map[string]string) *config.Config
}

// startSwapHost runs a host for one Shopify link per shop, each on the
// connector constraint given, with the order pull and the stock
// reconciliation running every few seconds so long jobs are always about.
func (w *world) startSwapHost(t *testing.T, dir, lock string, shops map[string]*swapShop, constraints map[string]string) *swapHost {
	t.Helper()
	w.addr = freeAddr(t)
	statePath := filepath.Join(t.TempDir(), "state.db")
	env := map[string]string{"RACKBEAT_TOKEN": rbToken, "SHOPIFY_TOKEN": shopifyToken, "SHOPIFY_SECRET": shopifySec}
	write := func(constraints map[string]string) *config.Config {
		var links strings.Builder
		for _, id := range slices.Sorted(maps.Keys(shops)) {
			fmt.Fprintf(&links, `
  - id: %s
    connector: shopify@%s
    settings: {shop: demo.myshopify.com, access_token: "${SHOPIFY_TOKEN}", client_secret: "${SHOPIFY_SECRET}", base_url: %q}
    orders: {%s}
    stock: {enabled: true, locations: all, reconcile_every: 5s}
`, id, constraints[id], shops[id].url, orders("pull_every", "3s"))
		}
		yaml := fmt.Sprintf(`
state: {driver: sqlite, path: %q}
server: {listen: %q, public_url: "http://%s"}
plugins: {dir: %q, lock: %q}
rackbeat: {url: %q, token: "${RACKBEAT_TOKEN}", requests_per_minute: 600000}
log: {level: info}
links:%s`, statePath, w.addr, w.addr, dir, lock, w.urls["rackbeat"]+"/api", links.String())
		cfg, err := config.Parse([]byte(yaml), config.WithEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }))
		if err != nil {
			t.Fatalf("config: %v\n%s", err, yaml)
		}
		return cfg
	}
	logs := &syncBuffer{}
	logger := hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Info, Output: logs, JSONFormat: true})
	h, err := host.New(context.Background(), write(constraints), host.Options{Logger: logger, OrderLease: 5 * time.Second,
		Scheduler: schedule.Options{RetryBackoff: func(int) time.Duration { return 200 * time.Millisecond }}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.Run(ctx) }()
	w.host = h
	t.Cleanup(func() {
		for _, s := range shops {
			s.gate.open()
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("host: %v", err)
		}
		if t.Failed() {
			t.Logf("host log tail:\n%s", tail(logs.String(), 60))
		}
		if os.Getenv("SHOPBRIDGE_CHAOS_KEEP_LOG") != "" {
			_ = os.WriteFile(filepath.Join(os.TempDir(), "shopbridge-"+t.Name()+".log"), []byte(logs.String()), 0o600)
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
	return &swapHost{Host: h, logs: logs, write: write}
}

// version is the connector version a link runs on, as the plugin manager
// has it.
func (h *swapHost) version(t *testing.T, link string) string {
	t.Helper()
	l := h.Plugins().Link(link)
	if l == nil {
		t.Fatalf("link %s is not open", link)
	}
	_, v := l.Connector()
	return v
}

// process is the manager's view of one connector version's process.
func (h *swapHost) process(version string) (plugin.ProcessInfo, bool) {
	for _, p := range h.Plugins().Processes() {
		if p.Name == "shopify" && p.Version == version {
			return p, true
		}
	}
	return plugin.ProcessInfo{}, false
}

// jobStates counts a link's jobs by River state, read from the queue table.
func (h *swapHost) jobStates(t *testing.T, link string) map[string]int {
	t.Helper()
	out := map[string]int{}
	err := h.Store().InTx(context.Background(), func(tx *state.Tx) error {
		rows, err := tx.SQLTx().QueryContext(tx.Context(),
			"SELECT state, COUNT(*) FROM river_job WHERE json_extract(args, '$.link') = ? GROUP BY state", link)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			var n int
			if err := rows.Scan(&s, &n); err != nil {
				return err
			}
			out[s] = n
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("read the job queue: %v", err)
	}
	return out
}

// connectorChildren maps the connector versions running as children of
// this test process to their process ids, from /proc: the manager's word
// that a process stopped is not taken for it.
func connectorChildren() map[string][]int {
	out := map[string][]int{}
	for _, pid := range childPIDs(os.Getpid()) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		exe := filepath.Base(strings.SplitN(string(b), "\x00", 2)[0])
		if v, ok := strings.CutPrefix(exe, plugin.FileName("shopify", "")); ok {
			out[v] = append(out[v], pid)
		}
	}
	return out
}

// moved reports whether m moved link from the old version to the new.
func moved(m host.LinkMove, link string) bool {
	return m.Link == link && m.From == oldVersion && m.To == newVersion
}

// TestConnectorSwapUnderLoad moves link A from the Shopify connector 1.0.0
// to 1.1.0 with Host.Reload while orders, their webhooks and Rackbeat
// stock moves stream through links A and B (each on its own shop), then
// moves B as well. While A drains, one of A's jobs hangs on its shop
// (the gate), so the drain provably waits for it while B's jobs go on
// completing. Afterwards every order of both shops is in Rackbeat once
// with its lines, both shops show Rackbeat's stock, A runs on 1.1.0 and
// B's 1.0.0 process was never restarted until B moved and it stopped.
func TestConnectorSwapUnderLoad(t *testing.T) {
	// The stream runs at 5 orders a second: enough to keep both links busy
	// with imports, pulls and stock pushes, little enough that a shared
	// 2-core machine under -race keeps up with it.
	n := 120
	switch {
	case testing.Short():
		n = 40
	case chaosLong():
		n = 300
	}
	dir, lock := swapPlugins(t)
	w := newWorld(t, 20)
	shops := map[string]*swapShop{linkA: w.newSwapShop(t), linkB: w.newSwapShop(t)}
	main := w.cat.Locations[0].Name
	var skus []string
	for _, p := range w.cat.Products {
		for _, v := range p.Variants {
			skus = append(skus, v.SKU)
			for _, l := range w.cat.Locations {
				_ = w.rb.SetStock(v.SKU, l.Number, 300)
			}
			for _, s := range shops {
				_ = s.SetLevel(v.SKU, main, "available", 600)
			}
		}
	}
	old := map[string]string{linkA: "~" + oldVersion, linkB: "~" + oldVersion}
	h := w.startSwapHost(t, dir, lock, shops, old)
	ctx := context.Background()

	// Both links start on 1.0.0, in one process; 1.1.0 is installed but
	// nothing asks for it yet.
	for _, l := range []string{linkA, linkB} {
		if v := h.version(t, l); v != oldVersion {
			t.Fatalf("link %s starts on connector %s, want %s", l, v, oldVersion)
		}
	}
	oldProc, ok := h.process(oldVersion)
	if !ok || !oldProc.Running || oldProc.PID == 0 || fmt.Sprint(oldProc.Links) != "["+linkA+" "+linkB+"]" {
		t.Fatalf("connector processes at start: %+v", h.Plugins().Processes())
	}
	if _, ok := h.process(newVersion); ok {
		t.Fatalf("a %s process runs before any link asked for it", newVersion)
	}

	// The stream: orders alternate between the shops at a steady rate,
	// some paid later (a second webhook), each with a Rackbeat stock move.
	rng := rand.New(rand.NewPCG(8, 5))
	var rngMu sync.Mutex
	var placedN atomic.Int32
	place := func(link string) string {
		rngMu.Lock()
		in, payLate := randomOrder(rng, skus, main)
		sku, loc, delta := skus[rng.IntN(len(skus))], w.cat.Locations[rng.IntN(2)].Number, rng.IntN(9)-4
		rngMu.Unlock()
		id, err := shops[link].PlaceOrder(in)
		if err != nil {
			t.Error(err)
			return ""
		}
		if payLate {
			_ = shops[link].PayOrder(id)
		}
		_ = w.rb.MoveStock(sku, loc, delta)
		placedN.Add(1)
		return id
	}
	count := func() int { return int(placedN.Load()) }
	streamDone := make(chan struct{})
	go func() {
		defer close(streamDone)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for k := 0; k < n; k++ {
			<-tick.C
			place([]string{linkA, linkB}[k%2])
		}
	}()
	imported := func(link, id string) bool {
		return len(w.ordersWithReference("shopbridge:"+link+":"+id)) == 1
	}

	t0 := time.Now()
	phase := func(what string) { t.Logf("%6.1fs %s", time.Since(t0).Seconds(), what) }
	// A third of the way in, A's shop hangs: the next of A's jobs to call
	// it stays running. Then A's constraint moves to 1.1.0 and the host
	// reloads.
	w.eventually("a third of the stream placed", 2*time.Minute, func() bool { return count() >= n/3 })
	before := count()
	shops[linkA].gate.close()
	w.eventually("one of A's jobs waiting on its shop", time.Minute, func() bool { return shops[linkA].gate.waiting.Load() > 0 })
	phase("gate shut, a call of A waiting")
	drained := h.jobStates(t, linkA)["running"]
	newCfg := h.write(map[string]string{linkA: "~" + newVersion, linkB: "~" + oldVersion})
	type result struct {
		rep host.ReloadReport
		err error
	}
	reloaded := make(chan result, 1)
	importedOn := func(link string) int { return len(w.ordersWithReference("shopbridge:" + link + ":")) }
	aBefore, bBefore := importedOn(linkA), importedOn(linkB)
	began := time.Now()
	go func() {
		rep, err := h.Reload(ctx, newCfg)
		reloaded <- result{rep, err}
	}()

	phase("reload started")
	// While A drains, B's orders placed now are imported.
	var during []string
	for range 3 {
		during = append(during, place(linkB))
	}
	w.eventually("B's orders placed during A's drain in Rackbeat", time.Minute, func() bool {
		for _, id := range during {
			if !imported(linkB, id) {
				return false
			}
		}
		return true
	})
	phase("B orders imported")
	select {
	case r := <-reloaded:
		t.Fatalf("the reload returned (%v, %v) while one of A's jobs was still running", r.rep, r.err)
	default:
	}
	if p, _ := h.process(oldVersion); p.PID != oldProc.PID || p.Restarts != 0 {
		t.Fatalf("B's connector process changed during A's drain: %+v, was pid %d", p, oldProc.PID)
	}
	held := h.jobStates(t, linkA)
	heldWaiting := held["available"] + held["scheduled"] + held["retryable"]

	phase("held jobs read")
	// The shop answers again: A's job finishes, the drain ends, A moves.
	released := time.Now()
	shops[linkA].gate.open()
	var r result
	select {
	case r = <-reloaded:
	case <-time.After(3 * time.Minute):
		t.Fatal("the reload did not finish within 3 minutes of A's shop answering again")
	}
	phase("reload returned")
	total, tailDur := time.Since(began), time.Since(released)
	aDuring, bDuring := importedOn(linkA)-aBefore, importedOn(linkB)-bBefore
	if r.err != nil {
		t.Fatalf("reload: %v", r.err)
	}
	if len(r.rep.Moved) != 1 || !moved(r.rep.Moved[0], linkA) || len(r.rep.NeedRestart)+len(r.rep.Retargeted) != 0 {
		t.Fatalf("reload report: %s", r.rep)
	}

	// A runs on 1.1.0 in a new process; B still on 1.0.0 in the same,
	// never restarted, process.
	if v := h.version(t, linkA); v != newVersion {
		t.Errorf("link A runs on %s after the reload, want %s", v, newVersion)
	}
	if v := h.version(t, linkB); v != oldVersion {
		t.Errorf("link B runs on %s after A's reload, want %s", v, oldVersion)
	}
	p, _ := h.process(oldVersion)
	if !p.Running || p.PID != oldProc.PID || p.Restarts != 0 || fmt.Sprint(p.Links) != "["+linkB+"]" {
		t.Errorf("1.0.0 after moving A: %+v; want it running as pid %d, never restarted, serving B alone", p, oldProc.PID)
	}
	newProc, _ := h.process(newVersion)
	if !newProc.Running || newProc.PID == 0 || fmt.Sprint(newProc.Links) != "["+linkA+"]" {
		t.Errorf("1.1.0 after moving A: %+v; want it running, serving A", newProc)
	}
	if rec, ok, err := h.Store().Link(ctx, linkA); err != nil || !ok || rec.ConnectorVersion != newVersion {
		t.Errorf("the store names link A's connector version %q (%v), want %s", rec.ConnectorVersion, err, newVersion)
	}
	if kids := connectorChildren(); len(kids[oldVersion]) != 1 || len(kids[newVersion]) != 1 {
		t.Errorf("connector processes after moving A: %v; want one of each version", kids)
	}

	// The rest of the stream flows through A on 1.1.0 and B on 1.0.0; then
	// every order of both shops is in Rackbeat once with its lines and
	// both shops show Rackbeat's stock.
	<-streamDone
	settle := func(what string) outcome {
		t.Helper()
		var o outcome
		deadline := time.Now().Add(2 * time.Minute)
		for {
			o = outcome{}
			for _, l := range []string{linkA, linkB} {
				checkOrders(w.rb, shops[l].Server, l, "frakt", &o)
				checkStock(w.rb, shops[l].Server, main, skus, &o)
			}
			if o.ok() {
				checkStore(ctx, h.Store(), w.rb, nil, "", nil, &o)
			}
			if o.ok() || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if !o.ok() {
			t.Fatalf("%s: %d orders checked\n%s", what, o.Orders, strings.Join(o.Problems, "\n"))
		}
		return o
	}
	phase("stream done")
	o := settle("after moving A")
	if p, _ := h.process(oldVersion); p.PID != oldProc.PID || p.Restarts != 0 {
		t.Errorf("B's connector process was restarted while the stream ran: %+v, was pid %d", p, oldProc.PID)
	}

	phase("settled")
	// B moves too: nothing uses 1.0.0 any more and its process is gone;
	// A's 1.1.0 process is left alone.
	began2 := time.Now()
	rep, err := h.Reload(ctx, h.write(map[string]string{linkA: "~" + newVersion, linkB: "~" + newVersion}))
	second := time.Since(began2)
	if err != nil || len(rep.Moved) != 1 || !moved(rep.Moved[0], linkB) {
		t.Fatalf("second reload: %s, %v", rep, err)
	}
	w.eventually("the 1.0.0 process to exit", 30*time.Second, func() bool { return len(connectorChildren()[oldVersion]) == 0 })
	if _, ok := h.process(oldVersion); ok {
		t.Errorf("the manager still lists a 1.0.0 process: %+v", h.Plugins().Processes())
	}
	if p, _ := h.process(newVersion); !p.Running || p.PID != newProc.PID || p.Restarts != 0 || fmt.Sprint(p.Links) != "["+linkA+" "+linkB+"]" {
		t.Errorf("1.1.0 after moving B: %+v; want pid %d, never restarted, serving A and B", p, newProc.PID)
	}
	if v := h.version(t, linkB); v != newVersion {
		t.Errorf("link B runs on %s after the second reload, want %s", v, newVersion)
	}

	phase("second reload done")
	// Both links go on working on 1.1.0.
	for k := range 6 {
		place([]string{linkA, linkB}[k%2])
	}
	o = settle("after moving B")
	if errs := grepLines(h.logs.String(), `"@level":"error"`); errs != "" {
		t.Errorf("the host logged errors during the swaps:\n%s", errs)
	}
	t.Logf("swap under load: %d orders on 2 links (%d before A moved); A's drain waited for %d running job(s) of A with %d held in the queue, while B imported %d orders placed during it (%d orders imported on B and %d on A, its jobs in flight, during the reload); first reload %s in all (drain %s, swap %s), %s after A's shop answered again; second reload %s (drain %s, swap %s); job retries logged: %d",
		o.Orders, before, drained, heldWaiting, len(during), bDuring, aDuring, total.Round(time.Millisecond), r.rep.Moved[0].Drain.Round(time.Millisecond), r.rep.Moved[0].Swap.Round(time.Millisecond), tailDur.Round(time.Millisecond),
		second.Round(time.Millisecond), rep.Moved[0].Drain.Round(time.Millisecond), rep.Moved[0].Swap.Round(time.Millisecond),
		strings.Count(h.logs.String(), "job failed, will retry"))
}

// TestReloadSaysWhenTheNewVersionChangesCapabilities: a link's flows are
// built from what its connector declared when it opened, so a reload onto
// a version that declares other capabilities moves the link (its calls
// reach the new version) and says that a restart is needed for its flows
// to follow.
func TestReloadSaysWhenTheNewVersionChangesCapabilities(t *testing.T) {
	root := t.TempDir()
	dir, lock := filepath.Join(root, "plugins"), filepath.Join(root, "shopbridge.lock")
	install(t, dir, lock, filepath.Join(pluginsDir, plugin.FileName("shopify", oldVersion)), oldVersion)
	install(t, dir, lock, buildNext(t, "1.2.0", string(sdk.CapBulk)), "1.2.0")
	w := newWorld(t, 5)
	h := w.startSwapHost(t, dir, lock, map[string]*swapShop{linkA: w.newSwapShop(t)}, map[string]string{linkA: "~" + oldVersion})

	rep, err := h.Reload(context.Background(), h.write(map[string]string{linkA: "~1.2.0"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Moved) != 1 || rep.Moved[0].To != "1.2.0" || h.version(t, linkA) != "1.2.0" {
		t.Fatalf("reload: %s; link on %s", rep, h.version(t, linkA))
	}
	want := "link " + linkA + ": connector shopify 1.2.0 drops capabilities bulk compared with 1.0.0: restart the host so the link's flows follow"
	if len(rep.NeedRestart) != 1 || rep.NeedRestart[0] != want {
		t.Errorf("need restart: %q\nwant [%q]", rep.NeedRestart, want)
	}
}
