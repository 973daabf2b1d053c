package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	"github.com/shopbridge/shopbridge/sandbox/rackbeat"
	"github.com/shopbridge/shopbridge/sandbox/shopbox"
	"github.com/shopbridge/shopbridge/sandbox/shopify"
)

type config struct {
	products      int
	minVariants   int
	maxVariants   int
	locations     int
	seed          int64
	host          string
	rackbeatPort  int
	shopifyPort   int
	shopboxPort   int
	ordersEvery   time.Duration
	stockEvery    time.Duration
	state         string
	json          bool
	prerequisites bool
	rackbeatRPM   int
	shopifyPlan   string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("shopbridge-sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	variants := fs.String("variants-per-product", "1..3", "variants per product, `N` or `MIN..MAX`")
	fs.IntVar(&c.products, "products", 1000, "products in the generated catalogue")
	fs.IntVar(&c.locations, "locations", 2, "stock locations (Rackbeat locations, Shopify locations, Shopbox branches)")
	fs.Int64Var(&c.seed, "seed", 42, "seed for the catalogue, credentials, faults and random orders")
	fs.StringVar(&c.host, "listen-host", "127.0.0.1", "host to listen on")
	fs.IntVar(&c.rackbeatPort, "rackbeat-port", 0, "Rackbeat port (0: any free port)")
	fs.IntVar(&c.shopifyPort, "shopify-port", 0, "Shopify port (0: any free port)")
	fs.IntVar(&c.shopboxPort, "shopbox-port", 0, "Shopbox port (0: any free port)")
	fs.DurationVar(&c.ordersEvery, "orders-every", 0, "place a random Shopify order and Shopbox sale this often (0: never)")
	fs.DurationVar(&c.stockEvery, "stock-every", 0, "move random stock in Rackbeat this often (0: never)")
	fs.StringVar(&c.state, "state", "", "restore all three sandboxes from this `FILE` at start (if it exists) and save them there on exit")
	fs.BoolVar(&c.json, "json", false, "print one JSON object with URLs and credentials on stdout instead of the text block")
	fs.BoolVar(&c.prerequisites, "prerequisites", false, "create in Rackbeat what the setup guides ask for by hand (custom fields, shipping product)")
	fs.IntVar(&c.rackbeatRPM, "rackbeat-rpm", 480, "Rackbeat requests per minute per token (negative: no limit)")
	fs.StringVar(&c.shopifyPlan, "shopify-plan", "standard", "Shopify plan for the cost bucket: standard, advanced, plus, enterprise")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q; every setting is a --flag (see --help)", fs.Arg(0))
	}
	lo, hi, ok := strings.Cut(*variants, "..")
	if !ok {
		hi = lo
	}
	var err1, err2 error
	c.minVariants, err1 = strconv.Atoi(strings.TrimSpace(lo))
	c.maxVariants, err2 = strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || c.minVariants < 1 || c.maxVariants < c.minVariants {
		return c, fmt.Errorf("--variants-per-product %q: want N or MIN..MAX with 1 <= MIN <= MAX", *variants)
	}
	if c.products < 0 || c.locations < 1 {
		return c, errors.New("--products must be >= 0 and --locations >= 1")
	}
	return c, nil
}

// Info is what the sandbox prints: where each service listens and how to log in.
type Info struct {
	Seed      int64        `json:"seed"`
	Products  int          `json:"products"`
	SKUs      int          `json:"skus"`
	Locations int          `json:"locations"`
	Rackbeat  RackbeatInfo `json:"rackbeat"`
	Shopify   ShopifyInfo  `json:"shopify"`
	Shopbox   ShopboxInfo  `json:"shopbox"`
}

// RackbeatInfo: send Authorization: Bearer <Token> to BaseURL.
type RackbeatInfo struct {
	BaseURL    string `json:"base_url"`
	ControlURL string `json:"control_url"`
	Token      string `json:"token"`
	// Prerequisites says whether the custom fields and shipping product the
	// setup guides ask for were created (--prerequisites).
	Prerequisites bool `json:"prerequisites"`
}

// ShopifyInfo: POST GraphQL documents to GraphQLURL with X-Shopify-Access-Token.
type ShopifyInfo struct {
	BaseURL      string `json:"base_url"`
	GraphQLURL   string `json:"graphql_url"`
	ControlURL   string `json:"control_url"`
	Shop         string `json:"shop"`
	AccessToken  string `json:"access_token"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	APIVersion   string `json:"api_version"`
}

// ShopboxInfo: log in at BaseURL/authenticate/credentials with Email and
// Password, then send ?accessToken=…&client=ClientID (or ?api-token=APIToken).
type ShopboxInfo struct {
	BaseURL    string `json:"base_url"`
	ControlURL string `json:"control_url"`
	Email      string `json:"email"`
	Password   string `json:"password"`
	ClientID   int    `json:"client_id"`
	APIToken   string `json:"api_token"`
	PushSecret string `json:"push_secret"`
}

// derived makes a credential that is stable for a seed, so a restarted demo
// keeps working with the same configuration.
func derived(seed int64, what string, n int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("shopbridge-sandbox/%d/%s", seed, what)))
	return hex.EncodeToString(sum[:])[:n]
}

type sandboxes struct {
	rb      *rackbeat.Server
	sp      *shopify.Server
	sb      *shopbox.Server
	servers []*http.Server
	info    Info
}

// savedState is the --state file: each sandbox's own snapshot.
type savedState struct {
	Rackbeat json.RawMessage `json:"rackbeat"`
	Shopify  json.RawMessage `json:"shopify"`
	Shopbox  json.RawMessage `json:"shopbox"`
}

func start(c config) (*sandboxes, error) {
	cat := catalog.Generate(catalog.Config{Products: c.products, MinVariants: c.minVariants, MaxVariants: c.maxVariants, Locations: c.locations, Seed: c.seed})
	if c.products == 0 {
		cat.Products = nil
	}
	s := &sandboxes{}
	s.info = Info{Seed: c.seed, Products: len(cat.Products), SKUs: cat.VariantCount(), Locations: len(cat.Locations)}

	rbToken := "rb_" + derived(c.seed, "rackbeat", 40)
	s.rb = rackbeat.New(rackbeat.Options{Catalog: cat, Tokens: []string{rbToken}, RequestsPerMinute: c.rackbeatRPM, Seed: c.seed, Prerequisites: c.prerequisites})
	s.info.Rackbeat.Token, s.info.Rackbeat.Prerequisites = rbToken, c.prerequisites

	sp := ShopifyInfo{Shop: "demo.myshopify.com", AccessToken: "shpat_" + derived(c.seed, "shopify", 32),
		ClientID: "sandbox-client-id", ClientSecret: "shpss_" + derived(c.seed, "shopify-secret", 32), APIVersion: shopify.APIVersion}
	s.sp = shopify.New(shopify.Options{Catalog: cat, Shop: sp.Shop, AccessTokens: []string{sp.AccessToken},
		ClientID: sp.ClientID, ClientSecret: sp.ClientSecret, Plan: c.shopifyPlan, Seed: c.seed})
	s.info.Shopify = sp

	sb := ShopboxInfo{Email: "sandbox@shopbox.test", Password: "sandbox-" + derived(c.seed, "shopbox-password", 12), ClientID: 1,
		APIToken: derived(c.seed, "shopbox-api-token", 40), PushSecret: derived(c.seed, "shopbox-push", 32)}
	s.sb = shopbox.New(shopbox.Options{Catalog: cat, Email: sb.Email, Password: sb.Password, APITokens: []string{sb.APIToken},
		ClientID: sb.ClientID, PushSecret: sb.PushSecret, Seed: c.seed})
	s.info.Shopbox = sb

	if c.state != "" {
		if err := s.restore(c.state); err != nil {
			s.close(context.Background())
			return nil, err
		}
	}

	listen := func(port int, h http.Handler) (string, error) {
		ln, err := net.Listen("tcp", net.JoinHostPort(c.host, strconv.Itoa(port)))
		if err != nil {
			return "", fmt.Errorf("listen on %s port %d: %w (pick another port or 0 for any free one)", c.host, port, err)
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		s.servers = append(s.servers, srv)
		go func() { _ = srv.Serve(ln) }()
		return "http://" + ln.Addr().String(), nil
	}
	base, err := listen(c.rackbeatPort, s.rb)
	if err != nil {
		s.close(context.Background())
		return nil, err
	}
	s.info.Rackbeat.BaseURL, s.info.Rackbeat.ControlURL = base+"/api", base+"/_sandbox"
	if base, err = listen(c.shopifyPort, s.sp); err != nil {
		s.close(context.Background())
		return nil, err
	}
	s.info.Shopify.BaseURL, s.info.Shopify.GraphQLURL, s.info.Shopify.ControlURL = base, base+shopify.GraphQLPath(), base+"/_sandbox"
	if base, err = listen(c.shopboxPort, s.sb); err != nil {
		s.close(context.Background())
		return nil, err
	}
	s.info.Shopbox.BaseURL, s.info.Shopbox.ControlURL = base+"/api/v3", base+"/_sandbox"
	return s, nil
}

func (s *sandboxes) restore(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // first run: the file is written on exit
	}
	if err != nil {
		return fmt.Errorf("read state file: %w", err)
	}
	var st savedState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("state file %s is not a sandbox state (delete it to start fresh): %w", path, err)
	}
	if len(st.Rackbeat) > 0 {
		if err := s.rb.Restore(st.Rackbeat); err != nil {
			return fmt.Errorf("state file %s: %w", path, err)
		}
	}
	if len(st.Shopify) > 0 {
		if err := s.sp.Restore(st.Shopify); err != nil {
			return fmt.Errorf("state file %s: shopify: %w", path, err)
		}
	}
	if len(st.Shopbox) > 0 {
		if err := s.sb.Restore(st.Shopbox); err != nil {
			return fmt.Errorf("state file %s: shopbox: %w", path, err)
		}
	}
	return nil
}

func (s *sandboxes) save(path string) error {
	var st savedState
	var err error
	if st.Rackbeat, err = s.rb.Snapshot(); err != nil {
		return err
	}
	if st.Shopify, err = s.sp.Snapshot(); err != nil {
		return fmt.Errorf("shopify snapshot: %w", err)
	}
	if st.Shopbox, err = s.sb.Snapshot(); err != nil {
		return fmt.Errorf("shopbox snapshot: %w", err)
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	return nil
}

func (s *sandboxes) close(ctx context.Context) {
	for _, srv := range s.servers {
		_ = srv.Shutdown(ctx)
	}
	s.rb.Close()
	s.sp.Close()
	s.sb.Close()
}

func printText(w io.Writer, i Info) {
	rb, sp, sb := i.Rackbeat, i.Shopify, i.Shopbox
	setup := "custom fields and shipping product \"frakt\" NOT created (shopbridge check should flag them; --prerequisites creates them)"
	if rb.Prerequisites {
		setup = "custom fields \"" + rackbeat.FieldShopboxUID + "\", \"" + rackbeat.FieldShopboxVariation + "\" and shipping product \"frakt\" created"
	}
	fmt.Fprintf(w, `shopbridge sandbox: seed %d, %d products, %d SKUs, %d locations

Rackbeat
  API          %s/
  token        %s   (Authorization: Bearer <token>)
  control      %s/   (no auth)
  setup        %s
  try          curl -s -H 'Authorization: Bearer %s' '%s/products?limit=2'

Shopify (Admin GraphQL %s)
  GraphQL      %s
  shop         %s
  access token %s   (X-Shopify-Access-Token)
  client id    %s
  client secret %s   (webhook HMAC and OAuth)
  control      %s/   (no auth)
  try          curl -s -H 'X-Shopify-Access-Token: %s' -H 'Content-Type: application/json' -d '{"query":"{ products(first: 2) { nodes { title } } }"}' '%s'

Shopbox (API v3)
  API          %s/
  email        %s
  password     %s
  client       %d
  api token    %s   (?api-token=<token>)
  push secret  %s   (X-Shopbox-Signature HMAC key)
  control      %s/   (no auth)
  try          curl -s '%s/products?api-token=%s&client=%d&per-page=2'

Press Ctrl-C to stop.
`, i.Seed, i.Products, i.SKUs, i.Locations,
		rb.BaseURL, rb.Token, rb.ControlURL, setup, rb.Token, rb.BaseURL,
		sp.APIVersion, sp.GraphQLURL, sp.Shop, sp.AccessToken, sp.ClientID, sp.ClientSecret, sp.ControlURL, sp.AccessToken, sp.GraphQLURL,
		sb.BaseURL, sb.Email, sb.Password, sb.ClientID, sb.APIToken, sb.PushSecret, sb.ControlURL, sb.BaseURL, sb.APIToken, sb.ClientID)
}

// run starts the sandboxes, prints where they are, and serves until ctx ends.
// started, when not nil, is called with the Info once everything listens.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, started func(Info)) error {
	c, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	t0 := time.Now()
	s, err := start(c)
	if err != nil {
		return err
	}
	if c.json {
		b, _ := json.Marshal(s.info)
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		printText(stdout, s.info)
	}
	fmt.Fprintf(stderr, "sandbox ready in %s\n", time.Since(t0).Round(time.Millisecond))
	if started != nil {
		started(s.info)
	}

	var wg sync.WaitGroup
	every := func(d time.Duration, fn func()) {
		if d <= 0 {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					fn()
				}
			}
		}()
	}
	every(c.ordersEvery, func() {
		if id, err := s.sp.PlaceRandomOrder(); err != nil {
			fmt.Fprintf(stderr, "shopify: no order placed: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "shopify: placed order %s\n", id)
		}
		if uid := s.sb.PlaceRandomSale(); uid == 0 {
			fmt.Fprintln(stderr, "shopbox: no sale placed (nothing in stock)")
		} else {
			fmt.Fprintf(stderr, "shopbox: placed sale %d\n", uid)
		}
	})
	every(c.stockEvery, func() {
		if n, loc, d, err := s.rb.MoveRandomStock(); err != nil {
			fmt.Fprintf(stderr, "rackbeat: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "rackbeat: stock of %s at location %d moved by %+d\n", n, loc, d)
		}
	})

	<-ctx.Done()
	wg.Wait()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.servers {
		_ = srv.Shutdown(shutdown)
	}
	var saveErr error
	if c.state != "" {
		if saveErr = s.save(c.state); saveErr == nil {
			fmt.Fprintf(stderr, "state saved to %s\n", c.state)
		}
	}
	s.close(shutdown)
	return saveErr
}
