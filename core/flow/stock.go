package flow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sdk"
)

// StockChannel is the channel side of the stock flow.
type StockChannel interface {
	ReadStock(ctx context.Context, req sdk.StockReadRequest, emit func(sdk.StockPage) error) error
	WriteStock(ctx context.Context, req sdk.StockWriteRequest) ([]sdk.StockWriteResult, error)
}

// StockInventory is the Rackbeat side of the stock flow.
type StockInventory interface {
	ProductLocations(ctx context.Context, number string) ([]rackbeat.LocationStock, error)
	ProductsPage(ctx context.Context, page, limit int, f rackbeat.Filter) (rackbeat.Page[rackbeat.Product], error)
}

// StockStore is what the stock flow keeps in the host's store.
type StockStore interface {
	LastStockWrite(ctx context.Context, link, sku, location string) (state.StockWrite, bool, error)
	RecordStockWrite(ctx context.Context, w state.StockWrite) error
	AddQuarantine(ctx context.Context, item state.QuarantineItem) (int64, error)
}

// Stock carries Rackbeat's stock to one link's channel (both seeds: only
// the available, "i lager", quantity; Rackbeat → channel only), through
// the link's location mapping. Rackbeat's number is read when the write
// is made, so however many changes came before, the channel gets the
// latest one.
type Stock struct {
	Link string
	// Quantity is "available" (the default) or "on_hand".
	Quantity  string
	Locations *LocationMap
	Channel   StockChannel
	Inventory StockInventory
	Store     StockStore
	Log       hclog.Logger
	// BatchSize is the most rows per WriteStock (default 250, Shopify's limit).
	BatchSize int

	mu sync.Mutex
}

// StockReport counts what a stock run did or would do.
type StockReport struct {
	Rows         int `json:"rows"`      // levels written (or to write)
	Unchanged    int `json:"unchanged"` // levels already right
	Batches      int `json:"batches"`   // WriteStock calls
	NotInChannel int `json:"not_in_channel"`
	Quarantined  int `json:"quarantined"`
	Replayed     int `json:"replayed"` // rows a retried batch had applied already
}

func (s *Stock) batchSize() int {
	if s.BatchSize > 0 && s.BatchSize <= 250 {
		return s.BatchSize
	}
	return 250
}

func (s *Stock) quantityName() sdk.QuantityName {
	if s.Quantity == "on_hand" {
		return sdk.QuantityOnHand
	}
	return sdk.QuantityAvailable
}

// levels turns Rackbeat's stock per location into the channel's levels,
// one per fed channel location ("all" sums every Rackbeat location).
func (s *Stock) levels(sku string, rows []rackbeat.LocationStock) []sdk.StockLevel {
	qty := func(r rackbeat.LocationStock) decimal.Decimal {
		if s.Quantity == "on_hand" {
			return r.InStock
		}
		return r.Available
	}
	var out []sdk.StockLevel
	feeds := s.Locations.Feeds()
	named := Named(feeds)
	for _, feed := range feeds {
		sum := decimal.Zero
		for _, r := range rows {
			if feed.Feeds(r.Location.Number, named) {
				sum = sum.Add(qty(r))
			}
		}
		// Fractions of a unit cannot be sold one by one.
		out = append(out, sdk.StockLevel{SKU: sku, LocationID: feed.Channel, Quantity: sum.IntPart()})
	}
	return out
}

func containsInt(xs []int64, x int64) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// PushSKUs carries the current Rackbeat stock of skus to the channel: the
// answer to inventory.changed. Repeated SKUs count once; a level equal to
// the one last written is not written again.
func (s *Stock) PushSKUs(ctx context.Context, skus []string) (StockReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows, rep, err := s.planPush(ctx, dedupe(skus))
	if err != nil {
		return rep, err
	}
	return s.write(ctx, rows, rep)
}

// planPush reads the current numbers and compares them with what was last
// written; it writes nothing.
func (s *Stock) planPush(ctx context.Context, skus []string) ([]sdk.StockWrite, StockReport, error) {
	var rep StockReport
	var rows []sdk.StockWrite
	for _, sku := range skus {
		loc, err := s.Inventory.ProductLocations(ctx, sku)
		if err != nil {
			if rackbeat.IsNotFound(err) {
				rep.NotInChannel++
				continue
			}
			return nil, rep, fmt.Errorf("stock: read Rackbeat stock of %q: %w", sku, err)
		}
		for _, lv := range s.levels(sku, loc) {
			last, ok, err := s.Store.LastStockWrite(ctx, s.Link, sku, lv.LocationID)
			if err != nil {
				return nil, rep, err
			}
			if ok && last.Quantity == lv.Quantity {
				rep.Unchanged++
				continue
			}
			w := sdk.StockWrite{Key: rowKey(lv), Level: lv}
			if ok {
				q := last.Quantity
				w.Expected = &q
			}
			rows = append(rows, w)
		}
	}
	return rows, rep, nil
}

func rowKey(l sdk.StockLevel) string { return l.SKU + "@" + l.LocationID }

// IdempotencyKey is the key of one batch: the same link and rows give the
// same key, so a retried batch is applied once.
func IdempotencyKey(link string, rows []sdk.StockWrite) string {
	h := sha256.New()
	h.Write([]byte(link))
	for _, r := range rows {
		exp := "-"
		if r.Expected != nil {
			exp = strconv.FormatInt(*r.Expected, 10)
		}
		fmt.Fprintf(h, "\n%q %q %d %s", r.Level.SKU, r.Level.LocationID, r.Level.Quantity, exp)
	}
	return "stock:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// write sends rows in batches and records each level written.
func (s *Stock) write(ctx context.Context, rows []sdk.StockWrite, rep StockReport) (StockReport, error) {
	sort.Slice(rows, func(i, j int) bool { return rows[i].Key < rows[j].Key })
	for start := 0; start < len(rows); start += s.batchSize() {
		batch := rows[start:min(start+s.batchSize(), len(rows))]
		retry, err := s.writeBatch(ctx, batch, &rep)
		if err != nil {
			return rep, err
		}
		// Rows whose compare-and-set lost (the channel sold something since
		// our last write) go once more against the channel's own number.
		if len(retry) > 0 {
			if _, err := s.writeBatch(ctx, retry, &rep); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

func (s *Stock) writeBatch(ctx context.Context, batch []sdk.StockWrite, rep *StockReport) ([]sdk.StockWrite, error) {
	key := IdempotencyKey(s.Link, batch)
	rep.Batches++
	results, err := s.Channel.WriteStock(ctx, sdk.StockWriteRequest{IdempotencyKey: key, Rows: batch, Quantity: s.quantityName()})
	if err != nil {
		return nil, fmt.Errorf("stock: write %d levels to the channel (retry with the same rows; key %s): %w", len(batch), key, err)
	}
	byKey := make(map[string]sdk.StockWriteResult, len(results))
	for _, r := range results {
		byKey[r.Key] = r
	}
	var retry []sdk.StockWrite
	for _, row := range batch {
		res, ok := byKey[row.Key]
		if !ok {
			return nil, fmt.Errorf("stock: the channel answered no result for %s", row.Key)
		}
		if res.Err != nil {
			switch res.Err.Class {
			case sdk.ClassNotFound:
				rep.NotInChannel++
			case sdk.ClassConflict:
				if row.Expected != nil {
					// Once more against the number the channel holds now.
					again, p := row, res.Previous
					again.Expected = &p
					retry = append(retry, again)
					continue
				}
				fallthrough
			default:
				if res.Err.Temporary() {
					return nil, fmt.Errorf("stock: write %s: %w", row.Key, res.Err)
				}
				rep.Quarantined++
				if _, err := s.Store.AddQuarantine(ctx, state.QuarantineItem{Link: s.Link, Flow: "stock", Key: row.Key,
					Reason: "the channel refused stock level " + strconv.FormatInt(row.Level.Quantity, 10) + " for " + row.Key + ": " + res.Err.Error() + ": check the SKU and location mapping (stock.locations)"}); err != nil {
					return nil, err
				}
			}
			continue
		}
		if res.Replayed {
			rep.Replayed++
		}
		rep.Rows++
		if err := s.Store.RecordStockWrite(ctx, state.StockWrite{Link: s.Link, SKU: row.Level.SKU, Location: row.Level.LocationID,
			Quantity: row.Level.Quantity, IdempotencyKey: key}); err != nil {
			return nil, err
		}
	}
	return retry, nil
}

// Reconcile compares every Rackbeat product's stock with the channel's and
// writes the levels that drifted, with the channel's own number as the
// compare-and-set expectation.
func (s *Stock) Reconcile(ctx context.Context) (StockReport, error) {
	var rep StockReport
	err := s.walk(ctx, &rep, func(rows []sdk.StockWrite) error {
		var err error
		rep, err = s.write(ctx, rows, rep)
		return err
	})
	return rep, err
}

// walk reads Rackbeat a page at a time, reads the channel's levels of the
// same SKUs, and hands the differing rows to each.
func (s *Stock) walk(ctx context.Context, rep *StockReport, each func([]sdk.StockWrite) error) error {
	feeds := s.Locations.Feeds()
	onlyTotals := len(feeds) == 1 && feeds[0].All
	for page := 1; ; page++ {
		last, err := s.walkPage(ctx, page, feeds, onlyTotals, rep, each)
		if err != nil || last {
			return err
		}
	}
}

// walkPage compares and writes one page of Rackbeat's catalogue. It holds
// the flow's lock from the reads to the writes, so a push of a SKU that
// moved meanwhile waits for this page and then writes the newer number —
// and a long reconciliation never makes pushes wait for all of it.
func (s *Stock) walkPage(ctx context.Context, page int, feeds []Feed, onlyTotals bool, rep *StockReport, each func([]sdk.StockWrite) error) (last bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pg, err := s.Inventory.ProductsPage(ctx, page, 100, rackbeat.Filter{})
	if err != nil {
		return false, fmt.Errorf("stock: read Rackbeat products page %d: %w", page, err)
	}
	skus := make([]string, 0, len(pg.Items))
	for _, p := range pg.Items {
		if p.Type == "" || p.Type == "product" {
			skus = append(skus, p.Number)
		}
	}
	have := map[string]int64{}
	if len(skus) > 0 {
		err = s.Channel.ReadStock(ctx, sdk.StockReadRequest{ReadRequest: sdk.ReadRequest{SKUs: skus}, LocationIDs: s.Locations.ChannelLocations(), Quantity: s.quantityName()},
			func(p sdk.StockPage) error {
				for _, l := range p.Items {
					have[rowKey(sdk.StockLevel{SKU: l.SKU, LocationID: l.LocationID})] = l.Quantity
				}
				return nil
			})
		if err != nil {
			return false, fmt.Errorf("stock: read the channel's stock: %w", err)
		}
	}
	var rows []sdk.StockWrite
	for _, p := range pg.Items {
		if !containsStr(skus, p.Number) {
			continue
		}
		var levels []sdk.StockLevel
		if onlyTotals {
			// The product list carries the totals over every location,
			// which is all an "all" link needs: no request per product.
			q := p.AvailableQuantity
			if s.Quantity == "on_hand" {
				q = p.StockQuantity
			}
			levels = []sdk.StockLevel{{SKU: p.Number, LocationID: feeds[0].Channel, Quantity: q.IntPart()}}
		} else {
			loc, err := s.Inventory.ProductLocations(ctx, p.Number)
			if err != nil {
				return false, fmt.Errorf("stock: read Rackbeat stock of %q: %w", p.Number, err)
			}
			levels = s.levels(p.Number, loc)
		}
		for _, lv := range levels {
			cur, ok := have[rowKey(lv)]
			if !ok {
				rep.NotInChannel++
				continue
			}
			if cur == lv.Quantity {
				rep.Unchanged++
				continue
			}
			c := cur
			rows = append(rows, sdk.StockWrite{Key: rowKey(lv), Level: lv, Expected: &c})
		}
	}
	if len(rows) > 0 {
		if err := each(rows); err != nil {
			return false, err
		}
	}
	return pg.Last() || len(pg.Items) == 0, nil
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Coalescer gathers inventory.changed SKUs and pushes them together: a
// burst of changes to one SKU becomes one write of its latest number.
type Coalescer struct {
	Stock *Stock
	mu    sync.Mutex
	set   map[string]struct{}
}

// Add notes SKUs whose stock moved.
func (c *Coalescer) Add(skus ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set == nil {
		c.set = map[string]struct{}{}
	}
	for _, s := range skus {
		c.set[s] = struct{}{}
	}
}

// Flush pushes every SKU noted since the last flush.
func (c *Coalescer) Flush(ctx context.Context) (StockReport, error) {
	c.mu.Lock()
	skus := make([]string, 0, len(c.set))
	for s := range c.set {
		skus = append(skus, s)
	}
	c.set = nil
	c.mu.Unlock()
	if len(skus) == 0 {
		return StockReport{}, nil
	}
	sort.Strings(skus)
	rep, err := c.Stock.PushSKUs(ctx, skus)
	if err != nil {
		c.Add(skus...) // try them again at the next flush
	}
	return rep, err
}

// Run flushes every interval until ctx ends (Rackbeat's own stock sync
// waits about a minute; a few seconds is plenty to gather a burst).
func (c *Coalescer) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if _, err := c.Flush(ctx); err != nil && c.Stock.Log != nil {
				c.Stock.Log.Warn("stock push failed; retried at the next flush", "error", err)
			}
		}
	}
}
