package flow

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
)

// memChannel is the channel side for flow tests: products with variants,
// stock per location, compare-and-set and idempotency keys like Shopify's.
// No connector is committed under plugins/ yet; the end-to-end tests use
// the real connector binaries against the sandboxes.
type memChannel struct {
	mu       sync.Mutex
	products map[string]*sdk.Product // by id
	order    []string
	stock    map[string]int64 // sku@location
	seq      int
	keys     map[string][]sdk.StockWriteResult
	clock    time.Time

	productWrites, productBatches, stockBatches, stockRows int
	// skuReads counts the SKUs asked for by product reads by SKU.
	skuReads int
}

func newMemChannel() *memChannel {
	return &memChannel{products: map[string]*sdk.Product{}, stock: map[string]int64{}, keys: map[string][]sdk.StockWriteResult{},
		clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (m *memChannel) tick() time.Time {
	m.clock = m.clock.Add(time.Second)
	return m.clock
}

// add puts a product in the channel as a user would.
func (m *memChannel) add(p sdk.Product) sdk.Product {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	p.ID = "p" + strconv.Itoa(m.seq)
	for i := range p.Variants {
		m.seq++
		p.Variants[i].ID = "v" + strconv.Itoa(m.seq)
	}
	p.UpdatedAt = m.tick()
	m.products[p.ID] = &p
	m.order = append(m.order, p.ID)
	return p
}

// edit changes a product as a user would.
func (m *memChannel) edit(sku string, fn func(p *sdk.Product, v *sdk.Variant)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.products {
		for i := range p.Variants {
			if p.Variants[i].SKU == sku {
				fn(p, &p.Variants[i])
				p.UpdatedAt = m.tick()
				return true
			}
		}
	}
	return false
}

func (m *memChannel) bySKU(sku string) (sdk.Product, sdk.Variant, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.products {
		for _, v := range p.Variants {
			if v.SKU == sku {
				return clone(*p), v, true
			}
		}
	}
	return sdk.Product{}, sdk.Variant{}, false
}

func clone(p sdk.Product) sdk.Product {
	p.Variants = append([]sdk.Variant(nil), p.Variants...)
	p.BOMLines = append([]sdk.BOMLine(nil), p.BOMLines...)
	return p
}

func (m *memChannel) ReadProducts(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error {
	m.mu.Lock()
	m.skuReads += len(req.SKUs)
	var all []sdk.Product
	want := map[string]bool{}
	for _, s := range req.SKUs {
		want[s] = true
	}
	for _, id := range m.order {
		p := m.products[id]
		if len(want) > 0 {
			hit := false
			for _, v := range p.Variants {
				hit = hit || want[v.SKU]
			}
			if !hit {
				continue
			}
		}
		all = append(all, clone(*p))
	}
	m.mu.Unlock()
	start := 0
	if req.Cursor != "" {
		start, _ = strconv.Atoi(req.Cursor)
	}
	size := req.PageSize
	if size <= 0 {
		size = 50
	}
	if start >= len(all) {
		return emit(sdk.ProductPage{Last: true, Cursor: req.Cursor, TotalEstimate: int64(len(all))})
	}
	for i := start; i < len(all); i += size {
		end := min(i+size, len(all))
		if err := emit(sdk.ProductPage{Items: all[i:end], Cursor: strconv.Itoa(end), Last: end == len(all), TotalEstimate: int64(len(all))}); err != nil {
			return err
		}
	}
	return nil
}

func (m *memChannel) WriteProducts(ctx context.Context, writes []sdk.ProductWrite) ([]sdk.ProductWriteResult, error) {
	m.mu.Lock()
	m.productBatches++
	m.productWrites += len(writes)
	m.mu.Unlock()
	out := make([]sdk.ProductWriteResult, 0, len(writes))
	for _, w := range writes {
		if w.Product.ID == "" {
			out = append(out, sdk.ProductWriteResult{Key: w.Key, Product: m.add(clone(w.Product))})
			continue
		}
		m.mu.Lock()
		have, ok := m.products[w.Product.ID]
		if !ok {
			m.mu.Unlock()
			out = append(out, sdk.ProductWriteResult{Key: w.Key, Err: sdk.NotFound("no product %s", w.Product.ID)})
			continue
		}
		p := w.Product
		if w.Carries(sdk.FieldTitle) {
			have.Title = p.Title
		}
		if w.Carries(sdk.FieldDescription) {
			have.Description = p.Description
		}
		if w.Carries(sdk.FieldCategory) {
			have.Category = p.Category
		}
		have.IsBOM, have.BOMLines = p.IsBOM, p.BOMLines
		for _, nv := range p.Variants {
			for i := range have.Variants {
				hv := &have.Variants[i]
				if hv.ID != nv.ID {
					continue
				}
				if w.Carries(sdk.FieldSKU) {
					hv.SKU = nv.SKU
				}
				if w.Carries(sdk.FieldPrice) {
					hv.Price = nv.Price
				}
				if w.Carries(sdk.FieldBarcode) {
					hv.Barcode = nv.Barcode
				}
				if w.Carries(sdk.FieldCost) {
					hv.Cost = nv.Cost
				}
			}
		}
		have.UpdatedAt = m.tick()
		res := clone(*have)
		m.mu.Unlock()
		out = append(out, sdk.ProductWriteResult{Key: w.Key, Product: res})
	}
	return out, nil
}

func (m *memChannel) setStock(sku, loc string, q int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stock[sku+"@"+loc] = q
}

func (m *memChannel) level(sku, loc string) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q, ok := m.stock[sku+"@"+loc]
	return q, ok
}

func (m *memChannel) ReadStock(ctx context.Context, req sdk.StockReadRequest, emit func(sdk.StockPage) error) error {
	m.mu.Lock()
	want := map[string]bool{}
	for _, s := range req.SKUs {
		want[s] = true
	}
	var page sdk.StockPage
	keys := make([]string, 0, len(m.stock))
	for k := range m.stock {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		var sku, loc string
		for i := len(k) - 1; i >= 0; i-- {
			if k[i] == '@' {
				sku, loc = k[:i], k[i+1:]
				break
			}
		}
		if len(want) == 0 || want[sku] {
			page.Items = append(page.Items, sdk.StockLevel{SKU: sku, LocationID: loc, Quantity: m.stock[k]})
		}
	}
	m.mu.Unlock()
	page.Last = true
	return emit(page)
}

func (m *memChannel) WriteStock(ctx context.Context, req sdk.StockWriteRequest) ([]sdk.StockWriteResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.keys[req.IdempotencyKey]; ok {
		out := append([]sdk.StockWriteResult(nil), prev...)
		for i := range out {
			out[i].Replayed = true
		}
		return out, nil
	}
	m.stockBatches++
	if len(req.Rows) > 250 {
		return nil, sdk.Invalid("rows", "at most 250 rows per write, got %d", len(req.Rows))
	}
	out := make([]sdk.StockWriteResult, 0, len(req.Rows))
	for _, r := range req.Rows {
		k := r.Level.SKU + "@" + r.Level.LocationID
		cur, ok := m.stock[k]
		if !ok {
			out = append(out, sdk.StockWriteResult{Key: r.Key, Err: sdk.NotFound("no %s", k)})
			continue
		}
		if r.Expected != nil && *r.Expected != cur {
			e := &sdk.Error{Class: sdk.ClassConflict, Message: fmt.Sprintf("expected %d, have %d", *r.Expected, cur), Code: "CHANGE_FROM_QUANTITY_STALE"}
			out = append(out, sdk.StockWriteResult{Key: r.Key, Err: e, Previous: cur})
			continue
		}
		m.stock[k] = r.Level.Quantity
		m.stockRows++
		out = append(out, sdk.StockWriteResult{Key: r.Key, Previous: cur})
	}
	m.keys[req.IdempotencyKey] = out
	return out, nil
}
