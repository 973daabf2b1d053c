package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/mapping"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
	"github.com/shopbridge/shopbridge/sdk"
)

type env struct {
	rb     *rbsandbox.Server
	cat    *catalog.Catalog
	client *rackbeat.Client
	ch     *memChannel
	store  *state.DB
	prods  *Products
	stock  *Stock
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// newEnv is a Rackbeat sandbox (over httptest, through the real client),
// a real SQLite store and an in-memory channel.
func newEnv(t testing.TB, products int, channel string, ps func(*config.ProductsSettings), ss func(*config.StockSettings)) *env {
	t.Helper()
	cat := catalog.Generate(catalog.Config{Products: products, MinVariants: 1, MaxVariants: 2, Seed: 11})
	if products == 0 {
		cat = nil
	}
	rb := rbsandbox.New(rbsandbox.Options{Catalog: cat, Tokens: []string{"tok"}, RequestsPerMinute: -1, Prerequisites: true})
	t.Cleanup(rb.Close)
	srv := httptest.NewServer(rb)
	t.Cleanup(srv.Close)
	// The sandbox's own limit is off; so is the client's 480/min pacing,
	// which would make a benchmark measure the pacer.
	client, err := rackbeat.New(srv.URL+"/api", "tok", rackbeat.WithRequestsPerMinute(1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	db, err := state.Open(context.Background(), state.Options{Driver: state.DriverSQLite, Path: filepath.Join(t.TempDir(), "state.db"), SecretKey: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	p := config.ProductsSettings{Direction: DirInventory, PricesExcludeVAT: true, VATRate: dec("0.25"), DefaultGroup: 1}
	if ps != nil {
		ps(&p)
	}
	s := config.StockSettings{Enabled: true, Quantity: "available", Locations: config.StockLocations{All: true}, DefaultChannelLocation: "main"}
	if ss != nil {
		ss(&s)
	}
	rules, err := mapping.NewLinkRules(channel, p, "SEK", "links[0].products.rules")
	if err != nil {
		t.Fatal(err)
	}
	ch := newMemChannel()
	return &env{rb: rb, cat: cat, client: client, ch: ch, store: db,
		prods: &Products{Link: "shop", Direction: p.Direction, Rules: rules, CreateBOMs: p.CreateBOMs, Channel: ch, Inventory: client, Store: db},
		stock: &Stock{Link: "shop", Quantity: s.Quantity, Locations: NewLocationMap(s), Channel: ch, Inventory: client, Store: db},
	}
}

// nonGET counts the requests to the Rackbeat sandbox that could change something.
func (e *env) nonGET() int {
	n := 0
	for k, v := range e.rb.RequestCountsByRoute() {
		if !strings.HasPrefix(k, "GET ") {
			n += v
		}
	}
	return n
}

func (e *env) channelWrites() int {
	e.ch.mu.Lock()
	defer e.ch.mu.Unlock()
	return e.ch.productBatches + e.ch.stockBatches
}

func mustReport(t testing.TB) func(Report, error) Report {
	return func(rep Report, err error) Report {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
}

func rbProductCount(e *env) int {
	n := 0
	for _, p := range e.rb.Products() {
		if p.Number != rbsandbox.ShippingProductNumber {
			n++
		}
	}
	return n
}

// Shopify seed, "Synkroniseringsprioritet" = Rackbeat: new Rackbeat
// products appear in the channel with the VAT-inclusive price, and a
// second pass has nothing to do.
func TestSyncPriorityRackbeat(t *testing.T) {
	e := newEnv(t, 20, "shopify", nil, nil)
	ctx := context.Background()
	rep := mustReport(t)(e.prods.Reconcile(ctx))
	if rep.ChannelCreated != rbProductCount(e)+1 { // + the shipping product "frakt"
		t.Fatalf("created %d in the channel, Rackbeat has %d products: %+v", rep.ChannelCreated, rbProductCount(e), rep)
	}
	sku := e.cat.Products[0].Variants[0].SKU
	_, v, ok := e.ch.bySKU(sku)
	rbp, _ := e.rb.Product(sku)
	if !ok || !v.Price.Amount.Equal(rbp.SalesPrice.Mul(dec("1.25")).Round(2)) {
		t.Fatalf("channel price %v for Rackbeat price %v", v.Price, rbp.SalesPrice)
	}
	before := e.channelWrites()
	rep = mustReport(t)(e.prods.Reconcile(ctx))
	if e.channelWrites() != before || rep.Writes != 0 {
		t.Fatalf("a second reconciliation wrote: %+v", rep)
	}
	// A Rackbeat edit arrives by webhook and is carried over.
	name := "Ny kopp"
	if _, err := e.client.UpdateProduct(ctx, sku, rackbeat.ProductInput{Name: name}); err != nil {
		t.Fatal(err)
	}
	rep = mustReport(t)(e.prods.PushSKU(ctx, sku))
	if p, _, _ := e.ch.bySKU(sku); rep.ChannelUpdated != 1 || (len(p.Variants) == 1 && p.Title != name) {
		t.Fatalf("push: %+v, title %q", rep, p.Title)
	}
	// The channel side does not flow back in this direction.
	e.ch.edit(sku, func(p *sdk.Product, v *sdk.Variant) { v.Cost = sdk.MustMoney("1", "SEK") })
	if rep := mustReport(t)(e.prods.Pull(ctx)); rep.RackbeatUpdated != 0 {
		t.Fatalf("pull with direction inventory wrote to Rackbeat: %+v", rep)
	}
}

// Shopify seed, "Standard varugrupp": products created in the channel get
// the link's default group in Rackbeat.
func TestDefaultProductGroup(t *testing.T) {
	e := newEnv(t, 0, "shopify", func(s *config.ProductsSettings) { s.Direction = DirChannel; s.DefaultGroup = 2 }, nil)
	ctx := context.Background()
	e.ch.add(sdk.Product{Title: "Lue", Description: "Varm", Variants: []sdk.Variant{
		{SKU: "LUE-1", Price: sdk.MustMoney("125.00", "SEK"), Cost: sdk.MustMoney("30", "SEK"), Weight: sdk.Weight{Value: dec("200"), Unit: sdk.Grams}}}})
	rep := mustReport(t)(e.prods.Pull(ctx))
	p, ok := e.rb.Product("LUE-1")
	if !ok || rep.RackbeatCreated != 1 || p.Group != 2 || !p.SalesPrice.Equal(dec("100")) || !p.CostPrice.Equal(dec("30")) || p.WeightUnit != "g" {
		t.Fatalf("got %+v (%+v)", p, rep)
	}
	// The cursor was saved: the next pull reads nothing new and writes nothing.
	if c, ok, _ := e.store.Cursor(ctx, "shop", PullCursorFlow); !ok || c == "" {
		t.Fatal("pull cursor not saved")
	}
	before := e.nonGET()
	mustReport(t)(e.prods.Pull(ctx))
	if e.nonGET() != before {
		t.Fatal("a second pull wrote to Rackbeat")
	}
}

// Shopbox seed, "Kategorier" and "Standard Shopbox-gruppe".
func TestCategoryGroups(t *testing.T) {
	e := newEnv(t, 0, "shopbox", func(s *config.ProductsSettings) {
		s.Direction = DirChannel
		s.Categories = map[string]int{"Klær": 2}
		s.DefaultCategoryGroup = 1
	}, nil)
	ctx := context.Background()
	e.ch.add(sdk.Product{Title: "Genser", Category: "Klær", Variants: []sdk.Variant{{SKU: "G-1", Price: sdk.MustMoney("250", "NOK")}}})
	e.ch.add(sdk.Product{Title: "Ball", Category: "Leker", Variants: []sdk.Variant{{SKU: "B-1", Price: sdk.MustMoney("50", "NOK")}}})
	mustReport(t)(e.prods.Pull(ctx))
	g, _ := e.rb.Product("G-1")
	b, _ := e.rb.Product("B-1")
	if g.Group != 2 || b.Group != 1 {
		t.Fatalf("Klær → group %d (want 2), Leker → group %d (want the default 1)", g.Group, b.Group)
	}
}

func fieldIDs(t *testing.T, e *env) (uid, variation int) {
	t.Helper()
	uid, variation, ok := e.rb.ShopboxFieldIDs()
	if !ok {
		t.Fatal("the sandbox has no Shopbox id fields")
	}
	return uid, variation
}

// Shopbox seed, "Shopbox UID felt ID" and "Shopbox variasjonsfelt ID".
func TestShopboxUIDFields(t *testing.T) {
	e := newEnv(t, 5, "shopbox", nil, nil)
	uid, variation := fieldIDs(t, e)
	e.prods.Rules.UIDField, e.prods.Rules.VariationField = int64(uid), int64(variation)
	ctx := context.Background()
	mustReport(t)(e.prods.Reconcile(ctx))
	sku := e.cat.Products[0].Variants[0].SKU
	p, v, _ := e.ch.bySKU(sku)
	rp, _ := e.rb.Product(sku)
	if rp.FieldValues[uid] != p.ID || rp.FieldValues[variation] != v.ID {
		t.Fatalf("fields %v, want uid %s variation %s", rp.FieldValues, p.ID, v.ID)
	}
	// Writing the ids changed Rackbeat, but its webhook is not an edit.
	before := e.channelWrites()
	rep := mustReport(t)(e.prods.PushSKU(ctx, sku))
	if e.channelWrites() != before || rep.Unchanged != 1 {
		t.Fatalf("the id write echoed: %+v", rep)
	}
}

// Shopbox seed, "Opprett strukturvarer fra Rackbeat i Shopbox".
func TestCreateBOMsInShopbox(t *testing.T) {
	e := newEnv(t, 5, "shopbox", func(s *config.ProductsSettings) { s.CreateBOMs = true }, nil)
	e.prods.CreateBOMs = true
	ctx := context.Background()
	a, b := e.cat.Products[0].Variants[0].SKU, e.cat.Products[1].Variants[0].SKU
	if _, err := e.client.CreateLot(ctx, rackbeat.LotInput{Number: "KIT1", Name: "Gavesett", Group: 1, SalesPrice: ptr(dec("80")),
		Lines: []rackbeat.LotLine{{ProductID: a, Quantity: dec("2")}, {ProductID: b, Quantity: dec("1")}}}); err != nil {
		t.Fatal(err)
	}
	rep := mustReport(t)(e.prods.PushSKU(ctx, "KIT1"))
	p, v, ok := e.ch.bySKU("KIT1")
	if !ok || !p.IsBOM || len(p.BOMLines) != 2 || p.BOMLines[0].Quantity != 2 || !v.Price.Amount.Equal(dec("100")) || rep.ChannelCreated != 1 {
		t.Fatalf("bundle %+v (%+v)", p, rep)
	}
	// Without the setting, a BOM stays in Rackbeat.
	e.prods.CreateBOMs = false
	if _, err := e.client.CreateLot(ctx, rackbeat.LotInput{Number: "KIT2", Name: "Sett 2", Group: 1, Lines: []rackbeat.LotLine{{ProductID: a, Quantity: dec("1")}}}); err != nil {
		t.Fatal(err)
	}
	mustReport(t)(e.prods.PushSKU(ctx, "KIT2"))
	if _, _, ok := e.ch.bySKU("KIT2"); ok {
		t.Fatal("a BOM was created without create_boms")
	}
}

func ptr[T any](v T) *T { return &v }

// Shopbox seed, "Begge veier": an edit on either side reaches the other,
// and the flow's own write never comes back.
func TestContinuousSyncBothNoEcho(t *testing.T) {
	e := newEnv(t, 10, "shopbox", func(s *config.ProductsSettings) { s.Direction = DirBoth }, nil)
	ctx := context.Background()
	mustReport(t)(e.prods.Reconcile(ctx))
	sku := e.cat.Products[2].Variants[0].SKU

	e.ch.edit(sku, func(p *sdk.Product, v *sdk.Variant) { v.Price = sdk.MustMoney("500.00", "SEK") })
	rep := mustReport(t)(e.prods.Pull(ctx))
	if rp, _ := e.rb.Product(sku); rep.RackbeatUpdated != 1 || !rp.SalesPrice.Equal(dec("400")) {
		t.Fatalf("channel edit not carried: %+v, Rackbeat price %v", rep, rp.SalesPrice)
	}
	// Rackbeat's product.updated webhook for our own write.
	before := e.channelWrites()
	rep = mustReport(t)(e.prods.PushSKU(ctx, sku))
	if e.channelWrites() != before || rep.Writes != 0 {
		t.Fatalf("our write to Rackbeat echoed back to the channel: %+v", rep)
	}
	// And the other way round.
	if _, err := e.client.UpdateProduct(ctx, sku, rackbeat.ProductInput{Description: ptr("Ny tekst")}); err != nil {
		t.Fatal(err)
	}
	mustReport(t)(e.prods.PushSKU(ctx, sku))
	rbWrites := e.nonGET()
	rep = mustReport(t)(e.prods.Pull(ctx))
	if e.nonGET() != rbWrites || rep.RackbeatUpdated != 0 {
		t.Fatalf("our write to the channel echoed back to Rackbeat: %+v", rep)
	}
	if p, _, _ := e.ch.bySKU(sku); p.Description != "Ny tekst" {
		t.Fatalf("description %q", p.Description)
	}
}

// With direction both, 200 random edits on both sides converge to one
// catalogue, and a write is never answered by a write back.
func TestBothConvergesWithoutPingPong(t *testing.T) {
	e := newEnv(t, 30, "shopify", func(s *config.ProductsSettings) { s.Direction = DirBoth }, nil)
	ctx := context.Background()
	mustReport(t)(e.prods.Reconcile(ctx))
	skus := e.cat.SKUs()
	rng := rand.New(rand.NewPCG(1, 2))
	var pushed []string
	for i := 0; i < 200; i++ {
		sku := skus[rng.IntN(len(skus))]
		price := fmt.Sprintf("%d.%02d", 10+rng.IntN(500), rng.IntN(100))
		if rng.IntN(2) == 0 {
			if _, err := e.client.UpdateProduct(ctx, sku, rackbeat.ProductInput{SalesPrice: ptr(dec(price)), Description: ptr("rb " + price)}); err != nil {
				t.Fatal(err)
			}
			pushed = append(pushed, sku)
		} else {
			e.ch.edit(sku, func(p *sdk.Product, v *sdk.Variant) {
				v.Price = sdk.MustMoney(price, "SEK")
				v.Cost = sdk.MustMoney("1."+price[len(price)-2:], "SEK")
			})
		}
	}
	e.rb.ResetRequestCounts()
	startCh := e.ch.productWrites
	var total Report
	total.add(mustReport(t)(e.prods.PushSKUs(ctx, pushed))) // the webhooks
	total.add(mustReport(t)(e.prods.Pull(ctx)))             // the scheduled pull
	total.add(mustReport(t)(e.prods.Reconcile(ctx)))
	// Converged: another round finds nothing.
	again := mustReport(t)(e.prods.Reconcile(ctx))
	if again.Writes != 0 || again.ChannelUpdated+again.RackbeatUpdated != 0 {
		t.Fatalf("not converged: %+v", again)
	}
	for _, sku := range skus {
		rp, _ := e.rb.Product(sku)
		_, v, _ := e.ch.bySKU(sku)
		if !v.Price.Amount.Equal(mapping.PriceToChannel(rp.SalesPrice.Decimal, true, dec("0.25"), "SEK")) {
			t.Fatalf("%s: channel %v, Rackbeat %v", sku, v.Price, rp.SalesPrice)
		}
	}
	// Each SKU edited is written at most once per side: no ping-pong.
	itemWrites := total.ChannelUpdated + total.RackbeatUpdated
	if itemWrites > len(skus)*2 || itemWrites == 0 {
		t.Fatalf("%d item writes for %d SKUs: %+v", itemWrites, len(skus), total)
	}
	t.Logf("200 edits → %d channel item writes, %d Rackbeat writes, %d conflicts", e.ch.productWrites-startCh, total.RackbeatUpdated, total.Conflicts)
}

func TestInitialSyncOnlyOnce(t *testing.T) {
	e := newEnv(t, 0, "shopbox", func(s *config.ProductsSettings) { s.Direction = DirBoth }, nil)
	ctx := context.Background()
	for i := 0; i < 7; i++ {
		sku := fmt.Sprintf("IS-%d", i)
		e.ch.add(sdk.Product{Title: "Vare " + sku, Variants: []sdk.Variant{{SKU: sku, Price: sdk.MustMoney("12.50", "NOK")}}})
		e.ch.setStock(sku, "101", int64(i+1))
	}
	var progress [][2]int64
	is := &InitialSync{Link: "shop", Mode: "channel", Stock: true, Rules: e.prods.Rules, Locations: e.stock.Locations,
		Channel: e.ch, Inventory: e.client, Store: e.store, PageSize: 3,
		Progress: func(done, total int64) { progress = append(progress, [2]int64{done, total}) }}
	rep, err := is.Run(ctx, false)
	if err != nil || rep.Created != 7 || rep.StockRows != 7 {
		t.Fatalf("%+v %v", rep, err)
	}
	if got := e.rb.Stock("IS-6"); got[1] != 7 {
		t.Fatalf("stock of IS-6 in Rackbeat: %v", got)
	}
	if len(progress) != 3 || progress[2] != [2]int64{7, 7} {
		t.Fatalf("progress %v", progress)
	}
	_, err = is.Run(ctx, false)
	var ran state.ErrInitialSyncRan
	if !errors.As(err, &ran) || !strings.Contains(err.Error(), "already ran at") {
		t.Fatalf("second run: %v", err)
	}
	// An operator may force it; nothing is duplicated.
	rep, err = is.Run(ctx, true)
	if err != nil || rep.Created != 0 || rep.Unchanged != 7 || rep.StockRows != 0 {
		t.Fatalf("forced: %+v %v", rep, err)
	}
	// "do not sync" is recorded too and cannot be changed later.
	none := *is
	none.Link, none.Mode = "other", "none"
	if _, err := none.Run(ctx, false); err != nil {
		t.Fatal(err)
	}
	none.Mode = "channel"
	if _, err := none.Run(ctx, false); !errors.As(err, &ran) {
		t.Fatalf("changing none afterwards: %v", err)
	}
}

// A crash half-way: the next run resumes from the cursor.
func TestInitialSyncResumes(t *testing.T) {
	e := newEnv(t, 0, "shopify", func(s *config.ProductsSettings) { s.Direction = DirChannel }, nil)
	ctx := context.Background()
	for i := 0; i < 6; i++ {
		e.ch.add(sdk.Product{Title: "x", Variants: []sdk.Variant{{SKU: fmt.Sprintf("R-%d", i), Price: sdk.MustMoney("1", "SEK")}}})
	}
	boom := errors.New("killed")
	is := &InitialSync{Link: "shop", Mode: "channel", Rules: e.prods.Rules, Channel: e.ch, Inventory: e.client, Store: e.store, PageSize: 2}
	is.Progress = func(done, _ int64) {
		if done == 4 {
			panic(boom)
		}
	}
	func() {
		defer func() { _ = recover() }()
		_, _ = is.Run(ctx, false)
	}()
	is.Progress = nil
	rep, err := is.Run(ctx, false)
	if err != nil || !rep.Resumed || rep.Created != 2 || rbProductCount(e) != 6 {
		t.Fatalf("resume: %+v %v, Rackbeat has %d", rep, err, rbProductCount(e))
	}
}

// A plan reads both sides and writes nothing anywhere; after the sync it
// carries out, a plan is empty.
func TestPlanWritesNothing(t *testing.T) {
	e := newEnv(t, 10, "shopify", func(s *config.ProductsSettings) { s.Direction = DirBoth }, nil)
	ctx := context.Background()
	e.ch.add(sdk.Product{Title: "Bare i butikken", Variants: []sdk.Variant{{SKU: "ONLY-CH", Price: sdk.MustMoney("10", "SEK")}}})
	e.ch.add(sdk.Product{Title: "Uten SKU", Variants: []sdk.Variant{{Price: sdk.MustMoney("10", "SEK")}}})
	e.rb.ResetRequestCounts()
	plan, err := Plan(ctx, LinkFlows{Link: "shop", Products: e.prods, Stock: e.stock})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.nonGET(); n != 0 || e.channelWrites() != 0 {
		t.Fatalf("the plan wrote: %d Rackbeat requests, %d channel writes", n, e.channelWrites())
	}
	if bs, _ := e.store.ProductBindings(ctx, "shop", "", 10); len(bs) != 0 {
		t.Fatal("the plan wrote bindings")
	}
	if plan.Products.ChannelCreated != rbProductCount(e)+1 || plan.Products.RackbeatCreated != 1 || plan.Products.Unmatched != 1 {
		t.Fatalf("plan %+v", plan.Products)
	}
	text := plan.String()
	if !strings.Contains(text, "ONLY-CH") || !strings.Contains(text, "create_in_rackbeat") || !strings.Contains(text, "no SKU") {
		t.Fatalf("plan text:\n%s", text)
	}
	if _, err := json.Marshal(plan); err != nil {
		t.Fatal(err)
	}
	mustReport(t)(e.prods.Reconcile(ctx))
	plan, _ = Plan(ctx, LinkFlows{Link: "shop", Products: e.prods})
	if plan.Products.ChannelCreated+plan.Products.ChannelUpdated+plan.Products.RackbeatCreated+plan.Products.RackbeatUpdated != 0 {
		t.Fatalf("after the sync the plan still has work:\n%s", plan)
	}
}

// Direction both: a pull page read before a push wrote the same product
// must not carry its old version to Rackbeat over the newer one; the flow
// reads such a product again.
func TestBothPullPageOlderThanAPushIsReadAgain(t *testing.T) {
	e := newEnv(t, 5, "shopify", func(s *config.ProductsSettings) { s.Direction = DirBoth }, nil)
	ctx := context.Background()
	mustReport(t)(e.prods.Reconcile(ctx))
	sku := e.cat.Products[1].Variants[0].SKU

	// The merchant edits the price; a pull reads that page ...
	e.ch.edit(sku, func(p *sdk.Product, v *sdk.Variant) { v.Price = sdk.MustMoney("500.00", "SEK") })
	var stale sdk.ProductPage
	if err := e.ch.ReadProducts(ctx, sdk.ReadRequest{SKUs: []string{sku}}, func(p sdk.ProductPage) error { stale = p; return nil }); err != nil {
		t.Fatal(err)
	}
	// ... but before it takes the flow's turn, a later Rackbeat edit is
	// pushed and wins (the in-memory channel's clock is in the past).
	if _, err := e.client.UpdateProduct(ctx, sku, rackbeat.ProductInput{SalesPrice: ptr(dec("100"))}); err != nil {
		t.Fatal(err)
	}
	mustReport(t)(e.prods.PushSKU(ctx, sku))
	rbWrites := e.nonGET()
	rep := mustReport(t)(e.prods.PullPage(ctx, stale))
	if rp, _ := e.rb.Product(sku); e.nonGET() != rbWrites || !rp.SalesPrice.Equal(dec("100")) {
		t.Fatalf("the stale page reached Rackbeat: price %v, %+v", rp.SalesPrice, rep)
	}
	if _, v, _ := e.ch.bySKU(sku); !v.Price.Amount.Equal(dec("125")) {
		t.Fatalf("channel price %v, want 125.00", v.Price)
	}
}

// A reconciliation reads the channel's catalogue once and reads by SKU
// (dear on Shopify) only what moved on either side since the last
// agreement.
func TestReconcileReadsBySKUOnlyWhatMoved(t *testing.T) {
	e := newEnv(t, 20, "shopify", func(s *config.ProductsSettings) { s.Direction = DirBoth }, nil)
	ctx := context.Background()
	mustReport(t)(e.prods.Reconcile(ctx))
	e.ch.mu.Lock()
	e.ch.skuReads = 0
	e.ch.mu.Unlock()
	if rep := mustReport(t)(e.prods.Reconcile(ctx)); rep.Writes != 0 {
		t.Fatalf("second reconciliation wrote: %+v", rep)
	}
	if e.ch.skuReads != 0 {
		t.Fatalf("an agreed catalogue was read by SKU: %d SKUs", e.ch.skuReads)
	}
	a, b := e.cat.Products[3].Variants[0].SKU, e.cat.Products[7].Variants[0].SKU
	e.ch.edit(a, func(p *sdk.Product, v *sdk.Variant) { v.Price = sdk.MustMoney("500.00", "SEK") })
	if _, err := e.client.UpdateProduct(ctx, b, rackbeat.ProductInput{Description: ptr("Ny")}); err != nil {
		t.Fatal(err)
	}
	rep := mustReport(t)(e.prods.Reconcile(ctx))
	if e.ch.skuReads != 2 || rep.RackbeatUpdated != 1 || rep.ChannelUpdated != 1 {
		t.Fatalf("after one edit on each side: %d SKUs read by SKU (want 2), %+v", e.ch.skuReads, rep)
	}
}
