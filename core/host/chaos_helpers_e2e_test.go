package host_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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

// This file holds what the crash, fault, security and multi-host tests
// share: the host as a real process, a webhook relay that repeats and
// reorders deliveries, and the invariants every run must end with.

// chaosLong reports whether the long suites were asked for (make chaos).
func chaosLong() bool { return os.Getenv("SHOPBRIDGE_CHAOS") == "long" }

// chaosSeed is the run's seed: SHOPBRIDGE_CHAOS_SEED replays a run.
func chaosSeed(t *testing.T, def int64) int64 {
	if s := os.Getenv("SHOPBRIDGE_CHAOS_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("SHOPBRIDGE_CHAOS_SEED=%q is not an integer", s)
		}
		return n
	}
	return def
}

var (
	hostBinOnce sync.Once
	hostBin     string
	hostBinErr  error
)

// shopbridgeBinary builds cmd/shopbridge once per test binary, without the
// race detector, so a host process starts as fast as the real one.
func shopbridgeBinary(t *testing.T) string {
	t.Helper()
	hostBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shopbridge-host-bin-")
		if err != nil {
			hostBinErr = err
			return
		}
		hostBin = filepath.Join(dir, "shopbridge")
		cmd := exec.Command("go", "build", "-o", hostBin, "github.com/shopbridge/shopbridge/cmd/shopbridge")
		out, err := cmd.CombinedOutput()
		if err != nil {
			hostBinErr = fmt.Errorf("go build cmd/shopbridge: %v\n%s", err, out)
		}
	})
	if hostBinErr != nil {
		t.Fatal(hostBinErr)
	}
	return hostBin
}

// hostProcess is `shopbridge run -c FILE` as its own process, appending
// its log to one file across restarts.
type hostProcess struct {
	t       *testing.T
	bin     string
	args    []string
	config  string
	env     []string
	addr    string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func newHostProcess(t *testing.T, bin, config, addr string, env map[string]string) *hostProcess {
	hp := &hostProcess{t: t, bin: bin, config: config, addr: addr, logPath: config + ".log"}
	hp.args = []string{"run", "-c", config}
	hp.env = os.Environ()
	for k, v := range env {
		hp.env = append(hp.env, k+"="+v)
	}
	t.Cleanup(func() { hp.kill(true) })
	return hp
}

// start launches the host and waits until /readyz says it runs.
func (hp *hostProcess) start(limit time.Duration) {
	hp.t.Helper()
	hp.launch()
	if !hp.waitReady(limit) {
		log, _ := os.ReadFile(hp.logPath)
		hp.t.Fatalf("host not ready after %s; log tail:\n%s", limit, tail(string(log), 40))
	}
}

// launch starts the process without waiting for it to be ready, so a
// kill can land while it opens links or runs the initial sync.
func (hp *hostProcess) launch() {
	hp.t.Helper()
	f, err := os.OpenFile(hp.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		hp.t.Fatal(err)
	}
	cmd := exec.Command(hp.bin, hp.args...)
	cmd.Env = hp.env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		hp.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	hp.mu.Lock()
	hp.cmd, hp.done = cmd, done
	hp.mu.Unlock()
}

func (hp *hostProcess) waitReady(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		hp.mu.Lock()
		done := hp.done
		hp.mu.Unlock()
		select {
		case <-done:
			return false
		default:
		}
		res, err := http.Get("http://" + hp.addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func (hp *hostProcess) pid() int {
	hp.mu.Lock()
	defer hp.mu.Unlock()
	if hp.cmd == nil || hp.cmd.Process == nil {
		return 0
	}
	return hp.cmd.Process.Pid
}

// kill sends SIGKILL to the host and (with connectors) to the connector
// processes it spawned — what a power cut or an OOM kill of the whole
// service does — and waits for the host to be gone.
func (hp *hostProcess) kill(connectors bool) {
	hp.mu.Lock()
	cmd, done := hp.cmd, hp.done
	hp.cmd = nil
	hp.mu.Unlock()
	if cmd == nil {
		return
	}
	children := childPIDs(cmd.Process.Pid)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	if connectors {
		for _, c := range children {
			_ = syscall.Kill(c, syscall.SIGKILL)
		}
	}
}

// stop ends the host as an operator would (SIGTERM) and waits.
func (hp *hostProcess) stop() {
	hp.mu.Lock()
	cmd, done := hp.cmd, hp.done
	hp.cmd = nil
	hp.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		hp.t.Errorf("host did not stop within 60s of SIGTERM")
	}
}

// killConnector SIGKILLs one connector process of the running host; the
// host's plugin manager must restart it. It reports whether there was one.
func (hp *hostProcess) killConnector(rng *rand.Rand) bool {
	pid := hp.pid()
	if pid == 0 {
		return false
	}
	kids := childPIDs(pid)
	if len(kids) == 0 {
		return false
	}
	return syscall.Kill(kids[rng.IntN(len(kids))], syscall.SIGKILL) == nil
}

// childPIDs lists the live processes whose parent is pid, from /proc.
func childPIDs(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name is in parentheses and may hold spaces: the
		// fields we want follow the last ')'.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 || f[0] == "Z" {
			continue
		}
		if pp, _ := strconv.Atoi(f[1]); pp == pid {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// relay stands between the sandboxes' webhook senders and the host: the
// host's public_url points here, so every subscription names the relay.
// It delivers each order webhook one to three times (the same delivery id,
// as Shopify's retries do), holds orders/create back a little so that
// orders/paid often arrives first, and answers 502 while the host is down
// so the sender retries.
type relay struct {
	target string // host:port of the host
	client *http.Client

	mu        sync.Mutex
	rng       *rand.Rand
	first     map[string]string // order id → topic that reached the host first
	copies    int               // extra deliveries sent
	delivered int
	wg        sync.WaitGroup
}

func newRelay(target string, seed int64) *relay {
	return &relay{target: target, rng: rand.New(rand.NewPCG(uint64(seed), 7)), first: map[string]string{},
		client: &http.Client{Timeout: 10 * time.Second}}
}

func (r *relay) draw(n int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.IntN(n)
}

func (r *relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	topic := req.Header.Get("X-Shopify-Topic")
	extra := 0
	if strings.HasPrefix(topic, "orders/") {
		extra = r.draw(3) // 0..2 more copies: up to three deliveries in all
		if topic == spsandbox.TopicOrdersCreate {
			time.Sleep(time.Duration(r.draw(400)) * time.Millisecond)
		}
	}
	status := r.forward(req, body)
	if status >= 200 && status < 300 && strings.HasPrefix(topic, "orders/") {
		r.noteFirst(body, topic)
	}
	for i := 0; i < extra; i++ {
		delay := time.Duration(r.draw(300)) * time.Millisecond
		r.mu.Lock()
		r.copies++
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			time.Sleep(delay)
			r.forward(req, body)
		}()
	}
	w.WriteHeader(status)
}

func (r *relay) noteFirst(body []byte, topic string) {
	// The REST body's "id" is enough to tell orders apart.
	i := strings.Index(string(body), `"id":`)
	if i < 0 {
		return
	}
	rest := string(body[i+5:])
	j := strings.IndexAny(rest, ",}")
	if j < 0 {
		return
	}
	id := rest[:j]
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delivered++
	if _, ok := r.first[id]; !ok {
		r.first[id] = topic
	}
}

func (r *relay) forward(req *http.Request, body []byte) int {
	out, err := http.NewRequest(req.Method, "http://"+r.target+req.URL.RequestURI(), strings.NewReader(string(body)))
	if err != nil {
		return http.StatusBadGateway
	}
	out.Header = req.Header.Clone()
	res, err := r.client.Do(out)
	if err != nil {
		return http.StatusBadGateway
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// repeats is how many extra deliveries the relay sent.
func (r *relay) repeats() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.copies
}

// paidFirst counts orders whose orders/paid reached the host before their
// orders/create.
func (r *relay) paidFirst() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, t := range r.first {
		if t == spsandbox.TopicOrdersPaid {
			n++
		}
	}
	return n
}

// outcome is what the invariants found; every count but orders must be 0.
type outcome struct {
	Orders, Duplicates, Losses, WrongLines, WrongCustomer, ExtraOrders int
	DuplicateCustomers, StockMismatches, DanglingBindings, Quarantined int
	Problems                                                           []string
}

func (o *outcome) problem(format string, args ...any) {
	if len(o.Problems) < 20 {
		o.Problems = append(o.Problems, fmt.Sprintf(format, args...))
	}
}

func (o outcome) ok() bool {
	return o.Duplicates+o.Losses+o.WrongLines+o.WrongCustomer+o.ExtraOrders+o.DuplicateCustomers+
		o.StockMismatches+o.DanglingBindings+o.Quarantined == 0
}

// checkOrders compares every Shopify order with Rackbeat: exactly one
// Rackbeat order carries its reference, with the same SKUs and quantities
// (shipping aside) and a customer with its e-mail; no other order of the
// link exists; no customer exists twice.
func checkOrders(rb *rbsandbox.Server, shop *spsandbox.Server, link, shippingSKU string, o *outcome) {
	byRef := map[string][]rbsandbox.Order{}
	prefix := "shopbridge:" + link + ":"
	for _, ro := range rb.Orders() {
		if strings.HasPrefix(ro.OtherReference, prefix) {
			byRef[ro.OtherReference] = append(byRef[ro.OtherReference], ro)
		}
	}
	emails := map[int]string{}
	perEmail := map[string]int{}
	for _, c := range rb.Customers() {
		emails[c.Number] = c.ContactEmail
		perEmail[strings.ToLower(c.ContactEmail)]++
	}
	seen := map[string]bool{}
	for _, so := range shop.Orders() {
		o.Orders++
		ref := prefix + so.ID
		seen[ref] = true
		got := byRef[ref]
		switch {
		case len(got) == 0:
			o.Losses++
			o.problem("order %s (%s) is not in Rackbeat", so.Name, so.ID)
			continue
		case len(got) > 1:
			o.Duplicates += len(got) - 1
			o.problem("order %s is in Rackbeat %d times", so.Name, len(got))
		}
		ro := got[0]
		want := map[string]int{}
		for _, l := range so.Lines {
			want[l.SKU] += l.Quantity
		}
		have := map[string]int{}
		for _, l := range ro.Lines {
			if l.ItemID != shippingSKU {
				have[l.ItemID] += l.Quantity
			}
		}
		if fmt.Sprint(want) != fmt.Sprint(have) {
			o.WrongLines++
			o.problem("order %s: lines %v in Rackbeat, %v in Shopify", so.Name, have, want)
		}
		if !strings.EqualFold(emails[ro.CustomerID], so.Email) {
			o.WrongCustomer++
			o.problem("order %s: customer %d (%q), want %q", so.Name, ro.CustomerID, emails[ro.CustomerID], so.Email)
		}
	}
	for ref, got := range byRef {
		if !seen[ref] {
			o.ExtraOrders += len(got)
			o.problem("Rackbeat order %s has no Shopify order", ref)
		}
	}
	for e, n := range perEmail {
		if n > 1 {
			o.DuplicateCustomers += n - 1
			o.problem("customer %s exists %d times", e, n)
		}
	}
}

// checkStock compares Shopify's available level at the mapped location
// with the sum of Rackbeat's available quantities, for every SKU.
func checkStock(rb *rbsandbox.Server, shop *spsandbox.Server, location string, skus []string, o *outcome) {
	for _, sku := range skus {
		want := 0
		for _, n := range rb.Available(sku) {
			want += n
		}
		q, ok := shop.Level(sku, location)
		if !ok || q.Available != want {
			o.StockMismatches++
			o.problem("stock of %s: Shopify %d, Rackbeat %d", sku, q.Available, want)
		}
	}
}

// checkStore reads the state database: every order binding is complete and
// names a Rackbeat order that carries its reference; every product binding
// names a Rackbeat product and a SKU the channel has; quarantine is empty
// unless allowed says the item was made invalid on purpose.
func checkStore(ctx context.Context, db *state.DB, rb *rbsandbox.Server, shop *spsandbox.Server, location string, allowed func(state.QuarantineItem) bool, o *outcome) {
	numbers := map[int64]string{}
	for _, ro := range rb.Orders() {
		numbers[int64(ro.Number)] = ro.OtherReference
	}
	err := db.InTx(ctx, func(tx *state.Tx) error {
		links, err := tx.Links()
		if err != nil {
			return err
		}
		for _, l := range links {
			// The binding table has no list call (nothing in the product
			// needs one); the test reads it with SQL.
			rows, err := queryBindings(tx, l.ID)
			if err != nil {
				return err
			}
			for _, b := range rows {
				ref, ok := numbers[b.RackbeatNumber]
				if b.State != state.OrderCreated || !ok || ref != "shopbridge:"+l.ID+":"+b.ChannelOrderID {
					o.DanglingBindings++
					o.problem("order binding %s/%s: state %s, Rackbeat %d (%q)", l.ID, b.ChannelOrderID, b.State, b.RackbeatNumber, ref)
				}
			}
			pbs, err := tx.ProductBindings(l.ID, "", 1_000_000)
			if err != nil {
				return err
			}
			for _, pb := range pbs {
				if pb.RackbeatNumber != "" {
					if _, ok := rb.Product(pb.RackbeatNumber); !ok {
						o.DanglingBindings++
						o.problem("product binding %s/%s: Rackbeat has no %s", l.ID, pb.SKU, pb.RackbeatNumber)
					}
				}
				if shop != nil && pb.ChannelVariantID != "" {
					if _, ok := shop.Level(pb.SKU, location); !ok {
						o.DanglingBindings++
						o.problem("product binding %s/%s: Shopify has no such SKU", l.ID, pb.SKU)
					}
				}
			}
		}
		items, err := tx.ListQuarantine(state.QuarantineFilter{})
		if err != nil {
			return err
		}
		for _, it := range items {
			if allowed == nil || !allowed(it) {
				o.Quarantined++
				o.problem("quarantine: %s %s %s: %s", it.Link, it.Flow, it.Key, it.Reason)
			}
		}
		return nil
	})
	if err != nil {
		o.problem("read the state database: %v", err)
		o.DanglingBindings++
	}
}

func queryBindings(tx *state.Tx, link string) ([]state.OrderBinding, error) {
	const q = "SELECT channel_order_id, state, rackbeat_order_number FROM order_bindings WHERE link = "
	var out []state.OrderBinding
	if tx.Driver() == state.DriverSQLite {
		rows, err := tx.SQLTx().QueryContext(tx.Context(), q+"?", link)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var b state.OrderBinding
			if err := rows.Scan(&b.ChannelOrderID, &b.State, &b.RackbeatNumber); err != nil {
				return nil, err
			}
			out = append(out, b)
		}
		return out, rows.Err()
	}
	rows, err := tx.PgxTx().Query(tx.Context(), q+"$1", link)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var b state.OrderBinding
		if err := rows.Scan(&b.ChannelOrderID, &b.State, &b.RackbeatNumber); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// openState opens a state file the way the host does (the host process
// must have stopped).
func openState(t *testing.T, path string) *state.DB {
	t.Helper()
	db, err := state.Open(context.Background(), state.Options{Driver: state.DriverSQLite, Path: path, Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// table renders runs as the Markdown table docs/reliability.md shows.
func table(rows [][]string) string {
	head := []string{"run", "seed", "host kills", "connector kills", "faults", "orders", "re-deliveries", "paid before create", "duplicates", "losses", "wrong lines/customer", "stock mismatches", "dangling bindings", "quarantined", "time"}
	var b strings.Builder
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for range head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

// report prints a run's table row in the test log and, when
// SHOPBRIDGE_CHAOS_REPORT names a file, appends it there (scripts/chaos.sh
// collects the rows into the table).
func report(t *testing.T, row []string) {
	t.Logf("\n%s", table([][]string{row}))
	if p := os.Getenv("SHOPBRIDGE_CHAOS_REPORT"); p != "" {
		f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintf(f, "| %s |\n", strings.Join(row, " | "))
			f.Close()
		}
	}
}

// stockedShop starts Rackbeat and a Shopify shop on the Plus plan (on the
// standard plan Shopify's cost limit alone holds order reads to a few per
// second, which would make a long run a test of patience) with perLocation
// units of every SKU at each Rackbeat location and their sum available in
// the shop's main location, so the initial sync and the stock flow agree
// from the start. It returns the SKUs and the shop's main location.
func stockedShop(t *testing.T, cat *catalog.Catalog, seed int64, perLocation int) (rb *rbsandbox.Server, shop *spsandbox.Server, rbSrv, shopSrv *httptest.Server, main string, skus []string) {
	t.Helper()
	rb = rbsandbox.New(rbsandbox.Options{Catalog: cat, Tokens: []string{rbToken}, RequestsPerMinute: -1, Prerequisites: true, Seed: seed})
	shop = spsandbox.New(spsandbox.Options{Catalog: cat, AccessTokens: []string{shopifyToken}, ClientSecret: shopifySec, Seed: seed, Plan: "plus"})
	rbSrv, shopSrv = httptest.NewServer(rb), httptest.NewServer(shop)
	t.Cleanup(func() { rbSrv.Close(); shopSrv.Close(); rb.Close(); shop.Close() })
	main = cat.Locations[0].Name
	for _, p := range cat.Products {
		for _, v := range p.Variants {
			skus = append(skus, v.SKU)
			for _, l := range cat.Locations {
				_ = rb.SetStock(v.SKU, l.Number, perLocation)
			}
			_ = shop.SetLevel(v.SKU, main, "available", perLocation*len(cat.Locations))
		}
	}
	return rb, shop, rbSrv, shopSrv, main, skus
}
