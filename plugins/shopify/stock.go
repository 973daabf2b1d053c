package shopify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/plugins/shopify/graphql"
	"github.com/shopbridge/shopbridge/sdk"
)

// StockBatch is the most rows inventorySetQuantities takes in one call.
const StockBatch = 250

// InventorySetCost is what one inventorySetQuantities call costs.
const InventorySetCost = 10

// stockWorkers is how many batches are in flight at once. The pacer keeps
// them within the bucket; more than one hides the network's round trip.
const stockWorkers = 4

// stockReason is the inventory change reason shopbridge's writes carry.
const stockReason = "correction"

type stockRow struct {
	idx      int // in the request
	item     string
	loc      string
	qty      int64
	expected *int64
}

// WriteStock sets levels with inventorySetQuantities, 250 rows a call.
func (l *link) WriteStock(ctx context.Context, req sdk.StockWriteRequest) ([]sdk.StockWriteResult, error) {
	name := string(req.Quantity)
	if name == "" {
		name = l.settings.Quantity
	}
	if name != string(sdk.QuantityAvailable) && name != string(sdk.QuantityOnHand) {
		return nil, sdk.Invalid("quantity", "Shopify sets only available or on_hand, not %q", name)
	}
	res := make([]sdk.StockWriteResult, len(req.Rows))
	var needSKU []string
	needLoc := false
	for i, r := range req.Rows {
		res[i].Key = r.Key
		if r.Level.InventoryItemID == "" && r.Level.SKU != "" {
			needSKU = append(needSKU, r.Level.SKU)
		}
		needLoc = needLoc || r.Level.LocationID == ""
	}
	var defLoc string
	if needLoc {
		var err error
		if defLoc, err = l.stockLocation(ctx); err != nil {
			return nil, err
		}
	}
	refs, err := l.resolveSKUs(ctx, needSKU)
	if err != nil {
		return nil, err
	}
	rows := make([]stockRow, 0, len(req.Rows))
	for i, r := range req.Rows {
		lv := r.Level
		item := lv.InventoryItemID
		if item != "" {
			if g, ok := normaliseGID(item, "InventoryItem"); ok {
				item = g
			}
		} else if lv.SKU != "" {
			ref, ok := refs[lv.SKU]
			if !ok {
				res[i].Err = sdk.NotFound("shopify: no variant has SKU %q: create the product in Shopify or fix the SKU", lv.SKU)
				continue
			}
			if ref.err != nil {
				res[i].Err = ref.err
				continue
			}
			item = ref.InventoryItemID
		} else {
			res[i].Err = sdk.Invalid("sku", "the row names neither a SKU nor an inventory item")
			continue
		}
		if lv.Quantity < -1_000_000_000 || lv.Quantity > 1_000_000_000 {
			res[i].Err = sdk.Invalid("quantity", "%d is outside what Shopify stores", lv.Quantity)
			continue
		}
		loc := lv.LocationID
		if loc == "" {
			loc = defLoc
		} else if g, ok := normaliseGID(loc, "Location"); ok {
			loc = g
		}
		rows = append(rows, stockRow{idx: i, item: item, loc: loc, qty: lv.Quantity, expected: r.Expected})
	}
	base := req.IdempotencyKey
	if base == "" {
		// Without a key from the host nothing can be recognised as a retry;
		// a random one still satisfies Shopify's mandatory key.
		var b [16]byte
		_, _ = rand.Read(b[:])
		base = hex.EncodeToString(b[:])
	}
	written := make([]bool, len(req.Rows)) // each batch writes only its own rows
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		sem      = make(chan struct{}, stockWorkers)
	)
	for b := 0; b*StockBatch < len(rows); b++ {
		batch := rows[b*StockBatch : min(len(rows), (b+1)*StockBatch)]
		sem <- struct{}{}
		wg.Add(1)
		go func(b int, batch []stockRow) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := l.setBatch(ctx, base, b, name, batch, res, written); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}(b, batch)
	}
	wg.Wait()
	if firstErr != nil {
		// Rows of batches that did not finish carry the batch's error, so
		// the host retries exactly those (the key makes finished ones replay).
		e := sdk.AsError(firstErr)
		for i := range res {
			if res[i].Err == nil && !written[i] {
				res[i].Err = e
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return res, nil
}

// batchKey is the @idempotent key of one call: the request's key, the
// batch's place in the request, and what the call carries. A retried
// request sends the same first call and Shopify replays it; a call changed
// after a stale read gets a key of its own.
func batchKey(base string, batch int, input map[string]any) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00", base, batch)
	_ = json.NewEncoder(h).Encode(input)
	return "shopbridge-" + hex.EncodeToString(h.Sum(nil))[:40]
}

type inventorySetAnswer struct {
	InventorySetQuantities *inventorySetPayload `json:"inventorySetQuantities"`
}

type inventorySetPayload struct {
	InventoryAdjustmentGroup *struct {
		ID      string `json:"id"`
		Changes []struct {
			Name                string `json:"name"`
			Delta               int64  `json:"delta"`
			QuantityAfterChange *int64 `json:"quantityAfterChange"`
			Item                struct {
				ID string `json:"id"`
			} `json:"item"`
			Location struct {
				ID string `json:"id"`
			} `json:"location"`
		} `json:"changes"`
	} `json:"inventoryAdjustmentGroup"`
	UserErrors []userError `json:"userErrors"`
}

type userError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    *string  `json:"code"`
}

func (u userError) code() string {
	if u.Code == nil {
		return ""
	}
	return *u.Code
}

// row returns the index in an input list named by the error's field path
// (["input","quantities","3","changeFromQuantity"] → 3), or -1.
func (u userError) row(list string) int {
	for i := 0; i+1 < len(u.Field); i++ {
		if u.Field[i] == list {
			if n, err := strconv.Atoi(u.Field[i+1]); err == nil {
				return n
			}
		}
	}
	return -1
}

// setBatch writes one batch, recovering a stale changeFromQuantity once.
func (l *link) setBatch(ctx context.Context, base string, b int, name string, rows []stockRow, res []sdk.StockWriteResult, written []bool) error {
	staleRetried := false
	previous := map[int]int64{} // request index → level re-read after a stale answer
	for round := 0; len(rows) > 0; round++ {
		if round > 4 {
			return sdk.Retryable(time.Second, "shopify: stock batch %d did not settle after %d rounds", b, round)
		}
		qs := make([]map[string]any, len(rows))
		for i, r := range rows {
			q := map[string]any{"inventoryItemId": r.item, "locationId": r.loc, "quantity": r.qty, "changeFromQuantity": nil}
			if r.expected != nil {
				q["changeFromQuantity"] = *r.expected
			}
			qs[i] = q
		}
		input := map[string]any{"name": name, "reason": stockReason, "referenceDocumentUri": "shopbridge://stock/" + l.id, "quantities": qs}
		key := batchKey(base, b, input)
		var out inventorySetAnswer
		_, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.InventorySet, Variables: map[string]any{"input": input, "key": key}, Cost: InventorySetCost}, &out)
		if err != nil {
			if sdk.ClassOf(err) == sdk.ClassRetryable && strings.Contains(err.Error(), "idempotency key is being processed") {
				if serr := l.clock.Sleep(ctx, time.Second); serr != nil {
					return serr
				}
				continue
			}
			return err
		}
		p := out.InventorySetQuantities
		if p == nil {
			return sdk.Retryable(time.Second, "shopify: inventorySetQuantities answered without a payload")
		}
		if len(p.UserErrors) == 0 {
			l.recordApplied(key, p, name, rows, res, written, previous)
			return nil
		}
		stale := map[int]bool{}
		drop := map[int]*sdk.Error{}
		for _, ue := range p.UserErrors {
			i := ue.row("quantities")
			code := ue.code()
			switch {
			case code == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH":
				e := sdk.Errorf(sdk.ClassConflict, "shopify: idempotency key %s was used before for different rows", key)
				e.Code = code
				return e
			case i < 0 || i >= len(rows):
				// A batch-wide problem (name, reason): every row has it.
				e := sdk.Invalid("quantity", "shopify refused the stock batch: %s", ue.Message)
				e.Code = code
				for _, r := range rows {
					res[r.idx].Err = e
				}
				return nil
			case code == "CHANGE_FROM_QUANTITY_STALE":
				stale[i] = true
			default:
				drop[i] = rowError(ue)
			}
		}
		if len(stale) > 0 && staleRetried {
			for i := range stale {
				e := sdk.Errorf(sdk.ClassConflict, "shopify: the level changed again while it was being set; read it again and retry")
				e.Code = "CHANGE_FROM_QUANTITY_STALE"
				drop[i] = e
			}
			stale = nil
		}
		if len(stale) > 0 {
			staleRetried = true
			cur, err := l.readLevels(ctx, name, rows, stale)
			if err != nil {
				return err
			}
			for i := range stale {
				r := &rows[i]
				if q, ok := cur[i]; ok {
					v := q
					r.expected = &v
					previous[r.idx] = q
				} else {
					drop[i] = sdk.NotFound("shopify: the item is not stocked at %s", r.loc)
				}
			}
		}
		kept := rows[:0:0]
		for i, r := range rows {
			if e, bad := drop[i]; bad {
				res[r.idx].Err = e
				if e.Code == "INVALID_INVENTORY_ITEM" {
					l.forgetItem(r.item)
				}
				continue
			}
			kept = append(kept, r)
		}
		rows = kept
	}
	return nil
}

// rowError classes a userError about one row.
func rowError(ue userError) *sdk.Error {
	var e *sdk.Error
	switch ue.code() {
	case "INVALID_INVENTORY_ITEM", "INVALID_LOCATION":
		e = sdk.NotFound("shopify: %s", ue.Message)
	case "ITEM_NOT_STOCKED_AT_LOCATION":
		e = sdk.Invalid("location_id", "shopify: %s: stock the item at the location in Shopify, or map another location", ue.Message)
	case "NON_MUTABLE_INVENTORY_ITEM":
		e = sdk.Invalid("sku", "shopify: %s: turn on inventory tracking for the variant", ue.Message)
	default:
		e = sdk.Invalid("quantity", "shopify: %s", ue.Message)
	}
	e.Code = ue.code()
	return e
}

func (l *link) recordApplied(key string, p *inventorySetPayload, name string, rows []stockRow, res []sdk.StockWriteResult, written []bool, previous map[int]int64) {
	replayed := false
	before := map[string]int64{}
	if g := p.InventoryAdjustmentGroup; g != nil {
		l.mu.Lock()
		if prev, ok := l.applied[key]; ok && prev == g.ID {
			replayed = true
		}
		if len(l.applied) > 100_000 {
			l.applied = map[string]string{}
		}
		l.applied[key] = g.ID
		l.mu.Unlock()
		for _, c := range g.Changes {
			if c.Name == name && c.QuantityAfterChange != nil {
				before[c.Item.ID+"|"+c.Location.ID] = *c.QuantityAfterChange - c.Delta
			}
		}
	}
	for _, r := range rows {
		out := &res[r.idx]
		written[r.idx] = true
		out.Err = nil
		out.Replayed = replayed
		if v, ok := before[r.item+"|"+r.loc]; ok && !replayed {
			out.Previous = v
		} else if v, ok := previous[r.idx]; ok {
			out.Previous = v
		} else if r.expected != nil {
			out.Previous = *r.expected
		}
	}
}

// readLevels reads the current quantity of the rows at the given indexes.
func (l *link) readLevels(ctx context.Context, name string, rows []stockRow, which map[int]bool) (map[int]int64, error) {
	byLoc := map[string][]int{}
	for i := range which {
		byLoc[rows[i].loc] = append(byLoc[rows[i].loc], i)
	}
	out := map[int]int64{}
	for loc, idx := range byLoc {
		for start := 0; start < len(idx); start += StockBatch {
			part := idx[start:min(len(idx), start+StockBatch)]
			ids := make([]string, len(part))
			for k, i := range part {
				ids[k] = rows[i].item
			}
			var resp struct {
				Nodes []*struct {
					ID             string `json:"id"`
					InventoryLevel *struct {
						Quantities []struct {
							Name     string `json:"name"`
							Quantity int64  `json:"quantity"`
						} `json:"quantities"`
					} `json:"inventoryLevel"`
				} `json:"nodes"`
			}
			vars := map[string]any{"ids": ids, "locationId": loc, "names": []string{name}}
			if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.InventoryLevels, Variables: vars, Cost: 3 * len(ids)}, &resp); err != nil {
				return nil, err
			}
			levels := map[string]int64{}
			for _, n := range resp.Nodes {
				if n == nil || n.InventoryLevel == nil {
					continue
				}
				for _, q := range n.InventoryLevel.Quantities {
					if q.Name == name {
						levels[n.ID] = q.Quantity
					}
				}
			}
			for _, i := range part {
				if q, ok := levels[rows[i].item]; ok {
					out[i] = q
				}
			}
		}
	}
	return out, nil
}

// skuRef is a resolved SKU, or why it could not be.
type skuRef struct {
	variantRef
	err *sdk.Error
}

// skuAliases is how many SKUs one VariantsBySKU request looks up; the
// request then costs about skuAliases × graphql.SKUCost points.
const skuAliases = 100

// resolveSKUs maps SKUs to their variants, from the link's cache or by
// searching Shopify. A SKU that matches nothing is absent from the result.
func (l *link) resolveSKUs(ctx context.Context, skus []string) (map[string]skuRef, error) {
	out := map[string]skuRef{}
	var missing []string
	seen := map[string]bool{}
	l.mu.Lock()
	for _, s := range skus {
		if seen[s] {
			continue
		}
		seen[s] = true
		if r, ok := l.skus[s]; ok {
			out[s] = skuRef{variantRef: r}
		} else {
			missing = append(missing, s)
		}
	}
	l.mu.Unlock()
	for start := 0; start < len(missing); start += skuAliases {
		part := missing[start:min(len(missing), start+skuAliases)]
		vars := map[string]any{}
		for i, s := range part {
			vars["q"+strconv.Itoa(i)] = "sku:" + searchQuote(s)
		}
		var resp map[string]struct {
			Nodes []struct {
				ID      string `json:"id"`
				SKU     string `json:"sku"`
				Product struct {
					ID string `json:"id"`
				} `json:"product"`
				InventoryItem struct {
					ID string `json:"id"`
				} `json:"inventoryItem"`
			} `json:"nodes"`
		}
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.VariantsBySKU(len(part)), Variables: vars, Cost: 2 + len(part)*graphql.SKUCost}, &resp); err != nil {
			return nil, err
		}
		l.mu.Lock()
		for i, s := range part {
			var matches []variantRef
			for _, n := range resp["v"+strconv.Itoa(i)].Nodes {
				if n.SKU == s {
					matches = append(matches, variantRef{VariantID: n.ID, ProductID: n.Product.ID, InventoryItemID: n.InventoryItem.ID})
				}
			}
			switch len(matches) {
			case 0:
			case 1:
				out[s] = skuRef{variantRef: matches[0]}
				l.skus[s] = matches[0]
			default:
				out[s] = skuRef{err: sdk.Invalid("sku", "shopify: SKU %q is on more than one variant (%s, %s): make SKUs unique in Shopify", s, matches[0].VariantID, matches[1].VariantID)}
			}
		}
		l.mu.Unlock()
	}
	return out, nil
}

// searchQuote quotes a value for Shopify's search syntax.
func searchQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func (l *link) forgetItem(item string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for s, r := range l.skus {
		if r.InventoryItemID == item {
			delete(l.skus, s)
		}
	}
}

func (l *link) remember(sku string, r variantRef) {
	if sku == "" {
		return
	}
	l.mu.Lock()
	l.skus[sku] = r
	l.mu.Unlock()
}

// stockCursor resumes a stock read: which location, and Shopify's cursor.
type stockCursor struct {
	Loc   int    `json:"l"`
	After string `json:"a,omitempty"`
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return sdk.Invalid("cursor", "is not a cursor this connector handed out")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return sdk.Invalid("cursor", "is not a cursor this connector handed out")
	}
	return nil
}

// stockPage is how many variants a stock read asks for at once: each costs
// about four points, so a page stays well under the 1,000-point cap.
const stockPage = 200

// ReadStock reads the levels of the configured quantity at the link's
// location (or the locations asked for), for reconciliation.
func (l *link) ReadStock(ctx context.Context, req sdk.StockReadRequest, emit func(sdk.StockPage) error) error {
	name := string(req.Quantity)
	if name == "" {
		name = l.settings.Quantity
	}
	locs := req.LocationIDs
	if len(locs) == 0 {
		loc, err := l.stockLocation(ctx)
		if err != nil {
			return err
		}
		locs = []string{loc}
	}
	for i, loc := range locs {
		if g, ok := normaliseGID(loc, "Location"); ok {
			locs[i] = g
		}
	}
	if len(req.SKUs) > 0 || len(req.IDs) > 0 {
		return l.readStockOf(ctx, req, name, locs, emit)
	}
	var cur stockCursor
	if req.Cursor != "" {
		if err := decodeCursor(req.Cursor, &cur); err != nil {
			return err
		}
	}
	first := stockPage
	if req.PageSize > 0 && req.PageSize < first {
		first = req.PageSize
	}
	for li := cur.Loc; li < len(locs); li++ {
		var after any
		if li == cur.Loc && cur.After != "" {
			after = cur.After
		}
		for {
			var resp struct {
				ProductVariants struct {
					Nodes []struct {
						ID            string `json:"id"`
						SKU           string `json:"sku"`
						InventoryItem struct {
							ID             string `json:"id"`
							InventoryLevel *struct {
								Quantities []struct {
									Name     string `json:"name"`
									Quantity int64  `json:"quantity"`
								} `json:"quantities"`
							} `json:"inventoryLevel"`
						} `json:"inventoryItem"`
					} `json:"nodes"`
					PageInfo pageInfo `json:"pageInfo"`
				} `json:"productVariants"`
			}
			vars := map[string]any{"first": first, "after": after, "locationId": locs[li], "names": []string{name}}
			if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.Stock, Variables: vars, Cost: 2 + first*4}, &resp); err != nil {
				return err
			}
			pv := resp.ProductVariants
			page := sdk.StockPage{}
			for _, n := range pv.Nodes {
				l.remember(n.SKU, variantRef{VariantID: n.ID, InventoryItemID: n.InventoryItem.ID})
				if n.InventoryItem.InventoryLevel == nil {
					continue
				}
				for _, q := range n.InventoryItem.InventoryLevel.Quantities {
					if q.Name == name {
						page.Items = append(page.Items, sdk.StockLevel{SKU: n.SKU, VariantID: n.ID, InventoryItemID: n.InventoryItem.ID, LocationID: locs[li], Quantity: q.Quantity})
					}
				}
			}
			next := stockCursor{Loc: li, After: cur.After}
			if e := pv.PageInfo.EndCursor; e != nil {
				next.After = *e
			}
			if !pv.PageInfo.HasNextPage {
				next = stockCursor{Loc: li + 1}
			}
			page.Cursor = encodeCursor(next)
			page.Last = !pv.PageInfo.HasNextPage && li == len(locs)-1
			if err := emit(page); err != nil {
				return err
			}
			if !pv.PageInfo.HasNextPage {
				break
			}
			after = next.After
			cur.After = next.After
		}
		cur.After = ""
	}
	return nil
}

// readStockOf reads the levels of given SKUs or inventory item ids.
func (l *link) readStockOf(ctx context.Context, req sdk.StockReadRequest, name string, locs []string, emit func(sdk.StockPage) error) error {
	refs, err := l.resolveSKUs(ctx, req.SKUs)
	if err != nil {
		return err
	}
	var rows []stockRow
	skuOf := map[string]string{}
	for _, s := range req.SKUs {
		if r, ok := refs[s]; ok && r.err == nil {
			skuOf[r.InventoryItemID] = s
			for _, loc := range locs {
				rows = append(rows, stockRow{item: r.InventoryItemID, loc: loc})
			}
		}
	}
	for _, id := range req.IDs {
		if g, ok := normaliseGID(id, "InventoryItem"); ok {
			for _, loc := range locs {
				rows = append(rows, stockRow{item: g, loc: loc})
			}
		}
	}
	which := map[int]bool{}
	for i := range rows {
		which[i] = true
	}
	cur, err := l.readLevels(ctx, name, rows, which)
	if err != nil {
		return err
	}
	page := sdk.StockPage{Last: true}
	for i, r := range rows {
		if q, ok := cur[i]; ok {
			page.Items = append(page.Items, sdk.StockLevel{SKU: skuOf[r.item], InventoryItemID: r.item, LocationID: r.loc, Quantity: q})
		}
	}
	return emit(page)
}
