package shopbox

import (
	"container/list"
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/shopbridge/shopbridge/plugins/shopbox/api"
	"github.com/shopbridge/shopbridge/sdk"
)

// appliedCapacity bounds the idempotency record of one link: the keys of
// this many rows are remembered, oldest forgotten first.
const appliedCapacity = 100_000

// bulkReadThreshold is how many rows of one branch make a batch read the
// branch's whole inventory instead of one query per row.
const bulkReadThreshold = 25

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ReadStock reads the stock of every unit at every branch (or the branches
// asked for), a branch at a time. LocationID is the branch uid.
func (l *Link) ReadStock(ctx context.Context, req sdk.StockReadRequest, emit func(sdk.StockPage) error) error {
	var cur stockCursor
	if err := decodeCursor("s", req.Cursor, &cur); err != nil {
		return err
	}
	branches, err := l.stockBranches(ctx, req.LocationIDs)
	if err != nil {
		return err
	}
	if len(req.SKUs) > 0 || len(req.IDs) > 0 {
		return l.readStockFiltered(ctx, req, branches, emit)
	}
	per := l.pageSize(req.PageSize)
	if cur.Page < 1 {
		cur.Page = 1
	}
	for cur.Branch < len(branches) {
		b := branches[cur.Branch]
		p, err := l.c.Inventories(ctx, api.InventoryQuery{Branch: b}, cur.Page, per)
		if err != nil {
			return err
		}
		levels := make([]sdk.StockLevel, 0, len(p.Items))
		for _, r := range p.Items {
			levels = append(levels, stockLevel(r))
		}
		next := cur
		if p.Pagination.More() && len(p.Items) > 0 {
			next.Page++
		} else {
			next = stockCursor{Branch: cur.Branch + 1, Page: 1}
		}
		last := next.Branch >= len(branches)
		if err := emit(sdk.StockPage{Items: levels, Cursor: encodeCursor("s", next), Last: last}); err != nil {
			return err
		}
		if last {
			return nil
		}
		cur = next
	}
	return emit(sdk.StockPage{Cursor: encodeCursor("s", cur), Last: true})
}

// readStockFiltered reads the levels of some SKUs (one query per SKU and
// branch) or of some variant ids (a scan, filtered).
func (l *Link) readStockFiltered(ctx context.Context, req sdk.StockReadRequest, branches []int, emit func(sdk.StockPage) error) error {
	var out []sdk.StockLevel
	ids := map[string]bool{}
	for _, id := range req.IDs {
		ids[id] = true
	}
	for _, b := range branches {
		queries := []api.InventoryQuery{{Branch: b}}
		if len(req.SKUs) > 0 {
			queries = queries[:0]
			for _, sku := range req.SKUs {
				queries = append(queries, api.InventoryQuery{Branch: b, SKU: sku})
			}
		}
		for _, q := range queries {
			for page := 1; ; page++ {
				p, err := l.c.Inventories(ctx, q, page, api.MaxPerPage)
				if err != nil {
					return err
				}
				for _, r := range p.Items {
					lv := stockLevel(r)
					if len(ids) == 0 || ids[lv.VariantID] || ids[lv.InventoryItemID] {
						out = append(out, lv)
					}
				}
				if !p.Pagination.More() || len(p.Items) == 0 {
					break
				}
			}
		}
	}
	return emit(sdk.StockPage{Items: out, Cursor: req.Cursor, Last: true})
}

func (l *Link) stockBranches(ctx context.Context, locationIDs []string) ([]int, error) {
	var out []int
	if len(locationIDs) == 0 {
		bs, err := l.loadBranches(ctx, true)
		if err != nil {
			return nil, err
		}
		for _, b := range bs {
			out = append(out, b.UID)
		}
		return out, nil
	}
	seen := map[int]bool{}
	for _, id := range locationIDs {
		b, err := l.branchOf(ctx, id)
		if err != nil {
			return nil, err
		}
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	sort.Ints(out)
	return out, nil
}

func stockLevel(r api.InventoryRow) sdk.StockLevel {
	variant := strconv.Itoa(r.Product)
	if r.ProductVariance != nil && *r.ProductVariance != 0 {
		variant = strconv.Itoa(*r.ProductVariance)
	}
	return sdk.StockLevel{
		SKU: r.SKUCode, VariantID: variant, InventoryItemID: inventoryItemID(r.Product, r.ProductVariance),
		LocationID: strconv.Itoa(r.Branch), Quantity: r.Quantity,
	}
}

// unit is what holds stock in Shopbox: a product, or one of its variances.
type unit struct{ product, variance int }

// WriteStock sets stock levels, one result per row. See the package
// documentation for what its idempotency guarantees.
func (l *Link) WriteStock(ctx context.Context, req sdk.StockWriteRequest) ([]sdk.StockWriteResult, error) {
	// One batch at a time per link: the record-then-write of a key must not
	// interleave with a retry of the same batch.
	l.stockMu.Lock()
	defer l.stockMu.Unlock()

	out := make([]sdk.StockWriteResult, len(req.Rows))
	units := make([]unit, len(req.Rows))
	branches := make([]int, len(req.Rows))
	bySKU := map[string]unit{}
	perBranch := map[int]int{}
	todo := make([]bool, len(req.Rows))
	for i, row := range req.Rows {
		out[i].Key = row.Key
		key := appliedKey(req.IdempotencyKey, row)
		if prev, ok := l.applied.get(key); ok {
			out[i].Replayed, out[i].Previous = true, prev
			continue
		}
		u, err := l.resolveUnit(ctx, row.Level, bySKU)
		if err == nil {
			branches[i], err = l.branchOf(ctx, row.Level.LocationID)
		}
		if err != nil {
			if fatal(ctx, err) {
				return nil, err
			}
			out[i].Err = sdk.AsError(err)
			continue
		}
		units[i], todo[i] = u, true
		perBranch[branches[i]]++
	}

	// Current quantities: a whole branch at once when many of its rows are
	// written, else one query per row.
	current := map[int]map[unit]int64{}
	for b, n := range perBranch {
		if n >= bulkReadThreshold {
			m, err := l.branchQuantities(ctx, b)
			if err != nil {
				if fatal(ctx, err) {
					return nil, err
				}
				continue
			}
			current[b] = m
		}
	}
	for i, row := range req.Rows {
		if !todo[i] {
			continue
		}
		b, u := branches[i], units[i]
		var have int64
		if m, ok := current[b]; ok {
			have = m[u]
		} else {
			q, err := l.unitQuantity(ctx, b, u)
			if err != nil {
				if fatal(ctx, err) {
					return nil, err
				}
				out[i].Err = sdk.AsError(err)
				continue
			}
			have = q
		}
		out[i].Previous = have
		want := row.Level.Quantity
		if row.Expected != nil && *row.Expected != have && have != want {
			e := sdk.Errorf(sdk.ClassConflict, "stock of %s at branch %d is %d in Shopbox, not the expected %d; read it again before writing", describeRow(row.Level), b, have, *row.Expected)
			e.Code = "EXPECTED_QUANTITY_STALE"
			out[i].Err = e
			continue
		}
		key := appliedKey(req.IdempotencyKey, row)
		if have != want {
			in := api.InventoryInput{Branch: b, Product: u.product, Quantity: want, Note: "shopbridge " + key}
			if u.variance != 0 {
				v := u.variance
				in.ProductVariance = &v
			}
			if _, err := l.c.SetInventory(ctx, in); err != nil {
				if fatal(ctx, err) {
					return nil, err
				}
				out[i].Err = sdk.AsError(err)
				continue
			}
		}
		if req.IdempotencyKey != "" {
			l.applied.put(key, have)
		}
	}
	return out, nil
}

// fatal says an error ends the whole batch rather than one row.
func fatal(ctx context.Context, err error) bool {
	return ctx.Err() != nil || sdk.ClassOf(err) == sdk.ClassUnauthenticated
}

func appliedKey(batch string, row sdk.StockWrite) string {
	k := row.Key
	if k == "" {
		k = row.Level.SKU + "@" + row.Level.LocationID
	}
	return batch + "/" + k
}

func describeRow(lv sdk.StockLevel) string {
	if lv.SKU != "" {
		return "SKU " + strconv.Quote(lv.SKU)
	}
	return "unit " + lv.InventoryItemID
}

// resolveUnit finds the product (and variance) a level is about: from its
// inventory item id, else by SKU.
func (l *Link) resolveUnit(ctx context.Context, lv sdk.StockLevel, bySKU map[string]unit) (unit, error) {
	if lv.InventoryItemID != "" {
		p, v, ok := parseInventoryItemID(lv.InventoryItemID)
		if !ok {
			return unit{}, sdk.Invalid("inventory_item_id", "%q is not a Shopbox unit (\"product\" or \"product/variance\")", lv.InventoryItemID)
		}
		return unit{p, v}, nil
	}
	if lv.SKU == "" {
		return unit{}, sdk.Invalid("sku", "a stock row needs a SKU or an inventory item id")
	}
	if u, ok := bySKU[lv.SKU]; ok {
		return u, nil
	}
	pg, err := l.c.Products(ctx, api.ProductQuery{SKU: lv.SKU}, 1, 2)
	if err != nil {
		return unit{}, err
	}
	var found []unit
	for _, p := range pg.Items {
		if p.IsBOM {
			continue
		}
		if len(p.ProductVariances) == 0 && p.SKUCode == lv.SKU {
			found = append(found, unit{p.UID, 0})
		}
		for _, v := range p.ProductVariances {
			if v.SKUCode == lv.SKU {
				found = append(found, unit{p.UID, v.UID})
			}
		}
	}
	switch len(found) {
	case 0:
		return unit{}, sdk.NotFound("no Shopbox product or variance that holds stock has SKU %q", lv.SKU)
	case 1:
		bySKU[lv.SKU] = found[0]
		return found[0], nil
	}
	return unit{}, sdk.Invalid("sku", "SKU %q is on %d Shopbox units; write with the inventory item id instead", lv.SKU, len(found))
}

func (l *Link) unitQuantity(ctx context.Context, branch int, u unit) (int64, error) {
	for page := 1; ; page++ {
		p, err := l.c.Inventories(ctx, api.InventoryQuery{Branch: branch, Product: u.product}, page, api.MaxPerPage)
		if err != nil {
			return 0, err
		}
		for _, r := range p.Items {
			if rowUnit(r) == u {
				return r.Quantity, nil
			}
		}
		if !p.Pagination.More() || len(p.Items) == 0 {
			return 0, nil // no row yet: nothing counted at this branch
		}
	}
}

func (l *Link) branchQuantities(ctx context.Context, branch int) (map[unit]int64, error) {
	out := map[unit]int64{}
	for page := 1; ; page++ {
		p, err := l.c.Inventories(ctx, api.InventoryQuery{Branch: branch}, page, api.MaxPerPage)
		if err != nil {
			return nil, fmt.Errorf("reading the stock of branch %d: %w", branch, err)
		}
		for _, r := range p.Items {
			out[rowUnit(r)] = r.Quantity
		}
		if !p.Pagination.More() || len(p.Items) == 0 {
			return out, nil
		}
	}
}

func rowUnit(r api.InventoryRow) unit {
	u := unit{product: r.Product}
	if r.ProductVariance != nil {
		u.variance = *r.ProductVariance
	}
	return u
}

// appliedKeys remembers the idempotency keys of applied rows and what the
// channel held before each, oldest forgotten first past its capacity.
type appliedKeys struct {
	mu    sync.Mutex
	cap   int
	order *list.List
	byKey map[string]*list.Element
}

type appliedEntry struct {
	key      string
	previous int64
}

func newAppliedKeys(capacity int) *appliedKeys {
	return &appliedKeys{cap: capacity, order: list.New(), byKey: map[string]*list.Element{}}
}

func (a *appliedKeys) get(key string) (int64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e, ok := a.byKey[key]; ok {
		return e.Value.(appliedEntry).previous, true
	}
	return 0, false
}

func (a *appliedKeys) put(key string, previous int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.byKey[key]; ok {
		return
	}
	a.byKey[key] = a.order.PushBack(appliedEntry{key, previous})
	for a.order.Len() > a.cap {
		old := a.order.Remove(a.order.Front()).(appliedEntry)
		delete(a.byKey, old.key)
	}
}
