// Command shopbridge-demo is `make demo`: it starts the three sandboxes
// with a seeded catalogue, installs the connectors into a plugins folder
// with their lock file, checks the prerequisites, runs the Shopbox link's
// initial sync, and then runs the host while customers place orders and
// stock moves every few seconds — printing what flows until Ctrl-C, after
// which nothing is left running.
//
// Now and then (the 5th order, then every 50th) a customer buys, at the
// Shopbox till, a product Rackbeat does not have, so the status page shows a
// sale in quarantine with its reason and a Retry button, as a real shop
// sometimes would.
//
// Everything lives in ./.demo (the SQLite state file, the config, the
// plugins, the operator token for the status page). Run it from the
// repository root after `make build`.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "shopbridge-demo:", err)
		os.Exit(1)
	}
}

type sandboxInfo struct {
	Rackbeat struct {
		BaseURL string `json:"base_url"`
		Token   string `json:"token"`
	} `json:"rackbeat"`
	Shopify struct {
		BaseURL      string `json:"base_url"`
		GraphQLURL   string `json:"graphql_url"`
		ControlURL   string `json:"control_url"`
		Shop         string `json:"shop"`
		AccessToken  string `json:"access_token"`
		ClientSecret string `json:"client_secret"`
	} `json:"shopify"`
	Shopbox struct {
		BaseURL    string `json:"base_url"`
		ControlURL string `json:"control_url"`
		Email      string `json:"email"`
		Password   string `json:"password"`
		ClientID   int    `json:"client_id"`
		PushSecret string `json:"push_secret"`
	} `json:"shopbox"`
}

// RunningMarker starts the line the demo prints once the host serves and
// every link is open; scripts and the demo's own test wait for it.
const RunningMarker = "● running after "

// marker names the demo's folder as the demo's, so a --dir pointing at
// anything else is never wiped.
const marker = ".shopbridge-demo"

func run(ctx context.Context) error {
	t0 := time.Now()
	bin := flag.String("bin", "./bin", "folder with the built binaries (make build)")
	dir := flag.String("dir", "./.demo", "folder for the demo's state, config, plugins and operator token (emptied at start)")
	products := flag.Int("products", 1000, "products in the sandbox catalogue")
	rpm := flag.Int("rackbeat-rpm", 30000, "requests a minute the Rackbeat sandbox allows (the real Rackbeat: 480)")
	listen := flag.String("listen", "127.0.0.1:8080", "the host's HTTP port (status page, webhooks)")
	ordersEvery := flag.Duration("orders-every", 4*time.Second, "how often customers place a Shopify order and a Shopbox sale")
	stockEvery := flag.Duration("stock-every", 3*time.Second, "how often stock moves in Rackbeat")
	badOrders := flag.Bool("bad-orders", true, fmt.Sprintf("make order %d, then every %dth, a Shopbox sale of a product Rackbeat does not have, so quarantine has something to show", badFirst, badEvery))
	flag.Parse()

	if err := portFree(*listen); err != nil {
		return err
	}
	if err := prepareDir(*dir); err != nil {
		return err
	}
	plugins := filepath.Join(*dir, "plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		return err
	}

	step("starting the sandboxes (Rackbeat, Shopify, Shopbox) with " + fmt.Sprint(*products) + " products")
	sb := exec.Command(filepath.Join(*bin, "shopbridge-sandbox"), "--products", fmt.Sprint(*products),
		"--locations", "2", "--prerequisites", "--json", "--stock-every", stockEvery.String(), "--rackbeat-rpm", fmt.Sprint(*rpm))
	// The sandbox's lines wait until the host runs, so they do not cut
	// through the steps' output; its startup errors are printed at exit.
	sandboxLines := &gate{}
	sb.Stderr = gated("sandbox", sandboxLines)
	out, err := sb.StdoutPipe()
	if err != nil {
		return err
	}
	sandbox, err := startChild("the sandbox", sb)
	if err != nil {
		return fmt.Errorf("start %s/shopbridge-sandbox (run make build first): %w", *bin, err)
	}
	var stopErrs []error
	defer func() {
		// Normally stopped in order below; this covers the early returns.
		_ = sandbox.stop(10 * time.Second)
		sandboxLines.release("sandbox")
	}()
	var info sandboxInfo
	if err := json.NewDecoder(out).Decode(&info); err != nil {
		return fmt.Errorf("read the sandbox's URLs and credentials: %w", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	fmt.Printf("  Rackbeat %s\n  Shopify  %s (%s)\n  Shopbox  %s\n", info.Rackbeat.BaseURL, info.Shopify.BaseURL, info.Shopify.Shop, info.Shopbox.BaseURL)
	if *rpm > 480 {
		fmt.Printf("  (the demo's Rackbeat allows %d requests a minute so the first sync takes seconds; the real one allows 480, and shopbridge paces itself to it)\n", *rpm)
	}

	uid, variation, err := shopboxFields(ctx, info)
	if err != nil {
		return err
	}
	api := sandboxAPI{info: info, client: &http.Client{Timeout: 10 * time.Second}}
	// The operator token unlocks the status page's Retry and Drop buttons.
	// It goes to a file only the user can read, never to the screen.
	operatorToken := randomHex(16)
	tokenFile := filepath.Join(*dir, "operator-token")
	if err := os.WriteFile(tokenFile, []byte(operatorToken+"\n"), 0o600); err != nil {
		return err
	}
	env := append(os.Environ(),
		"RACKBEAT_TOKEN="+info.Rackbeat.Token, "SHOPIFY_TOKEN="+info.Shopify.AccessToken,
		"SHOPIFY_CLIENT_SECRET="+info.Shopify.ClientSecret, "SHOPBOX_PASSWORD="+info.Shopbox.Password,
		"SHOPBOX_PUSH_SECRET="+info.Shopbox.PushSecret, "SHOPBRIDGE_STATE_KEY="+randomHex(32),
		"SHOPBRIDGE_OPERATOR_TOKEN="+operatorToken)
	cfgPath := filepath.Join(*dir, "shopbridge.yaml")
	if err := os.WriteFile(cfgPath, []byte(demoConfig(*listen, *rpm, info, uid, variation)), 0o600); err != nil {
		return err
	}

	shopbridge := func(args ...string) *exec.Cmd {
		c := exec.CommandContext(ctx, filepath.Join(*bin, "shopbridge"), args...)
		c.Env, c.Stdout, c.Stderr = env, os.Stdout, os.Stderr
		return c
	}
	step("installing the connectors into " + plugins + " with their sha256 in the lock file")
	conns, _ := filepath.Glob(filepath.Join(*bin, "shopbridge-connector-*"))
	if len(conns) == 0 {
		return fmt.Errorf("no connector binaries (shopbridge-connector-*) in %s: run make build first", *bin)
	}
	for _, c := range conns {
		if err := shopbridge("plugins", "install", c, "--plugins-dir", plugins, "--lock", filepath.Join(*dir, "shopbridge.lock")).Run(); err != nil {
			return fmt.Errorf("install %s: %w", c, err)
		}
	}
	_ = shopbridge("plugins", "list", "--plugins-dir", plugins, "--lock", filepath.Join(*dir, "shopbridge.lock")).Run()

	step("checking what the setup guides ask for, against the live sandboxes")
	if err := shopbridge("check", "-c", cfgPath).Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Println("  (check reported problems; the demo goes on)")
	}

	step("initial sync of the Shopbox link: Shopbox → Rackbeat, once")
	if err := shopbridge("sync", "--link", "pos", "--flow", "initial", "-c", cfgPath).Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fmt.Println("  (the host runs the initial sync as a job instead)")
	}

	if *badOrders {
		// After the initial sync, so it stays out of Rackbeat.
		if err := api.addTillOnlyProduct(ctx); err != nil {
			return err
		}
		fmt.Printf("  the shop has since added %s at the Shopbox till, and nobody created it in Rackbeat: its sales will wait in quarantine\n", tillOnlySKU)
	}

	base := "http://" + *listen
	step("starting the host on " + base)
	hc := exec.Command(filepath.Join(*bin, "shopbridge"), "run", "-c", cfgPath)
	hc.Env, hc.Stdout, hc.Stderr = env, prefixed("host"), prefixed("host")
	host, err := startChild("the host", hc)
	if err != nil {
		return err
	}
	defer func() { _ = host.stop(30 * time.Second) }()
	if err := waitReady(ctx, base, host); err != nil {
		return err
	}
	tRunning := time.Since(t0)
	sandboxLines.release("sandbox")
	fmt.Println(paint("1;32", fmt.Sprintf("%s%.1fs — status page %s/ (log in with the operator token in %s); metrics at %s/metrics; Ctrl-C stops everything",
		RunningMarker, tRunning.Seconds(), base, tokenFile, base)))

	var p placed
	customers, stopCustomers := context.WithCancel(ctx)
	defer stopCustomers()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); api.placeOrders(customers, *ordersEvery, *badOrders, &p, say) }()
	w := &watcher{base: base}
	go func() { defer wg.Done(); w.run(customers) }()

	select {
	case <-ctx.Done():
	case <-host.done:
		stopCustomers()
		wg.Wait()
		return fmt.Errorf("the host stopped on its own (%v); its log is above", host.err)
	}
	fmt.Println()
	step("stopping: the customers, then the host (it finishes the jobs in flight and stops its connectors), then the sandboxes")
	tStop := time.Now()
	stopCustomers()
	wg.Wait()
	last := w.fetch(context.Background())
	stopErrs = append(stopErrs, host.stop(30*time.Second), sandbox.stop(10*time.Second))

	step("summary")
	summarize(&p, last, tRunning)
	if err := errors.Join(stopErrs...); err != nil {
		return err
	}
	fmt.Printf("\ndemo stopped in %.1fs; the host, its connectors and the sandboxes have all exited. Its files are in %s\n", time.Since(tStop).Seconds(), *dir)
	return nil
}

// child is a long-running process the demo started in its own process
// group, stopped in order with stop.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	once sync.Once
	serr error
}

func startChild(name string, c *exec.Cmd) (*child, error) {
	ownGroup(c)
	if err := c.Start(); err != nil {
		return nil, err
	}
	ch := &child{name: name, cmd: c, done: make(chan struct{})}
	go func() { ch.err = c.Wait(); close(ch.done) }()
	return ch, nil
}

// stop interrupts the child as Ctrl-C would, waits up to limit for it to
// exit, and then for everything in its process group (the host's connector
// processes) to be gone. Whatever is still there is killed, and said.
func (ch *child) stop(limit time.Duration) error {
	ch.once.Do(func() { ch.serr = ch.stopOnce(limit) })
	return ch.serr
}

func (ch *child) stopOnce(limit time.Duration) error {
	pgid := ch.cmd.Process.Pid
	_ = ch.cmd.Process.Signal(os.Interrupt)
	var errs []error
	select {
	case <-ch.done:
		if ch.err != nil {
			errs = append(errs, fmt.Errorf("%s stopped with an error: %w", ch.name, ch.err))
		}
	case <-time.After(limit):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-ch.done
		errs = append(errs, fmt.Errorf("%s did not stop within %s of the interrupt; it was killed", ch.name, limit))
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(groupAlive(pgid)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if left := groupAlive(pgid); len(left) > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		errs = append(errs, fmt.Errorf("%s left processes %v running after it exited; they were killed", ch.name, left))
	}
	return errors.Join(errs...)
}

// waitReady waits until the host's /readyz says every link is open on a
// running connector.
func waitReady(ctx context.Context, base string, host *child) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		res, err := client.Get(base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the host is not ready after 2 minutes (%s/readyz says why)", base)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-host.done:
			return fmt.Errorf("the host exited before it was ready (%v); its log is above", host.err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// portFree says early, in words, that another program holds the port.
func portFree(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("the host's port %s is taken (%w): stop what uses it or pass --listen 127.0.0.1:<another port>", addr, err)
	}
	return ln.Close()
}

// prepareDir empties the demo's folder for a fresh run, but only when it is
// the demo's (or empty or missing).
func prepareDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
			return fmt.Errorf("%s holds files the demo did not write; pass --dir with a new or empty folder", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, marker), []byte("written by shopbridge-demo; the demo empties this folder when it starts\n"), 0o644)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// shopboxFields finds the ids of the two Shopbox custom fields the
// sandbox's prerequisites created, as an integrator would read them in
// Rackbeat.
func shopboxFields(ctx context.Context, info sandboxInfo) (uid, variation int, err error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", info.Rackbeat.BaseURL+"/fields?for=item", nil)
	req.Header.Set("Authorization", "Bearer "+info.Rackbeat.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("read Rackbeat's custom fields: %w", err)
	}
	defer res.Body.Close()
	var body struct {
		Fields []struct {
			ID   int
			Name string
		}
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		return 0, 0, fmt.Errorf("read Rackbeat's custom fields: %w", err)
	}
	for _, f := range body.Fields {
		switch f.Name {
		case "Shopbox UID felt ID":
			uid = f.ID
		case "Shopbox variasjonsfelt ID":
			variation = f.ID
		}
	}
	if uid == 0 || variation == 0 {
		return 0, 0, errors.New("the sandbox has no Shopbox custom fields; was it started with --prerequisites?")
	}
	return uid, variation, nil
}

func demoConfig(listen string, rpm int, info sandboxInfo, uid, variation int) string {
	return fmt.Sprintf(`# Written by shopbridge-demo: both links against the local sandboxes.
# Paths are relative to this file.
state: {driver: sqlite, path: shopbridge.db}
server: {listen: %[2]q, public_url: "http://%[2]s", operator_token: "${SHOPBRIDGE_OPERATOR_TOKEN}"}
plugins: {dir: plugins, lock: shopbridge.lock}
rackbeat: {url: %[3]q, token: "${RACKBEAT_TOKEN}", requests_per_minute: %[1]d}
log: {level: info, format: text}
links:
  - id: webshop
    connector: shopify@^1.0
    settings: {shop: %[4]q, base_url: %[5]q, access_token: "${SHOPIFY_TOKEN}", client_secret: "${SHOPIFY_CLIENT_SECRET}"}
    products: {direction: inventory, prices_exclude_vat: true, vat_rate: "0.25", default_group: 1, reconcile_every: 30m}
    orders: {trigger: paid, state: ready_to_ship, numbering: rackbeat, payment_terms: 3, language: en,
             customer_group: 1, vat_zone: domestic, currency: SEK, employee: 2, shipping_product: frakt, pull_every: 1m}
    stock: {enabled: true, quantity: available, locations: all, reconcile_every: 10m}
  - id: pos
    connector: shopbox@^1.0
    settings: {email: %[6]q, password: "${SHOPBOX_PASSWORD}", client_id: %[7]d, push_secret: "${SHOPBOX_PUSH_SECRET}", base_url: %[8]q}
    initial_sync: channel
    products: {direction: off, default_group: 1, default_category_group: 1, uid_field: %[9]d, variation_field: %[10]d}
    orders: {trigger: created, state: booked, payment_terms: 3, customer_group: 1, currency: NOK, language: nb,
             employee: 2, add_vat: true, shipping_product: frakt, pull_every: 1m}
    stock: {enabled: true, locations: all, default_rackbeat_location: 1, reconcile_every: 10m}
`, rpm, listen, info.Rackbeat.BaseURL, info.Shopify.Shop, info.Shopify.BaseURL, info.Shopbox.Email, info.Shopbox.ClientID,
		info.Shopbox.BaseURL+"/", uid, variation)
}
