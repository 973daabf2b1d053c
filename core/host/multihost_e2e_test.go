package host_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/host"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/state/statetest"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	"github.com/shopbridge/shopbridge/sandbox/faults"
)

// helperHostEnv names the configuration file a helper host process runs.
const helperHostEnv = "SHOPBRIDGE_E2E_HELPER_HOST"

// TestHelperHostProcess is not a test: the multi-host test starts this test
// binary again with helperHostEnv set, and it runs a host until SIGTERM or
// SIGKILL. It exists because the real `shopbridge run` keeps the job
// queue's production settings (a host is taken for dead after 30 s without
// a heartbeat), and a test that proves work moves to the other hosts should
// not wait that long.
func TestHelperHostProcess(t *testing.T) {
	path := os.Getenv(helperHostEnv)
	if path == "" {
		t.Skip("runs only as a helper process of TestMultiHostPostgres")
	}
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := hclog.New(&hclog.LoggerOptions{Name: "host", Level: hclog.Info, Output: os.Stderr, JSONFormat: true})
	h, err := host.New(ctx, cfg, host.Options{Logger: log, Scheduler: schedule.Options{
		JobTimeout: 5 * time.Second, RescueAfter: 10 * time.Second, PollInterval: 100 * time.Millisecond,
		// LongJobTimeout keeps its six-hour default: a dead host's
		// reconciliation must move because its heartbeat stopped, not
		// because its timeout ran out.
		DeadAfter:    5 * time.Second,
		RetryBackoff: func(int) time.Duration { return 300 * time.Millisecond },
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := h.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestMultiHostPostgres runs three host processes on one PostgreSQL
// database (a private schema), each on its own port and each subscribed to
// the shop's webhooks. Orders flow and Rackbeat stock moves; in the middle,
// the host that is running the link's stock reconciliation (a long job, six
// hours' timeout) is SIGKILLed with its connectors while it also holds
// order imports. The two others must take over its work — the
// reconciliation within a minute, the imports it held, and the periodic
// pulls if it led — and end with every order in Rackbeat once and the
// shop's stock equal to Rackbeat's, within a minute of the last order.
func TestMultiHostPostgres(t *testing.T) {
	if os.Getenv(statetest.PostgresDSNEnv) == "" {
		t.Skipf("%s is not set: run export %s=\"$(core/state/testdata/start-postgres.sh | tail -n1)\"", statetest.PostgresDSNEnv, statetest.PostgresDSNEnv)
	}
	t.Parallel()
	var dsn string
	for _, b := range statetest.Backends(t) {
		if b.Name == state.DriverPostgres {
			dsn = b.Options.DSN
		}
	}
	run := chaosRun{seed: chaosSeed(t, 33), orders: 150, products: 30}
	// The pause between orders keeps the arrival rate below what two
	// hosts import under -race on two shared cores, so the run measures
	// the take-over and not a backlog; the long run also waits longer for
	// the backlog a slow machine builds anyway.
	pause, settleFor := 30*time.Millisecond, 3*time.Minute
	if chaosLong() {
		run.orders, pause, settleFor = 1000, 100*time.Millisecond, 6*time.Minute
	}
	began := time.Now()
	rng := rand.New(rand.NewPCG(uint64(run.seed), 5))
	cat := catalog.Generate(catalog.Config{Products: run.products, Locations: 2, Seed: run.seed})
	rb, shop, rbSrv, shopSrv, main, skus := stockedShop(t, cat, run.seed, 300)

	dir := t.TempDir()
	env := map[string]string{"RACKBEAT_TOKEN": rbToken, "SHOPIFY_TOKEN": shopifyToken, "SHOPIFY_SECRET": shopifySec,
		"PG_DSN": dsn, "SHOPBRIDGE_STATE_KEY": strings.Repeat("7a", 32)}
	var hosts []*hostProcess
	for i := 0; i < 3; i++ {
		addr := freeAddr(t)
		cfg := filepath.Join(dir, fmt.Sprintf("host%d.yaml", i))
		yaml := fmt.Sprintf(`
state: {driver: postgres, dsn: "${PG_DSN}"}
server: {listen: %q, public_url: "http://%s"}
plugins: {dir: %q, lock: %q}
rackbeat: {url: %q, token: "${RACKBEAT_TOKEN}", requests_per_minute: 600000}
log: {level: info, format: json}
links:
  - id: shop
    connector: shopify@^1.0
    settings: {shop: demo.myshopify.com, access_token: "${SHOPIFY_TOKEN}", client_secret: "${SHOPIFY_SECRET}", base_url: %q}
    orders: {%s}
    stock: {enabled: true, locations: all, reconcile_every: 3s}
`, addr, addr, pluginsDir, lockFile, rbSrv.URL+"/api", shopSrv.URL, orders("pull_every", "2s"))
		if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		hp := newHostProcess(t, os.Args[0], cfg, addr, env)
		hp.args = []string{"-test.run=^TestHelperHostProcess$"}
		hp.env = append(hp.env, helperHostEnv+"="+cfg)
		hosts = append(hosts, hp)
	}
	for _, hp := range hosts {
		hp.start(2 * time.Minute)
	}

	victim := -1
	killAt := run.orders / 2
	var killed, killedDB time.Time // killedDB on the database's clock, which River's timestamps use
	var long heldJob
	heldAtKill := 0
	for i := 0; i < run.orders; i++ {
		if i == killAt {
			// Slow order creation down so every host holds imports in
			// flight, and Rackbeat's product list so the next stock
			// reconciliation holds on; then kill the host running it:
			// its jobs stay "running" in the database until the others
			// rescue them.
			rb.Faults().Set(faults.Rule{Path: "/api/orders", Method: http.MethodPost, Latency: 3 * time.Second},
				faults.Rule{Path: "/api/products", Method: http.MethodGet, Latency: 20 * time.Second})
			long = waitForLongJob(t, dsn, schedule.KindStockReconcile, time.Now(), 30*time.Second)
			for h, hp := range hosts {
				if hp.pid() == long.pid {
					victim = h
				}
			}
			if victim < 0 {
				t.Fatalf("the running %s (job %d) is held by %s, which is none of the hosts", long.kind, long.id, long.client)
			}
			time.Sleep(500 * time.Millisecond)
			hosts[victim].kill(true)
			killed = time.Now()
			killedDB = pgNow(t, dsn)
			rb.Faults().Clear()
			heldAtKill = runningJobs(t, dsn)
			t.Logf("killed host %d (%s) while it ran %s job %d and held %d jobs in all", victim, long.client, long.kind, long.id, heldAtKill)
		}
		in, payLate := randomOrder(rng, skus, main)
		id, err := shop.PlaceOrder(in)
		if err != nil {
			t.Fatal(err)
		}
		if payLate {
			_ = shop.PayOrder(id)
		}
		if i%5 == 0 {
			_ = rb.MoveStock(skus[rng.IntN(len(skus))], cat.Locations[rng.IntN(2)].Number, rng.IntN(9)-4)
		}
		time.Sleep(pause)
	}
	lastOrder := time.Now()
	db, err := state.Open(context.Background(), state.Options{Driver: state.DriverPostgres, DSN: dsn, Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The reconciliation the dead host held must run to its end on a
	// survivor. Without heartbeats it stayed "running" for its six-hour
	// timeout and no host reconciled the link meanwhile. The job's own
	// timestamps say when a survivor took it, whenever this looks; a minute
	// is a generous bound for DeadAfter (5 s) and one sweep.
	var tookOver time.Duration
	for deadline := time.Now().Add(time.Minute); ; {
		var st, by string
		var attempted, finalized *time.Time
		err := db.PgxPool().QueryRow(context.Background(),
			`SELECT state, attempted_by[array_upper(attempted_by, 1)], attempted_at, finalized_at FROM river_job WHERE id = $1`, long.id).Scan(&st, &by, &attempted, &finalized)
		if err != nil {
			t.Fatalf("read the reconciliation job %d: %v", long.id, err)
		}
		if st == "completed" && by != long.client && attempted != nil && finalized != nil {
			tookOver = attempted.Sub(killedDB)
			t.Logf("the dead host's %s (job %d) was taken over by %s %s after the kill and ran to its end %s after the kill",
				long.kind, long.id, by, tookOver.Round(100*time.Millisecond), finalized.Sub(killedDB).Round(100*time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the dead host's %s (job %d) is %s, last taken by %s, %s after the kill; want it completed on a surviving host",
				long.kind, long.id, st, by, time.Since(killed).Round(time.Second))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if tookOver > time.Minute {
		t.Fatalf("the dead host's %s was taken over %s after the kill; want it within a minute", long.kind, tookOver.Round(time.Second))
	}

	var o outcome
	for deadline := time.Now().Add(settleFor); ; {
		o = outcome{}
		checkOrders(rb, shop, "shop", "frakt", &o)
		checkStock(rb, shop, main, skus, &o)
		if o.ok() {
			// A create the dead host sent may still land in Rackbeat; its
			// binding heals once the claim's lease (30 s) runs out.
			checkStore(context.Background(), db, rb, shop, main, nil, &o)
		}
		if o.ok() || time.Now().After(deadline) {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	settled := time.Since(lastOrder)
	// Every other job the dead host held stays "running" in the database
	// until a live host sees its heartbeat is stale; the others must get
	// to all of them.
	stuck := func() int {
		var n int
		if err := db.PgxPool().QueryRow(context.Background(),
			`SELECT count(*) FROM river_job WHERE state = 'running' AND attempted_by[array_upper(attempted_by, 1)] = $1`, long.client).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// A bound on waiting (the time it took is logged), not a timing
	// assertion: a shared 2-core machine can be slow.
	for deadline := killed.Add(time.Minute); stuck() > 0 && time.Now().Before(deadline); {
		time.Sleep(500 * time.Millisecond)
	}
	if n := stuck(); n > 0 {
		o.problem("%d jobs of the killed host still look running a minute after the kill", n)
		o.DanglingBindings++
	}
	t.Logf("%d jobs were running when host %d was killed; none still looks running %s after the kill", heldAtKill, victim, time.Since(killed).Round(time.Second))
	for i, hp := range hosts {
		if i != victim {
			hp.stop()
		}
	}
	report(t, []string{"multi-host PostgreSQL (3 hosts)", fmt.Sprint(run.seed), "1", "-", fmt.Sprintf("host %d killed %s after start", victim, killed.Sub(began).Round(time.Second)),
		fmt.Sprint(o.Orders), "each webhook to 3 hosts", "-", fmt.Sprint(o.Duplicates), fmt.Sprint(o.Losses), fmt.Sprint(o.WrongLines + o.WrongCustomer),
		fmt.Sprint(o.StockMismatches), fmt.Sprint(o.DanglingBindings), fmt.Sprint(o.Quarantined), time.Since(began).Round(time.Second).String()})
	t.Logf("settled %s after the last order, %s after the kill", settled.Round(time.Second), time.Since(killed).Round(time.Second))
	if !o.ok() || o.Orders != run.orders {
		var logs []string
		for i, hp := range hosts {
			b, _ := os.ReadFile(hp.logPath)
			logs = append(logs, fmt.Sprintf("host %d:\n%s", i, tail(string(b), 15)))
		}
		t.Fatalf("not settled within %s of the last order (host %d killed): %d orders\n%s\n%s", settleFor, victim, o.Orders, strings.Join(o.Problems, "\n"), strings.Join(logs, "\n"))
	}
}

// heldJob is a running job and the host process that holds it.
type heldJob struct {
	id     int64
	kind   string
	client string // River client id, as in river_job.attempted_by
	pid    int
}

// waitForLongJob waits up to limit for a job of kind that started after
// since (so it meets the faults set then) to be running, and says which
// host process runs it: core/schedule names its River clients
// <hostname>_<pid>_<random>.
func waitForLongJob(t *testing.T, dsn, kind string, since time.Time, limit time.Duration) heldJob {
	t.Helper()
	db, err := state.Open(context.Background(), state.Options{Driver: state.DriverPostgres, DSN: dsn, Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		j := heldJob{kind: kind}
		err := db.PgxPool().QueryRow(context.Background(),
			`SELECT id, attempted_by[array_upper(attempted_by, 1)] FROM river_job WHERE state = 'running' AND kind = $1 AND attempted_at > $2 ORDER BY id LIMIT 1`, kind, since).Scan(&j.id, &j.client)
		if err != nil {
			continue
		}
		parts := strings.Split(j.client, "_")
		if len(parts) >= 3 {
			j.pid, _ = strconv.Atoi(parts[len(parts)-2])
		}
		return j
	}
	t.Fatalf("no %s job was running within %s", kind, limit)
	return heldJob{}
}

// pgNow reads the database's clock.
func pgNow(t *testing.T, dsn string) time.Time {
	db, err := state.Open(context.Background(), state.Options{Driver: state.DriverPostgres, DSN: dsn, Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var now time.Time
	if err := db.PgxPool().QueryRow(context.Background(), `SELECT now()`).Scan(&now); err != nil {
		t.Fatal(err)
	}
	return now
}

// runningJobs counts River jobs in the running state.
func runningJobs(t *testing.T, dsn string) int {
	db, err := state.Open(context.Background(), state.Options{Driver: state.DriverPostgres, DSN: dsn, Logger: hclog.NewNullLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	_ = db.PgxPool().QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE state = 'running'`).Scan(&n)
	return n
}
