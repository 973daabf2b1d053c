package flow

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/mapping"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
	"github.com/shopbridge/shopbridge/sdk"
)

// BenchmarkInitialSync measures products/second of an initial sync from a
// channel into the Rackbeat sandbox with a real SQLite store, and the
// host's peak memory while it runs, which must not grow with the catalogue
// beyond the bindings (issue 7).
//
// The memory figures are the host's alone: the Rackbeat sandbox runs in a
// child process (this test binary again, see TestInitialSyncSandboxProcess)
// and the channel generates its products page by page instead of holding
// them, so neither one's catalogue is counted. "new" starts from an empty
// Rackbeat (every product is created); "existing" from a Rackbeat that has
// every product already, one in ten with another price (read once, compared
// locally, the tenth updated); "existing-id-fields" the same for a link
// that names custom fields for the channel's ids (Shopbox), so the
// catalogue is read with its field values: Rackbeat holds the right ids
// for all but one product in ten (another tenth than the prices), whose
// ids the sync writes.
//
// Metrics: products/s; peak-heap-MiB, the largest heap in use (live and
// not yet swept objects, runtime/metrics /memory/classes/heap/objects:bytes)
// sampled every 2 ms; peak-live-MiB, the largest live heap any GC of the
// run found (/gc/heap/live:bytes), the figure that does not depend on when
// the GC ran; live-B/product, that peak above the heap live before the
// run, per product; peak-RSS-MiB, the process's VmHWM over the run (it
// counts SQLite's page cache and the Go runtime, not only the heap).
//
//	go test -run ^$ -timeout 20m -bench InitialSync -benchtime 1x ./core/flow/
//
// "index-N" measures the one part of the host's memory that grows with
// the catalogue, the index of Rackbeat's products the sync compares
// against (index-B/product: the heap it keeps, per product), up to
// 1,000,000; "index-id-fields-1000000" the same index for a link that
// names custom fields for the channel's ids (Shopbox), which adds a
// fingerprint of them per product. SHOPBRIDGE_BENCH_1M=1 adds a whole sync of 1,000,000 new
// products (about seven minutes); there is no existing-1000000: the
// sandbox scans its catalogue on every request, so it would take hours.
func BenchmarkInitialSync(b *testing.B) {
	for _, kind := range []string{"new", "existing", "existing-id-fields"} {
		sizes := []int{10000, 100000}
		if kind == "new" && os.Getenv("SHOPBRIDGE_BENCH_1M") != "" {
			sizes = append(sizes, 1000000)
		}
		for _, n := range sizes {
			b.Run(kind+"-"+strconv.Itoa(n), func(b *testing.B) {
				if n > 10000 && testing.Short() {
					b.Skip("only 10,000 products in -short")
				}
				for i := 0; i < b.N; i++ {
					benchInitialSync(b, n, kind != "new", kind == "existing-id-fields")
				}
			})
		}
	}
	for _, n := range []int{10000, 100000, 1000000} {
		b.Run("index-"+strconv.Itoa(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchIndex(b, n, false)
			}
		})
	}
	// A Shopbox link names two custom fields for the channel's ids; the
	// index then keeps a fingerprint of them per product too.
	b.Run("index-id-fields-1000000", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			benchIndex(b, 1000000, true)
		}
	})
}

// benchIndex indexes n Rackbeat products as loadIndex does, a page of
// decoded products at a time, and reports the heap the index keeps.
// idFields gives the products and the index the two custom fields of a
// Shopbox link (Shopbox uids of eight digits).
func benchIndex(b *testing.B, n int, idFields bool) {
	b.StopTimer()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stop := sampleHeap()
	start := time.Now()
	b.StartTimer()
	const uidField, variationField = 7, 8
	x := newCatalogueIndex()
	if idFields {
		x = newCatalogueIndex(uidField, variationField)
	}
	page := make([]rackbeat.Product, 0, 100)
	for j := 0; j < n; j += 100 {
		page = page[:0]
		for k := j; k < min(j+100, n); k++ {
			page = append(page, rackbeat.Product{Number: fmt.Sprintf("B-%07d", k), Name: "Vare " + strconv.Itoa(k),
				Description: genDescription, Barcode: fmt.Sprintf("57%011d", k), SalesPrice: decimal.New(10000+int64(k%997), -2),
				CostPrice: decimal.New(4000, -2), InventoryEnabled: true, Physical: rackbeat.Physical{Weight: decimal.New(4, -1), WeightUnit: "kg"}})
			if idFields {
				page[len(page)-1].FieldValues = []rackbeat.FieldValue{{FieldID: uidField, Value: strconv.Itoa(10000000 + k)}, {FieldID: variationField, Value: strconv.Itoa(20000000 + k)}}
			}
		}
		if j == 0 {
			x.grow(n, len(page[0].Number)+2)
		}
		for _, p := range page {
			if err := x.add(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	x.build()
	b.StopTimer()
	elapsed := time.Since(start)
	peakHeap, _ := stop()
	page = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	if _, ok := x.find(fmt.Sprintf("B-%07d", n-1)); !ok || x.Len() != n {
		b.Fatalf("index of %d products holds %d", n, x.Len())
	}
	kept := float64(after.HeapAlloc) - float64(before.HeapAlloc)
	b.ReportMetric(kept/float64(n), "index-B/product")
	b.ReportMetric(kept/(1<<20), "index-MiB")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "products/s")
	runtime.KeepAlive(x)
}

func benchInitialSync(b *testing.B, n int, existing, idFields bool) {
	b.StopTimer()
	have := 0
	if existing {
		have = n
	}
	base, fields := startSandboxProcess(b, have, idFields)
	client, err := rackbeat.New(base+"/api", "tok", rackbeat.WithRequestsPerMinute(1_000_000))
	if err != nil {
		b.Fatal(err)
	}
	db, err := state.Open(context.Background(), state.Options{Driver: state.DriverSQLite, Path: filepath.Join(b.TempDir(), "state.db"), SecretKey: make([]byte, 32)})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	settings := config.ProductsSettings{Direction: DirChannel, PricesExcludeVAT: true, VATRate: decimal.RequireFromString("0.25"), DefaultGroup: 1}
	if idFields {
		settings.UIDField, settings.VariationField = fields[0], fields[1]
	}
	rules, err := mapping.NewLinkRules("shopify", settings, "SEK", "links[0].products.rules")
	if err != nil {
		b.Fatal(err)
	}
	is := &InitialSync{Link: "shop", Mode: "channel", Rules: rules, Channel: &genChannel{n: n}, Inventory: client, Store: db}

	runtime.GC()
	debug.FreeOSMemory()
	liveBefore := readMetric(metricLive)
	// Writing 5 to clear_refs resets VmHWM, so the peak is this run's.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	stop := sampleHeap()
	start := time.Now()
	b.StartTimer()
	rep, err := is.Run(context.Background(), false)
	b.StopTimer()
	elapsed := time.Since(start)
	peakHeap, peakLive := stop()
	if err != nil {
		b.Fatal(err)
	}
	wantUpdated := 0
	if existing {
		wantUpdated = (n + 9) / 10
	}
	if idFields {
		wantUpdated += (n + 4) / 10
	}
	if rep.Created+rep.Updated+rep.Unchanged != n || rep.Updated != wantUpdated || (!existing && rep.Created != n) {
		b.Fatalf("report %+v; want %d products, %d updated", rep, n, wantUpdated)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "products/s")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(peakLive)/(1<<20), "peak-live-MiB")
	b.ReportMetric((float64(peakLive)-float64(liveBefore))/float64(n), "live-B/product")
	if hwm, ok := vmHWM(); ok {
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
	}
}

const (
	metricHeap = "/memory/classes/heap/objects:bytes"
	metricLive = "/gc/heap/live:bytes"
)

func readMetric(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// sampleHeap samples the heap every 2 ms until the returned function is
// called, which reports the largest heap in use and live heap seen.
func sampleHeap() func() (heap, live uint64) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var peakHeap, peakLive uint64
	s := []metrics.Sample{{Name: metricHeap}, {Name: metricLive}}
	sample := func() {
		metrics.Read(s)
		peakHeap = max(peakHeap, s[0].Value.Uint64())
		peakLive = max(peakLive, s[1].Value.Uint64())
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				sample()
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		return peakHeap, peakLive
	}
}

// vmHWM reads the process's peak resident set size.
func vmHWM() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

const sandboxProcessEnv = "SHOPBRIDGE_FLOW_BENCH_SANDBOX"

// startSandboxProcess runs the Rackbeat sandbox, seeded with the first
// existing products of genChannel, in a child process and returns its base
// URL and the ids of the two Shopbox id fields (idFields: the products
// hold the channel's ids in them). The child stops when the benchmark ends.
func startSandboxProcess(b *testing.B, existing int, idFields bool) (string, [2]int) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestInitialSyncSandboxProcess$", "-test.bench=^$", "-test.timeout=0")
	spec := strconv.Itoa(existing)
	if idFields {
		spec += ",id-fields"
	}
	cmd.Env = append(os.Environ(), sandboxProcessEnv+"="+spec)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close() // the child stops when its stdin closes
		if err := cmd.Wait(); err != nil {
			b.Logf("sandbox process: %v", err)
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "SANDBOX "); ok {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			var url string
			var fields [2]int
			if _, err := fmt.Sscan(rest, &url, &fields[0], &fields[1]); err != nil {
				b.Fatalf("the sandbox process said %q: %v", rest, err)
			}
			return url, fields
		}
	}
	b.Fatalf("the sandbox process did not say where it listens: %v", sc.Err())
	return "", [2]int{}
}

// TestInitialSyncSandboxProcess is the Rackbeat sandbox process of
// BenchmarkInitialSync; run by anything else it skips.
func TestInitialSyncSandboxProcess(t *testing.T) {
	spec := os.Getenv(sandboxProcessEnv)
	if spec == "" {
		t.Skip("the benchmark's sandbox process; nothing to test on its own")
	}
	count, opt, _ := strings.Cut(spec, ",")
	idFields := opt == "id-fields"
	n, err := strconv.Atoi(count)
	if err != nil {
		t.Fatal(err)
	}
	cat := &catalog.Catalog{
		Groups: []catalog.Group{
			{Number: 1, Name: "Varer m/lagerstrekk", HasInventory: true, VATPercent: 25},
			{Number: 2, Name: "Varer u/lagerstrekk", HasInventory: false, VATPercent: 25},
		},
		Locations: []catalog.Location{{Number: 1, Name: "Hovedlager"}},
		Products:  make([]catalog.Product, 0, n),
	}
	for j := 0; j < n; j++ {
		p, v := genProduct(j)
		// Rackbeat's prices exclude the channel's 25 % VAT: 125 → 100. One
		// product in ten differs, so the sync updates it.
		price := "100.00"
		if j%10 == 0 {
			price = "90.00"
		}
		cat.Products = append(cat.Products, catalog.Product{Number: v.SKU, Name: p.Title, Description: p.Description,
			Group: 1, SalesPrice: price, CostPrice: "0", Variants: []catalog.Variant{{SKU: v.SKU, Stock: map[int]int{1: 5}}}})
	}
	rb := rbsandbox.New(rbsandbox.Options{Catalog: cat, Tokens: []string{"tok"}, RequestsPerMinute: -1, Prerequisites: true})
	defer rb.Close()
	cat = nil
	var fields [2]int
	for _, f := range rb.Fields() {
		switch f.Name {
		case rbsandbox.FieldShopboxUID:
			fields[0] = f.ID
		case rbsandbox.FieldShopboxVariation:
			fields[1] = f.ID
		}
	}
	if idFields {
		// The channel's ids, but for one product in ten (not the tenth
		// whose price differs), whose ids the sync is to write.
		for j := 0; j < n; j++ {
			if j%10 == 5 {
				continue
			}
			p, v := genProduct(j)
			body := fmt.Sprintf(`{"number":%q,"field_values":[{"field_id":%d,"value":%q},{"field_id":%d,"value":%q}]}`, v.SKU, fields[0], p.ID, fields[1], v.ID)
			if _, err := rb.UpsertProduct([]byte(body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	srv := httptest.NewServer(rb)
	defer srv.Close()
	fmt.Printf("SANDBOX %s %d %d\n", srv.URL, fields[0], fields[1])
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// genDescription is a product description of realistic length, shared by
// every generated product so the channel holds nothing per product.
var genDescription = strings.Repeat("Laget av slitesterke materialer som tåler daglig bruk. ", 6)

// genProduct is the channel's product j: one variant, 125.00 SEK with VAT.
func genProduct(j int) (sdk.Product, sdk.Variant) {
	v := sdk.Variant{ID: "v" + strconv.Itoa(j), SKU: fmt.Sprintf("B-%07d", j), Price: sdk.MustMoney("125.00", "SEK")}
	return sdk.Product{ID: "p" + strconv.Itoa(j), Title: "Vare " + strconv.Itoa(j), Description: genDescription, Variants: []sdk.Variant{v}}, v
}

// genChannel is a channel of n generated products that holds none of them:
// each page is made when it is read, so the benchmark's heap is the host's.
type genChannel struct{ n int }

func (g *genChannel) ReadProducts(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error {
	from := 0
	if req.Cursor != "" {
		var err error
		if from, err = strconv.Atoi(req.Cursor); err != nil {
			return fmt.Errorf("bad cursor %q: %w", req.Cursor, err)
		}
	}
	size := req.PageSize
	if size <= 0 {
		size = 100
	}
	for from < g.n {
		to := min(from+size, g.n)
		page := sdk.ProductPage{Items: make([]sdk.Product, 0, to-from), Cursor: strconv.Itoa(to), Last: to == g.n, TotalEstimate: int64(g.n)}
		for j := from; j < to; j++ {
			p, _ := genProduct(j)
			page.Items = append(page.Items, p)
		}
		if err := emit(page); err != nil {
			return err
		}
		from = to
	}
	return nil
}

func (g *genChannel) ReadStock(ctx context.Context, req sdk.StockReadRequest, emit func(sdk.StockPage) error) error {
	page := sdk.StockPage{Last: true}
	for _, sku := range req.SKUs {
		page.Items = append(page.Items, sdk.StockLevel{SKU: sku, LocationID: "main", Quantity: 7})
	}
	return emit(page)
}
