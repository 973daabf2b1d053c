package flow

import (
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/core/mapping"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/sdk"
)

// catalogueIndex is what the initial sync keeps of Rackbeat's catalogue
// between reading it and comparing the channel's products with it: per
// product its number, a 64-bit fingerprint of each field the comparison
// reads, the hash a binding stores and whether it carries stock. That is
// 72 bytes and the number per product, where a decoded rackbeat.Product
// with its strings is about a kilobyte; the catalogue is read once so
// that a product Rackbeat has costs no request of its own (Rackbeat allows
// 8 requests a second), and at 1,000,000 products this index is about
// 80 MB where the products were over a gigabyte.
//
// Fingerprints can collide; two different values of one field share a
// 64-bit fingerprint with a chance of 2⁻⁶⁴ per comparison, and a collision
// would leave one field of one product as Rackbeat has it.
type catalogueIndex struct {
	seed    maphash.Seed
	numbers strings.Builder // every product number, back to back
	arena   string          // numbers, once built
	entries []catalogueEntry
	built   bool
}

// The fields the initial sync compares, in the order mapping.DiffRackbeat
// reports them.
const (
	fpName = iota
	fpDescription
	fpBarcode
	fpSalesPrice
	fpCostPrice
	fpWeight
	fpFields
)

type catalogueEntry struct {
	off    uint32 // of the number in the arena
	n      uint16 // length of the number
	stock  bool   // InventoryEnabled or in a group with inventory
	fields [fpFields]uint64
	hash   [16]byte // mapping.HashRackbeat, decoded
}

// catalogueProduct is what the sync needs of a Rackbeat product it did
// not change: enough to bind it and to decide on its stock.
type catalogueProduct struct {
	Number string
	// Hash is mapping.HashRackbeat of the product, the binding's InventoryHash.
	Hash  string
	Stock bool
}

func newCatalogueIndex() *catalogueIndex {
	return &catalogueIndex{seed: maphash.MakeSeed()}
}

// grow makes room for n more products, so that reading a catalogue whose
// size is known does not copy the index as it grows.
func (x *catalogueIndex) grow(n, numberLen int) {
	x.entries = slices.Grow(x.entries, n)
	x.numbers.Grow(n * numberLen)
}

// add indexes p. A number seen before is replaced, as a map would.
func (x *catalogueIndex) add(p rackbeat.Product) error {
	if x.built {
		return fmt.Errorf("catalogue index: add after build")
	}
	if len(p.Number) > 1<<16-1 {
		return fmt.Errorf("Rackbeat product number of %d bytes starting %q is too long to index", len(p.Number), p.Number[:32])
	}
	h, err := hex.DecodeString(mapping.HashRackbeat(p))
	if err != nil || len(h) != 16 {
		return fmt.Errorf("catalogue index: unexpected product hash (%v): mapping.HashRackbeat changed shape", err)
	}
	e := catalogueEntry{off: uint32(x.numbers.Len()), n: uint16(len(p.Number)), stock: p.InventoryEnabled || p.Group.HasInventory}
	copy(e.hash[:], h)
	e.fields[fpName] = x.text(p.Name)
	e.fields[fpDescription] = x.text(p.Description)
	e.fields[fpBarcode] = x.text(p.Barcode)
	e.fields[fpSalesPrice] = x.money(p.SalesPrice)
	e.fields[fpCostPrice] = x.money(p.CostPrice)
	e.fields[fpWeight] = x.weight(p.Physical.Weight, p.Physical.WeightUnit)
	x.numbers.WriteString(p.Number)
	x.entries = append(x.entries, e)
	return nil
}

// build sorts the index for lookups; the last of equal numbers wins.
func (x *catalogueIndex) build() {
	x.arena = x.numbers.String()
	slices.SortStableFunc(x.entries, func(a, b catalogueEntry) int { return strings.Compare(x.number(&a), x.number(&b)) })
	out := x.entries[:0]
	for i := range x.entries {
		if len(out) > 0 && x.number(&out[len(out)-1]) == x.number(&x.entries[i]) {
			out[len(out)-1] = x.entries[i]
			continue
		}
		out = append(out, x.entries[i])
	}
	x.entries = slices.Clip(out)
	x.built = true
}

func (x *catalogueIndex) number(e *catalogueEntry) string {
	return x.arena[e.off : e.off+uint32(e.n)]
}

// Len is the number of products indexed.
func (x *catalogueIndex) Len() int { return len(x.entries) }

// find looks a product up by number.
func (x *catalogueIndex) find(number string) (*catalogueEntry, bool) {
	i, ok := slices.BinarySearchFunc(x.entries, number, func(e catalogueEntry, n string) int { return strings.Compare(x.number(&e), n) })
	if !ok {
		return nil, false
	}
	return &x.entries[i], true
}

// product is what the sync keeps of an indexed product it leaves alone.
func (x *catalogueIndex) product(e *catalogueEntry) catalogueProduct {
	return catalogueProduct{Number: x.number(e), Hash: hex.EncodeToString(e.hash[:]), Stock: e.stock}
}

// diff is mapping.DiffRackbeat of want against the indexed product:
// the fields want sets that differ, compared as that function compares
// them (text without surrounding space, money by value, weight in grams).
func (x *catalogueIndex) diff(want rackbeat.ProductInput, e *catalogueEntry) []string {
	var out []string
	if want.Number != "" && want.Number != x.number(e) {
		out = append(out, mapping.RackbeatNumber)
	}
	if want.Name != "" && x.text(want.Name) != e.fields[fpName] {
		out = append(out, mapping.RackbeatName)
	}
	if want.Description != nil && x.text(*want.Description) != e.fields[fpDescription] {
		out = append(out, mapping.RackbeatDescription)
	}
	if want.Barcode != nil && x.text(*want.Barcode) != e.fields[fpBarcode] {
		out = append(out, mapping.RackbeatBarcode)
	}
	if want.SalesPrice != nil && x.money(*want.SalesPrice) != e.fields[fpSalesPrice] {
		out = append(out, mapping.RackbeatSalesPrice)
	}
	if want.CostPrice != nil && x.money(*want.CostPrice) != e.fields[fpCostPrice] {
		out = append(out, mapping.RackbeatCostPrice)
	}
	if want.Weight != nil && x.weight(*want.Weight, want.WeightUnit) != e.fields[fpWeight] {
		out = append(out, mapping.RackbeatWeight)
	}
	return out
}

func (x *catalogueIndex) text(s string) uint64 {
	return maphash.String(x.seed, strings.TrimSpace(s))
}

// money fingerprints an amount by value: decimal's String drops trailing
// zeros, so 100 and 100.00 agree as Decimal.Equal says they do.
func (x *catalogueIndex) money(d decimal.Decimal) uint64 {
	return maphash.String(x.seed, d.String())
}

// weight fingerprints a weight in grams, so that 0.4 kg and 400 g agree
// (the comparison mapping.DiffRackbeat makes; a unit it cannot read is
// compared as written).
func (x *catalogueIndex) weight(v decimal.Decimal, unit string) uint64 {
	if v.IsZero() {
		return maphash.String(x.seed, "0")
	}
	key := v.String() + unit
	if u, err := mapping.ParseWeightUnit(unit); err == nil {
		if g, err := mapping.ConvertWeight(sdk.Weight{Value: v, Unit: u}, sdk.Grams); err == nil {
			key = g.Value.Round(3).String()
		}
	}
	return maphash.String(x.seed, key)
}
