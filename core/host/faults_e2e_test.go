package host_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/sandbox/faults"
	sbsandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	spsandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
)

// stockUp gives every SKU the same generous stock in Rackbeat and at the
// shop's main location, so orders never run a SKU dry and both sides start
// in agreement. It returns the SKUs.
func (w *world) stockUp() []string {
	var skus []string
	main := w.cat.Locations[0].Name
	for _, p := range w.cat.Products {
		for _, v := range p.Variants {
			skus = append(skus, v.SKU)
			for _, l := range w.cat.Locations {
				_ = w.rb.SetStock(v.SKU, l.Number, 300)
			}
			_ = w.shopify.SetLevel(v.SKU, main, "available", 600)
		}
	}
	return skus
}

// plusShop replaces the world's Shopify sandbox with one on the Plus
// plan: after an answer without cost data (a 5xx, a truncated body) the
// connector's pacer waits for the bucket as it would really refill, which
// on the standard plan stretches a short test to a minute.
func (w *world) plusShop(t *testing.T) {
	w.shopify.Close()
	w.shopify = spsandbox.New(spsandbox.Options{Catalog: w.cat, AccessTokens: []string{shopifyToken}, ClientSecret: shopifySec, Seed: 42, Plan: "plus"})
	srv := httptest.NewServer(w.shopify)
	t.Cleanup(func() { srv.Close(); w.shopify.Close() })
	w.urls["shopify"] = srv.URL
}

// randomOrder is a paid or pending order of one to three lines at the main
// location, for one of a few customers.
func randomOrder(rng *rand.Rand, skus []string, location string) (spsandbox.OrderInput, bool) {
	var lines []spsandbox.OrderLine
	used := map[string]bool{}
	for n := 1 + rng.IntN(3); len(lines) < n; {
		sku := skus[rng.IntN(len(skus))]
		if !used[sku] {
			used[sku] = true
			lines = append(lines, spsandbox.OrderLine{SKU: sku, Quantity: 1 + rng.IntN(3)})
		}
	}
	payLate := rng.IntN(3) == 0
	fin := "paid"
	if payLate {
		fin = "pending"
	}
	return spsandbox.OrderInput{Email: fmt.Sprintf("kund%02d@example.se", rng.IntN(12)), FirstName: "Kund", LastName: "Test",
		FinancialStatus: fin, Lines: lines, Location: location}, payLate
}

// faultCase is one kind of trouble the sandboxes make on every endpoint the
// order and stock flows use.
type faultCase struct {
	name     string
	rackbeat []faults.Rule
	shopify  []faults.Rule
	// kinds must each have been injected at least once, or the case
	// tested nothing.
	kinds []string
	// clientTimeout, when set, bounds the host's Rackbeat requests so a
	// latency spike runs past it.
	clientTimeout time.Duration
}

func faultCases() []faultCase {
	all := func(r faults.Rule, paths ...string) []faults.Rule {
		var out []faults.Rule
		for _, p := range paths {
			r.Path = p
			out = append(out, r)
		}
		return out
	}
	return []faultCase{
		{name: "Errors5Percent", rackbeat: all(faults.Rule{ErrorRate: 0.05}, "/api/"), shopify: all(faults.Rule{ErrorRate: 0.05}, "/admin/"),
			kinds: []string{faults.KindError}},
		{name: "Errors30Percent", rackbeat: all(faults.Rule{ErrorRate: 0.30}, "/api/"), shopify: all(faults.Rule{ErrorRate: 0.30}, "/admin/"),
			kinds: []string{faults.KindError}},
		{name: "RateLimitStormWithRetryAfter", rackbeat: all(faults.Rule{RateLimitRate: 0.6, RetryAfterSeconds: 1}, "/api/"),
			shopify: all(faults.Rule{RateLimitRate: 0.4, RetryAfterSeconds: 1}, "/admin/"), kinds: []string{faults.KindRateLimit}},
		{name: "LatencyPastClientTimeout", clientTimeout: time.Second,
			rackbeat: []faults.Rule{{Path: "/api/orders", Method: http.MethodPost, Latency: 1500 * time.Millisecond}, {Path: "/api/customers", Latency: 1500 * time.Millisecond}},
			shopify:  all(faults.Rule{Latency: 300 * time.Millisecond}, "/admin/"), kinds: []string{faults.KindLatency}},
		{name: "DroppedConnectionsAndLostAnswers",
			// drop_after_rate on POSTs: Rackbeat creates the order, the
			// answer is lost, and only the heal path keeps it single.
			rackbeat: []faults.Rule{{Path: "/api/", DropRate: 0.1}, {Path: "/api/orders", Method: http.MethodPost, DropAfterRate: 0.4},
				{Path: "/api/customers", Method: http.MethodPost, DropAfterRate: 0.4}},
			shopify: all(faults.Rule{DropRate: 0.1, DropAfterRate: 0.1}, "/admin/"), kinds: []string{faults.KindDrop, faults.KindDropAfter}},
		{name: "MalformedAndTruncatedJSON", rackbeat: all(faults.Rule{MalformedRate: 0.1, TruncateRate: 0.1}, "/api/"),
			shopify: all(faults.Rule{MalformedRate: 0.1, TruncateRate: 0.1}, "/admin/"), kinds: []string{faults.KindMalformed, faults.KindTruncate}},
	}
}

// TestFaultsShopifyOrdersAndStock runs the order and stock flows of a
// Shopify link while the sandboxes fail in one way, stops the faults, and
// checks that the host gets to the invariants on its own: every order once
// with its lines and customer, Shopify's stock equal to Rackbeat's, every
// binding real and quarantine empty (none of these faults makes an item
// invalid).
func TestFaultsShopifyOrdersAndStock(t *testing.T) {
	t.Parallel()
	n, faultFor := 15, 3*time.Second
	if chaosLong() {
		n, faultFor = 150, 30*time.Second
	}
	for i, fc := range faultCases() {
		t.Run(fc.name, func(t *testing.T) {
			// The cases wait far more than they compute (an import whose
			// create failed ambiguously waits out its lease before the
			// heal lookup), so they run side by side.
			t.Parallel()
			seed := chaosSeed(t, int64(100+i))
			rng := rand.New(rand.NewPCG(uint64(seed), 3))
			w := newWorld(t, 20)
			w.plusShop(t)
			skus := w.stockUp()
			main := w.cat.Locations[0].Name
			var rbOpts []rackbeat.Option
			if fc.clientTimeout > 0 {
				rbOpts = append(rbOpts, rackbeat.WithHTTPClient(&http.Client{Timeout: fc.clientTimeout}))
			}
			w.startWith(hostSetup{RackbeatOptions: rbOpts},
				w.shopifyLink("shop", orders("pull_every", "2s"), "", "enabled: true, locations: all, reconcile_every: 3s"))
			w.rb.Faults().Reseed(seed)
			w.shopify.Faults().Reseed(seed)
			w.rb.Faults().Set(fc.rackbeat...)
			w.shopify.Faults().Set(fc.shopify...)

			began := time.Now()
			for k := 0; k < n; k++ {
				in, payLate := randomOrder(rng, skus, main)
				id, err := w.shopify.PlaceOrder(in)
				if err != nil {
					t.Fatal(err)
				}
				if payLate {
					_ = w.shopify.PayOrder(id)
				}
				_ = w.rb.MoveStock(skus[rng.IntN(len(skus))], w.cat.Locations[rng.IntN(2)].Number, rng.IntN(9)-4)
				time.Sleep(faultFor / time.Duration(n))
			}
			counts := map[string]int{}
			for k, v := range w.rb.Faults().Counts() {
				counts[k] += v
			}
			for k, v := range w.shopify.Faults().Counts() {
				counts[k] += v
			}
			w.rb.Faults().Clear()
			w.shopify.Faults().Clear()
			for _, k := range fc.kinds {
				if counts[k] == 0 {
					t.Fatalf("no %s fault was injected (counts %v): the case tested nothing", k, counts)
				}
			}

			o := w.settle(t, "shop", skus, 2*time.Minute)
			report(t, []string{"faults " + fc.name, fmt.Sprint(seed), "0", "0", faultSummary(counts), fmt.Sprint(o.Orders), "0", "-",
				fmt.Sprint(o.Duplicates), fmt.Sprint(o.Losses), fmt.Sprint(o.WrongLines + o.WrongCustomer), fmt.Sprint(o.StockMismatches),
				fmt.Sprint(o.DanglingBindings), fmt.Sprint(o.Quarantined), time.Since(began).Round(time.Second).String()})
			if !o.ok() || o.Orders != n {
				t.Fatalf("after the faults stopped (seed %d, %v): %d orders\n%s", seed, counts, o.Orders, strings.Join(o.Problems, "\n"))
			}
		})
	}
}

// settle waits until the orders and stock invariants hold (a bound on
// waiting, not a timing assertion) and returns what was last found.
func (w *world) settle(t *testing.T, link string, skus []string, limit time.Duration) outcome {
	t.Helper()
	var o outcome
	deadline := time.Now().Add(limit)
	for {
		o = outcome{}
		checkOrders(w.rb, w.shopify, link, "frakt", &o)
		checkStock(w.rb, w.shopify, w.cat.Locations[0].Name, skus, &o)
		if o.ok() {
			// An import whose answer was lost stays pending until its
			// lease runs out and the heal path records it.
			checkStore(context.Background(), w.host.Store(), w.rb, w.shopify, w.cat.Locations[0].Name, nil, &o)
		}
		if o.ok() || time.Now().After(deadline) {
			return o
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func faultSummary(counts map[string]int) string {
	var parts []string
	for _, k := range []string{faults.KindError, faults.KindRateLimit, faults.KindLatency, faults.KindDrop, faults.KindDropAfter, faults.KindMalformed, faults.KindTruncate} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

// TestFaultsShopboxExpiredTokensAndErrors is the Shopbox side: the
// account's access tokens expire again and again while sales come in and
// stock moves, on top of 10 % server errors; once that stops, every sale
// is in Rackbeat once and the mapped branch shows Rackbeat's stock.
func TestFaultsShopboxExpiredTokensAndErrors(t *testing.T) {
	t.Parallel()
	n := 12
	if chaosLong() {
		n = 120
	}
	seed := chaosSeed(t, 200)
	rng := rand.New(rand.NewPCG(uint64(seed), 4))
	w := newWorld(t, 20)
	branches := w.shopbox.Branches()
	b2, loc2 := branches[1].UID, w.cat.Locations[1].Number
	var skus []string
	for _, p := range w.cat.Products {
		for _, v := range p.Variants {
			skus = append(skus, v.SKU)
		}
	}
	w.startWith(hostSetup{}, w.shopboxLink("pos", orders("currency", "NOK", "pull_every", "2s"), "",
		fmt.Sprintf(`enabled: true, reconcile_every: 3s, locations: [{rackbeat: [%d], channel: "%d"}], default_rackbeat_location: %d`, loc2, b2, w.cat.Locations[0].Number)))
	w.shopbox.Faults().Reseed(seed)
	w.shopbox.Faults().Set(faults.Rule{Path: "/api/", ErrorRate: 0.1})
	logins := w.shopbox.LoginCount()
	var sales []int
	for k := 0; k < n; k++ {
		if k%3 == 0 {
			w.shopbox.ExpireTokens()
		}
		b, err := w.shopbox.PlaceSale(sbsandbox.Sale{Items: []sbsandbox.SaleItem{{SKU: skus[rng.IntN(len(skus))], Quantity: 1 + rng.IntN(2)}}})
		if err != nil {
			t.Fatal(err)
		}
		sales = append(sales, b.UID)
		_ = w.rb.MoveStock(skus[rng.IntN(len(skus))], loc2, rng.IntN(9)-4)
		time.Sleep(200 * time.Millisecond)
	}
	w.shopbox.Faults().Clear()
	// The store is checked inside the bounded wait, like the other fault
	// runs: an order can be in Rackbeat a moment before the import that
	// created it records its binding as created.
	var o outcome
	w.eventually("every sale once in Rackbeat, the branch at Rackbeat's stock and every binding complete", 2*time.Minute, func() bool {
		for _, uid := range sales {
			if len(w.ordersWithReference("shopbridge:pos:"+itoa(uid))) != 1 {
				return false
			}
		}
		for _, sku := range skus {
			if w.shopbox.Stock(sku, b2) != w.rb.Available(sku)[loc2] {
				return false
			}
		}
		o = outcome{}
		checkStore(context.Background(), w.host.Store(), w.rb, nil, "", nil, &o)
		if !o.ok() {
			t.Logf("store not yet complete: %s", strings.Join(o.Problems, "; "))
		}
		return o.ok()
	})
	if w.shopbox.LoginCount() <= logins {
		t.Errorf("the connector never logged in again after its tokens expired")
	}
}
