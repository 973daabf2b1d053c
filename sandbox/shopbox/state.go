package shopbox

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
)

// unitRef names a stock-keeping unit: a variance, or a product without
// variances (Variance 0).
type unitRef struct {
	Product  int
	Variance int
}

type invKey struct {
	Branch   int
	Product  int
	Variance int
}

// state is everything the sandbox holds; one mutex in Server guards it. The
// slices keep uid order for listing, the maps are indexes rebuilt on restore.
type state struct {
	nextUID       int
	tags          []*Tag
	branches      []*Branch
	varianceTypes []*VarianceType
	products      []*Product
	inventory     []*InventoryRow
	baskets       []*Basket
	webhooks      []*Webhook
	invWrites     []InventoryWrite
	rng           *rand.PCG

	productByUID  map[int]*Product
	varianceOwner map[int]*Product
	branchByUID   map[int]*Branch
	registerTo    map[int]int // cash register uid -> branch uid
	tagByUID      map[int]*Tag
	valueUIDs     map[int]bool
	invByKey      map[invKey]*InventoryRow
	invByBranch   map[int][]*InventoryRow // uid order, so a branch's page is a slice
	basketByUID   map[int]*Basket
	bySKU         map[string][]unitRef
}

func newState(seed int64) *state {
	st := &state{nextUID: 1000, rng: rand.NewPCG(uint64(seed), 0x5b0c5a1e)}
	st.reindex()
	return st
}

func (st *state) newUID() int {
	st.nextUID++
	return st.nextUID
}

// reindex rebuilds every index from the slices.
func (st *state) reindex() {
	st.productByUID = map[int]*Product{}
	st.varianceOwner = map[int]*Product{}
	st.branchByUID = map[int]*Branch{}
	st.registerTo = map[int]int{}
	st.tagByUID = map[int]*Tag{}
	st.valueUIDs = map[int]bool{}
	st.invByKey = map[invKey]*InventoryRow{}
	st.invByBranch = map[int][]*InventoryRow{}
	st.basketByUID = map[int]*Basket{}
	st.bySKU = map[string][]unitRef{}
	for _, t := range st.tags {
		st.tagByUID[t.UID] = t
	}
	for _, b := range st.branches {
		st.branchByUID[b.UID] = b
		for _, r := range b.CashRegisters {
			st.registerTo[r.UID] = b.UID
		}
	}
	for _, vt := range st.varianceTypes {
		for _, v := range vt.Values {
			st.valueUIDs[v.UID] = true
		}
	}
	for _, p := range st.products {
		st.productByUID[p.UID] = p
		st.indexSKUsFresh(p)
	}
	for _, r := range st.inventory {
		st.invByKey[invKey{r.Branch, r.Product, deref(r.ProductVariance)}] = r
		st.invByBranch[r.Branch] = append(st.invByBranch[r.Branch], r)
	}
	for _, b := range st.baskets {
		st.basketByUID[b.UID] = b
	}
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// unindexSKUs drops the SKU entries of p; call it before changing p's SKUs and
// indexSKUsFresh after, so that a renamed SKU leaves nothing stale.
func (st *state) unindexSKUs(p *Product) {
	skus := []string{p.SKUCode}
	for _, v := range p.Variances {
		skus = append(skus, v.SKUCode)
	}
	for _, sku := range skus {
		kept := slices.DeleteFunc(st.bySKU[sku], func(r unitRef) bool { return r.Product == p.UID })
		if len(kept) == 0 {
			delete(st.bySKU, sku)
		} else {
			st.bySKU[sku] = kept
		}
	}
}

// indexSKUsFresh records the SKUs of a product that is not indexed (any more).
func (st *state) indexSKUsFresh(p *Product) {
	for _, v := range p.Variances {
		st.varianceOwner[v.UID] = p
		if v.SKUCode != "" {
			st.bySKU[v.SKUCode] = append(st.bySKU[v.SKUCode], unitRef{p.UID, v.UID})
		}
	}
	if p.SKUCode != "" {
		st.bySKU[p.SKUCode] = append(st.bySKU[p.SKUCode], unitRef{p.UID, 0})
	}
}

// lookupSKU finds the stock-keeping unit for a SKU. A variance SKU wins over a
// product SKU, because a product with variances also carries its base number.
func (st *state) lookupSKU(sku string) (unitRef, bool) {
	refs := st.bySKU[sku]
	for _, r := range refs {
		if r.Variance != 0 {
			return r, true
		}
	}
	for _, r := range refs {
		p := st.productByUID[r.Product]
		if p != nil && len(p.Variances) == 0 {
			return r, true
		}
	}
	return unitRef{}, false
}

// units lists the stock-keeping units of a product; BOM products have none.
func (p *Product) units() []unitRef {
	if p.IsBOM {
		return nil
	}
	if len(p.Variances) == 0 {
		return []unitRef{{p.UID, 0}}
	}
	out := make([]unitRef, len(p.Variances))
	for i, v := range p.Variances {
		out[i] = unitRef{p.UID, v.UID}
	}
	return out
}

func (p *Product) variance(uid int) *Variance {
	for i := range p.Variances {
		if p.Variances[i].UID == uid {
			return &p.Variances[i]
		}
	}
	return nil
}

// skuOf names the SKU of a unit.
func (st *state) skuOf(u unitRef) string {
	p := st.productByUID[u.Product]
	if p == nil {
		return ""
	}
	if u.Variance != 0 {
		if v := p.variance(u.Variance); v != nil {
			return v.SKUCode
		}
	}
	return p.SKUCode
}

// row returns the inventory row of a unit at a branch, creating it at zero.
func (st *state) row(branch int, u unitRef, now int64) *InventoryRow {
	k := invKey{branch, u.Product, u.Variance}
	if r := st.invByKey[k]; r != nil {
		return r
	}
	r := &InventoryRow{UID: st.newUID(), Branch: branch, Product: u.Product, SKUCode: st.skuOf(u), UpdatedTime: now}
	if u.Variance != 0 {
		r.ProductVariance = ptr(u.Variance)
	}
	st.inventory = append(st.inventory, r)
	st.invByKey[k] = r
	st.invByBranch[branch] = append(st.invByBranch[branch], r)
	return r
}

// ensureRows gives every unit of p a row at every branch, so that a new
// product shows up in GET /product-inventories with quantity 0.
func (st *state) ensureRows(p *Product, now int64) {
	for _, u := range p.units() {
		for _, b := range st.branches {
			r := st.row(b.UID, u, now)
			r.SKUCode = st.skuOf(u)
		}
	}
}

// addProduct stores a product whose uids are already assigned.
func (st *state) addProduct(p *Product, now int64) {
	st.products = append(st.products, p)
	st.productByUID[p.UID] = p
	st.indexSKUsFresh(p)
	st.ensureRows(p, now)
}

// snapshot is the serialised state: a file a test or the demo can restore.
type snapshot struct {
	Version         int                    `json:"version"`
	NextUID         int                    `json:"next_uid"`
	Tags            []*Tag                 `json:"tags"`
	Branches        []*Branch              `json:"branches"`
	VarianceTypes   []*VarianceType        `json:"variance_types"`
	Products        []ProductWithVariances `json:"products"`
	Inventory       []*InventoryRow        `json:"inventory"`
	Baskets         []*Basket              `json:"baskets"`
	Webhooks        []*Webhook             `json:"webhooks"`
	InventoryWrites []InventoryWrite       `json:"inventory_writes"`
	Rng             []byte                 `json:"rng"`
}

func (st *state) marshal() ([]byte, error) {
	rng, err := st.rng.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("saving the random generator: %w", err)
	}
	snap := snapshot{
		Version: 1, NextUID: st.nextUID, Tags: st.tags, Branches: st.branches,
		VarianceTypes: st.varianceTypes, Inventory: st.inventory, Baskets: st.baskets,
		Webhooks: st.webhooks, InventoryWrites: st.invWrites, Rng: rng,
	}
	for _, p := range st.products {
		snap.Products = append(snap.Products, cloneProduct(p))
	}
	return json.Marshal(snap)
}

func unmarshalState(data []byte) (*state, error) {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return nil, fmt.Errorf("reading the Shopbox sandbox snapshot: %w", err)
	}
	if snap.Version != 1 {
		return nil, fmt.Errorf("snapshot version %d is not supported (want 1); take the snapshot again with this build", snap.Version)
	}
	st := &state{
		nextUID: snap.NextUID, tags: snap.Tags, branches: snap.Branches, varianceTypes: snap.VarianceTypes,
		inventory: snap.Inventory, baskets: snap.Baskets, webhooks: snap.Webhooks,
		invWrites: snap.InventoryWrites, rng: &rand.PCG{},
	}
	if err := st.rng.UnmarshalBinary(snap.Rng); err != nil {
		return nil, fmt.Errorf("restoring the random generator from the snapshot: %w", err)
	}
	for _, pv := range snap.Products {
		p := pv.Product
		p.Variances = pv.ProductVariances
		st.products = append(st.products, &p)
	}
	st.reindex()
	return st, nil
}

// deleteProduct removes a product and its stock; sales that sold it keep
// their lines, as they would after a product is deleted at the till.
func (st *state) deleteProduct(uid int) bool {
	p := st.productByUID[uid]
	if p == nil {
		return false
	}
	st.unindexSKUs(p)
	for _, v := range p.Variances {
		delete(st.varianceOwner, v.UID)
	}
	delete(st.productByUID, uid)
	st.products = slices.DeleteFunc(st.products, func(q *Product) bool { return q.UID == uid })
	st.removeRows(func(r *InventoryRow) bool { return r.Product == uid })
	return true
}

// removeRows drops the inventory rows drop selects from every index.
func (st *state) removeRows(drop func(*InventoryRow) bool) {
	gone := func(r *InventoryRow) bool {
		if !drop(r) {
			return false
		}
		delete(st.invByKey, invKey{r.Branch, r.Product, deref(r.ProductVariance)})
		return true
	}
	st.inventory = slices.DeleteFunc(st.inventory, gone)
	for b, rows := range st.invByBranch {
		st.invByBranch[b] = slices.DeleteFunc(rows, drop)
	}
}

// pruneRows drops the rows of units p had before an update and has no more:
// it became a BOM, gained variances, or lost one. Most updates change no
// units and cost nothing here.
func (st *state) pruneRows(p *Product, before []unitRef) {
	keep := map[unitRef]bool{}
	for _, u := range p.units() {
		keep[u] = true
	}
	stale := map[unitRef]bool{}
	for _, u := range before {
		if !keep[u] {
			stale[u] = true
		}
	}
	if len(stale) == 0 {
		return
	}
	st.removeRows(func(r *InventoryRow) bool {
		return stale[unitRef{r.Product, deref(r.ProductVariance)}]
	})
}
