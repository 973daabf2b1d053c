package flow

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
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
// When the link names custom fields for the channel's ids (Shopbox seed:
// "Shopbox UID felt ID" and "Shopbox variasjonsfelt ID"), each product
// also has one 64-bit fingerprint of those fields' values, kept in the
// arena right after its number, so a link without them pays nothing for
// it and one with them 8 bytes a product.
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
	// fieldIDs are the custom fields fingerprinted per product, in order.
	fieldIDs []int64
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

// newCatalogueIndex makes an index that also fingerprints the values of
// the custom fields fieldIDs names (zeros, fields a link leaves unset,
// are ignored).
func newCatalogueIndex(fieldIDs ...int64) *catalogueIndex {
	x := &catalogueIndex{seed: maphash.MakeSeed()}
	for _, id := range fieldIDs {
		if id != 0 {
			x.fieldIDs = append(x.fieldIDs, id)
		}
	}
	return x
}

// fieldsPrintLen is the bytes a product's field fingerprint takes in the arena.
const fieldsPrintLen = 8

// grow makes room for n more products, so that reading a catalogue whose
// size is known does not copy the index as it grows.
func (x *catalogueIndex) grow(n, numberLen int) {
	x.entries = slices.Grow(x.entries, n)
	if len(x.fieldIDs) > 0 {
		numberLen += fieldsPrintLen
	}
	x.numbers.Grow(n * numberLen)
}

// add indexes p. A number seen before is replaced, as a map would.
func (x *catalogueIndex) add(p rackbeat.Product) error {
	if x.built {
		return fmt.Errorf("catalogue index: add after build")
	}
	if len(p.Number) > 1<<16-1 {
		return fmt.Errorf("catalogue index: a Rackbeat product number of %d bytes starting %q is too long to index", len(p.Number), p.Number[:32])
	}
	if x.numbers.Len() > math.MaxUint32-len(p.Number)-fieldsPrintLen {
		return errors.New("catalogue index: Rackbeat's catalogue has more product numbers than the index can hold (4 GiB of them)")
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
	if len(x.fieldIDs) > 0 {
		var fp [fieldsPrintLen]byte
		binary.LittleEndian.PutUint64(fp[:], x.fieldsPrint(p.Field))
		x.numbers.Write(fp[:])
	}
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

// fieldsDiffer reports whether the product's custom fields differ from
// what want would write, as idFields compares them. It is exact when want
// sets every field the index fingerprints, as the initial sync's does when
// the channel gives both ids; when want leaves one out, a product whose
// field holds something is reported as differing, and the fields want
// does set are written again. An index without fields has nothing that
// differs.
func (x *catalogueIndex) fieldsDiffer(want []rackbeat.FieldValue, e *catalogueEntry) bool {
	if len(x.fieldIDs) == 0 {
		return false
	}
	at := e.off + uint32(e.n)
	var have uint64
	for i := range fieldsPrintLen {
		have |= uint64(x.arena[at+uint32(i)]) << (8 * i)
	}
	return have != x.fieldsPrint(func(id int64) (string, bool) {
		for _, fv := range want {
			if fv.FieldID == id {
				return fv.Value, true
			}
		}
		return "", false
	})
}

// fieldsPrint fingerprints the values of the index's custom fields, a
// field without a value apart from one whose value is empty.
func (x *catalogueIndex) fieldsPrint(value func(id int64) (string, bool)) uint64 {
	var h maphash.Hash
	h.SetSeed(x.seed)
	var n [8]byte
	for _, id := range x.fieldIDs {
		v, ok := value(id)
		if !ok {
			_ = h.WriteByte(0)
			continue
		}
		_ = h.WriteByte(1)
		binary.LittleEndian.PutUint64(n[:], uint64(len(v)))
		_, _ = h.Write(n[:])
		_, _ = h.WriteString(v)
	}
	return h.Sum64()
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
