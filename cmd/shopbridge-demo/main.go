// Command shopbridge-demo is `make demo`: it starts the three sandboxes
// with a seeded catalogue, installs the connectors into a plugins folder
// with their lock file, checks the prerequisites, runs the Shopbox link's
// initial sync, and then runs the host while the sandboxes place orders and
// move stock every few seconds — printing what flows until Ctrl-C, after
// which nothing is left running.
//
// Everything lives in ./.demo (the SQLite state file, the config, the
// plugins). Run it from the repository root after `make build`.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/shopbridge/shopbridge/core/status"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "shopbridge-demo:", err)
		os.Exit(1)
	}
	fmt.Println("\ndemo stopped; everything it started has exited. Its files are in ./.demo")
}

type sandboxInfo struct {
	Rackbeat struct {
		BaseURL string `json:"base_url"`
		Token   string `json:"token"`
	} `json:"rackbeat"`
	Shopify struct {
		BaseURL      string `json:"base_url"`
		Shop         string `json:"shop"`
		AccessToken  string `json:"access_token"`
		ClientSecret string `json:"client_secret"`
	} `json:"shopify"`
	Shopbox struct {
		BaseURL    string `json:"base_url"`
		Email      string `json:"email"`
		Password   string `json:"password"`
		ClientID   int    `json:"client_id"`
		PushSecret string `json:"push_secret"`
	} `json:"shopbox"`
}

func run(ctx context.Context) error {
	bin := flag.String("bin", "./bin", "folder with the built binaries (make build)")
	dir := flag.String("dir", "./.demo", "folder for the demo's state, config and plugins")
	products := flag.Int("products", 1000, "products in the sandbox catalogue")
	rpm := flag.Int("rackbeat-rpm", 30000, "requests a minute the Rackbeat sandbox allows (the real Rackbeat: 480)")
	listen := flag.String("listen", "127.0.0.1:8080", "the host's HTTP port (status page, webhooks)")
	flag.Parse()

	if err := os.RemoveAll(*dir); err != nil {
		return err
	}
	plugins := filepath.Join(*dir, "plugins")
	if err := os.MkdirAll(plugins, 0o755); err != nil {
		return err
	}
	step := func(s string) { fmt.Printf("\n\033[1m▶ %s\033[0m\n", s) }

	step("starting the sandboxes (Rackbeat, Shopify, Shopbox) with " + fmt.Sprint(*products) + " products")
	sandbox := exec.CommandContext(ctx, filepath.Join(*bin, "shopbridge-sandbox"), "--products", fmt.Sprint(*products),
		"--locations", "2", "--prerequisites", "--json", "--orders-every", "4s", "--stock-every", "3s", "--rackbeat-rpm", fmt.Sprint(*rpm))
	sandbox.Stderr = prefixed("sandbox")
	sandbox.Cancel = func() error { return sandbox.Process.Signal(os.Interrupt) }
	out, err := sandbox.StdoutPipe()
	if err != nil {
		return err
	}
	if err := sandbox.Start(); err != nil {
		return fmt.Errorf("start %s/shopbridge-sandbox (run make build first): %w", *bin, err)
	}
	defer func() { _ = sandbox.Process.Signal(os.Interrupt); _ = sandbox.Wait() }()
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
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	env := append(os.Environ(),
		"RACKBEAT_TOKEN="+info.Rackbeat.Token, "SHOPIFY_TOKEN="+info.Shopify.AccessToken,
		"SHOPIFY_CLIENT_SECRET="+info.Shopify.ClientSecret, "SHOPBOX_PASSWORD="+info.Shopbox.Password,
		"SHOPBOX_PUSH_SECRET="+info.Shopbox.PushSecret, "SHOPBRIDGE_STATE_KEY="+hex.EncodeToString(key))
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
	for _, c := range conns {
		if err := shopbridge("plugins", "install", c, "--plugins-dir", plugins, "--lock", filepath.Join(*dir, "shopbridge.lock")).Run(); err != nil {
			return fmt.Errorf("install %s: %w", c, err)
		}
	}
	_ = shopbridge("plugins", "list", "--plugins-dir", plugins, "--lock", filepath.Join(*dir, "shopbridge.lock")).Run()

	step("checking what the setup guides ask for, against the live sandboxes")
	if err := shopbridge("check", "-c", cfgPath).Run(); err != nil {
		fmt.Println("  (check reported problems; the demo goes on)")
	}

	step("initial sync of the Shopbox link: Shopbox → Rackbeat, once")
	if err := shopbridge("sync", "--link", "pos", "--flow", "initial", "-c", cfgPath).Run(); err != nil {
		fmt.Println("  (the host runs the initial sync as a job instead)")
	}

	step("running the host on http://" + *listen + " — the status page is at /, metrics at /metrics; Ctrl-C stops everything")
	host := shopbridge("run", "-c", cfgPath)
	host.Stdout, host.Stderr = prefixed("host"), prefixed("host")
	host.Cancel = func() error { return host.Process.Signal(os.Interrupt) }
	host.WaitDelay = 20 * time.Second
	if err := host.Start(); err != nil {
		return err
	}
	go watch(ctx, "http://"+*listen)
	err = host.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
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
server: {listen: %[2]q, public_url: "http://%[2]s"}
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

// watch prints one line every few seconds with what has flowed, from the
// host's own /status.json.
func watch(ctx context.Context, base string) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		res, err := http.Get(base + "/status.json")
		if err != nil {
			continue
		}
		var s status.Snapshot
		_ = json.NewDecoder(res.Body).Decode(&s)
		res.Body.Close()
		var parts []string
		for _, l := range s.Links {
			var fl []string
			for _, f := range l.Flows {
				if f.ItemsTotal > 0 {
					fl = append(fl, fmt.Sprintf("%s %d", f.Flow, f.ItemsTotal))
				}
			}
			if len(fl) > 0 {
				parts = append(parts, l.ID+": "+strings.Join(fl, ", "))
			}
		}
		fmt.Printf("\033[32m● moved so far — %s; jobs waiting: %d\033[0m\n", strings.Join(parts, " | "), s.QueueTotal)
	}
}

// prefixed writes a child's output line by line under its name.
func prefixed(name string) io.Writer {
	r, w := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			fmt.Printf("%-7s │ %s\n", name, sc.Text())
		}
	}()
	return w
}
