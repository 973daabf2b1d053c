package shopbox

import (
	"container/list"
	"context"
	"errors"
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

// bulkReadThreshold is how many SKUs and products of one branch make a
// batch look at the size of the branch's inventory, to read it whole when
// that takes fewer requests than one query each (see branchStock).
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

// readStockFiltered reads the levels of some SKUs or of some variant ids.
// SKUs cost one query each per branch, or the branch page by page when that
// is fewer requests (a reconciliation asks for a hundred SKUs at a time);
// variant ids alone cost a scan of each branch, filtered, since a variance
// uid does not say its product.
func (l *Link) readStockFiltered(ctx context.Context, req sdk.StockReadRequest, branches []int, emit func(sdk.StockPage) error) error {
	var out []sdk.StockLevel
	ids := map[string]bool{}
	for _, id := range req.IDs {
		ids[id] = true
	}
	skus := dedupe(req.SKUs)
	wanted := map[string]bool{}
	for _, sku := range skus {
		wanted[sku] = true
	}
	keep := func(r api.InventoryRow) {
		lv := stockLevel(r)
		if len(ids) == 0 || ids[lv.VariantID] || ids[lv.InventoryItemID] {
			out = append(out, lv)
		}
	}
	for _, b := range branches {
		if len(skus) == 0 {
			if _, err := l.scanBranch(ctx, b, -1, keep); err != nil {
				return err
			}
			continue
		}
		if len(skus) > bulkReadThreshold {
			var rows []api.InventoryRow
			whole, err := l.scanBranch(ctx, b, len(skus), func(r api.InventoryRow) { rows = append(rows, r) })
			if err != nil {
				return err
			}
			if whole {
				for _, r := range rows {
					if wanted[r.SKUCode] {
						keep(r)
					}
				}
				continue
			}
		}
		for _, sku := range skus {
			for page := 1; ; page++ {
				p, err := l.c.Inventories(ctx, api.InventoryQuery{Branch: b, SKU: sku}, page, api.MaxPerPage)
				if err != nil {
					return err
				}
				for _, r := range p.Items {
					keep(r)
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
//
// Shopbox sets a quantity absolutely, but the current one is still read
// before writing: it is the row's Previous, the compare-and-set check of
// Expected, and it spares a write that would change nothing. What is read
// is bounded by the batch, never by the catalogue: one query per SKU (which
// also finds the unit the SKU names), or the branch page by page when that
// is fewer requests. See branchStock.
func (l *Link) WriteStock(ctx context.Context, req sdk.StockWriteRequest) ([]sdk.StockWriteResult, error) {
	// One batch at a time per link: the record-then-write of a key must not
	// interleave with a retry of the same batch.
	l.stockMu.Lock()
	defer l.stockMu.Unlock()

	out := make([]sdk.StockWriteResult, len(req.Rows))
	branches := make([]int, len(req.Rows))
	named := make([]unit, len(req.Rows)) // the unit a row names by inventory item id
	rowsOf := map[int][]int{}            // branch → indexes of the rows to write there
	for i, row := range req.Rows {
		out[i].Key = row.Key
		key := appliedKey(req.IdempotencyKey, row)
		if prev, ok := l.applied.get(key); ok {
			out[i].Replayed, out[i].Previous = true, prev
			continue
		}
		u, err := namedUnit(row.Level)
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
		named[i] = u
		rowsOf[branches[i]] = append(rowsOf[branches[i]], i)
	}

	order := make([]int, 0, len(rowsOf))
	for b := range rowsOf {
		order = append(order, b)
	}
	sort.Ints(order)
	bySKU := map[string]unit{} // units found by the product lookup, for every branch
	for _, b := range order {
		idx := rowsOf[b]
		var skus []string
		var products []int
		for _, i := range idx {
			if named[i] != (unit{}) {
				products = append(products, named[i].product)
			} else {
				skus = append(skus, req.Rows[i].Level.SKU)
			}
		}
		view, err := l.branchStock(ctx, b, skus, products)
		if err != nil {
			return nil, err
		}
		for _, i := range idx {
			if err := l.writeRow(ctx, req.IdempotencyKey, req.Rows[i], b, named[i], view, bySKU, &out[i]); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// writeRow writes one row of a batch at branch b and fills its result. Only
// an error that ends the whole batch is returned.
func (l *Link) writeRow(ctx context.Context, batch string, row sdk.StockWrite, b int, u unit, view *stockView, bySKU map[string]unit, res *sdk.StockWriteResult) error {
	fail := func(err error) error {
		if fatal(ctx, err) {
			return err
		}
		res.Err = sdk.AsError(err)
		return nil
	}
	have, known, err := view.quantity(row.Level.SKU, u)
	if err != nil {
		return fail(err)
	}
	if !known {
		// No inventory row answers to the SKU at this branch: the unit may
		// exist without having been counted there yet.
		if u == (unit{}) {
			if u, err = l.resolveUnit(ctx, row.Level, bySKU); err != nil {
				return fail(err)
			}
		}
		have = 0
	} else if u == (unit{}) {
		u = view.unitOf(row.Level.SKU)
	}
	res.Previous = have
	want := row.Level.Quantity
	if row.Expected != nil && *row.Expected != have && have != want {
		e := sdk.Errorf(sdk.ClassConflict, "stock of %s at branch %d is %d in Shopbox, not the expected %d; read it again before writing", describeRow(row.Level), b, have, *row.Expected)
		e.Code = "EXPECTED_QUANTITY_STALE"
		res.Err = e
		return nil
	}
	key := appliedKey(batch, row)
	if have != want {
		in := api.InventoryInput{Branch: b, Product: u.product, Quantity: want, Note: "shopbridge " + key}
		if u.variance != 0 {
			v := u.variance
			in.ProductVariance = &v
		}
		if _, err := l.c.SetInventory(ctx, in); err != nil {
			return fail(err)
		}
		// A later row of this batch for the same unit starts from here.
		view.wrote(row.Level.SKU, u, want)
	}
	if batch != "" {
		l.applied.put(key, have)
	}
	return nil
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

// namedUnit is the unit a level names by its inventory item id; the zero
// unit when it names one by SKU only.
func namedUnit(lv sdk.StockLevel) (unit, error) {
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
	return unit{}, nil
}

// resolveUnit finds the product (and variance) a SKU names with the product
// lookup. WriteStock needs it only for a SKU that no inventory row of the
// branch carries.
func (l *Link) resolveUnit(ctx context.Context, lv sdk.StockLevel, bySKU map[string]unit) (unit, error) {
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
	if len(found) > 1 {
		return unit{}, ambiguousSKU(lv.SKU, len(found))
	}
	if len(found) == 0 {
		return unit{}, sdk.NotFound("no Shopbox product or variance that holds stock has SKU %q", lv.SKU)
	}
	bySKU[lv.SKU] = found[0]
	return found[0], nil
}

func ambiguousSKU(sku string, n int) error {
	return sdk.Invalid("sku", "SKU %q is on %d Shopbox units; write with the inventory item id instead", sku, n)
}

// stockView is what one WriteStock read of one branch's stock: the current
// quantity of each unit read, the units each SKU read names, and the reads
// that failed. A unit or SKU that was read but has no row is not counted at
// the branch yet.
type stockView struct {
	qty         map[unit]int64
	units       map[string][]unit // SKU → units with a row carrying it
	whole       bool              // every row of the branch was read
	readSKU     map[string]error  // SKUs queried, with the error of the query
	readProduct map[int]error     // products queried, with the error of the query
}

func newStockView() *stockView {
	return &stockView{qty: map[unit]int64{}, units: map[string][]unit{}, readSKU: map[string]error{}, readProduct: map[int]error{}}
}

func (v *stockView) add(r api.InventoryRow) {
	u := rowUnit(r)
	if _, dup := v.qty[u]; !dup && r.SKUCode != "" {
		v.units[r.SKUCode] = append(v.units[r.SKUCode], u)
	}
	v.qty[u] = r.Quantity
}

// quantity is the current quantity of the unit a row names (by u, else by
// its SKU); known is false when no inventory row answers to it.
func (v *stockView) quantity(sku string, u unit) (have int64, known bool, err error) {
	if u != (unit{}) {
		if !v.whole {
			if err := v.readProduct[u.product]; err != nil {
				return 0, false, err
			}
		}
		// A unit named by id needs no lookup: no row means nothing counted.
		return v.qty[u], true, nil
	}
	if !v.whole {
		if err := v.readSKU[sku]; err != nil {
			return 0, false, err
		}
	}
	switch us := v.units[sku]; len(us) {
	case 0:
		return 0, false, nil
	case 1:
		return v.qty[us[0]], true, nil
	default:
		return 0, false, ambiguousSKU(sku, len(us))
	}
}

// wrote records a quantity this batch set.
func (v *stockView) wrote(sku string, u unit, q int64) {
	if sku != "" && len(v.units[sku]) == 0 {
		v.units[sku] = []unit{u}
	}
	v.qty[u] = q
}

func (v *stockView) unitOf(sku string) unit { return v.units[sku][0] }

// branchStock reads the current stock a batch needs at one branch: the
// rows of each SKU and of each product (a unit named by id) the batch
// writes. That is one request per SKU or product; the branch's whole
// inventory is read instead only when it has fewer pages than that, which
// takes one look at its first page to learn. Either way a batch costs at
// most one read more than it has rows, and never more than the branch has
// pages plus one: the cost follows the batch, not the catalogue.
//
// Only an error that ends the batch is returned; the failure of one query
// stays with the rows that needed it.
func (l *Link) branchStock(ctx context.Context, branch int, skus []string, products []int) (*stockView, error) {
	v := newStockView()
	skus, products = dedupe(skus), dedupe(products)
	if n := len(skus) + len(products); n > bulkReadThreshold {
		whole, err := l.scanBranch(ctx, branch, n, v.add)
		if err != nil && fatal(ctx, err) {
			return nil, err
		}
		if whole {
			v.whole = true
			return v, nil
		}
		// The branch is larger than the batch (or its read failed): query
		// what the batch needs, starting from nothing.
		v = newStockView()
	}
	for _, sku := range skus {
		p, err := l.c.Inventories(ctx, api.InventoryQuery{Branch: branch, SKU: sku}, 1, api.MaxPerPage)
		if err != nil {
			if fatal(ctx, err) {
				return nil, err
			}
			v.readSKU[sku] = err
			continue
		}
		v.readSKU[sku] = nil
		ignored := false
		for _, r := range p.Items {
			if r.SKUCode == sku && r.Branch == branch {
				v.add(r)
			} else if r.SKUCode != sku {
				ignored = true
			}
		}
		if ignored {
			// The documented API filters inventories by branch only; the
			// sku_code filter is what Shopbox answers in practice. An answer
			// with other SKUs in it means the filter was ignored, and a SKU
			// missing from it would be written from a quantity of 0: read the
			// whole branch instead, which is right whatever the API filters.
			return l.wholeBranch(ctx, branch)
		}
	}
	for _, prod := range products {
		err := l.productInventory(ctx, branch, prod, v)
		if errors.Is(err, errProductFilterIgnored) {
			return l.wholeBranch(ctx, branch)
		}
		if err != nil && fatal(ctx, err) {
			return nil, err
		}
		v.readProduct[prod] = err
	}
	return v, nil
}

// errProductFilterIgnored says an inventory answer for one product held
// rows of others.
var errProductFilterIgnored = errors.New("shopbox ignored the product filter of product-inventories")

// wholeBranch reads every stock row of a branch: the way that is right
// when the answers show the API does not filter by SKU or product.
func (l *Link) wholeBranch(ctx context.Context, branch int) (*stockView, error) {
	v := newStockView()
	if _, err := l.scanBranch(ctx, branch, -1, v.add); err != nil {
		return nil, err
	}
	v.whole = true
	return v, nil
}

// scanBranch reads the whole inventory of a branch, page by page, if it
// has at most budget pages after the first (a negative budget: any number);
// whole says it did. The first page tells how many remain, so a branch
// too large for the budget costs one request; its rows have been given to
// each all the same and the caller drops them.
func (l *Link) scanBranch(ctx context.Context, branch, budget int, each func(api.InventoryRow)) (whole bool, err error) {
	for page := 1; ; page++ {
		p, err := l.c.Inventories(ctx, api.InventoryQuery{Branch: branch}, page, api.MaxPerPage)
		if err != nil {
			return false, fmt.Errorf("reading the stock of branch %d: %w", branch, err)
		}
		for _, r := range p.Items {
			each(r)
		}
		if !p.Pagination.More() || len(p.Items) == 0 {
			return true, nil
		}
		// An answer without a page count cannot show that scanning is the
		// cheaper way.
		if page == 1 && budget >= 0 && (p.Pagination.TotalPages == 0 || p.Pagination.TotalPages-1 > budget) {
			return false, nil
		}
	}
}

// productInventory reads the rows of one product (its variances) at a branch into v.
func (l *Link) productInventory(ctx context.Context, branch, product int, v *stockView) error {
	for page := 1; ; page++ {
		p, err := l.c.Inventories(ctx, api.InventoryQuery{Branch: branch, Product: product}, page, api.MaxPerPage)
		if err != nil {
			return fmt.Errorf("reading the stock of product %d at branch %d: %w", product, branch, err)
		}
		for _, r := range p.Items {
			if r.Product != product {
				// The product filter was ignored (see branchStock).
				return errProductFilterIgnored
			}
			v.add(r)
		}
		if !p.Pagination.More() || len(p.Items) == 0 {
			return nil
		}
	}
}

// dedupe keeps the first of each value, in order.
func dedupe[T comparable](xs []T) []T {
	seen := make(map[T]bool, len(xs))
	out := xs[:0:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
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
