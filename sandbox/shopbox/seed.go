package shopbox

import (
	"fmt"
	"math/rand/v2"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
)

// seed builds the starting state from the catalogue: a branch per location
// with one or two cash registers, a tag per category, a "Farge" variance type
// for the variant titles, and every product with its stock.
func seed(opts Options) *state {
	st := newState(opts.Seed)
	now := opts.Now().Unix()
	c := opts.Catalog
	if c == nil {
		c = &catalog.Catalog{Locations: []catalog.Location{{Number: 1, Name: "Hovedlager"}}}
	}
	// Cash registers come from their own generator so that the random sales
	// sequence does not depend on how many locations there are.
	regRng := rand.New(rand.NewPCG(uint64(opts.Seed), 0xca5e))
	branchOf := map[int]int{} // location number -> branch uid
	for _, loc := range c.Locations {
		b := &Branch{UID: st.newUID(), Name: loc.Name, Client: opts.ClientID}
		n := 1 + regRng.IntN(2)
		for i := 1; i <= n; i++ {
			b.CashRegisters = append(b.CashRegisters, CashRegister{UID: st.newUID(), Name: fmt.Sprintf("Kasse %d", i)})
		}
		st.branches = append(st.branches, b)
		branchOf[loc.Number] = b.UID
	}

	tagOf := map[string]int{}
	valueOf := map[string]int{}
	farge := &VarianceType{UID: st.newUID(), Name: "Farge"}
	for _, p := range c.Products {
		if _, ok := tagOf[p.Category]; !ok && p.Category != "" {
			t := &Tag{UID: st.newUID(), Name: p.Category}
			st.tags = append(st.tags, t)
			tagOf[p.Category] = t.UID
		}
		if simple(p) {
			continue
		}
		for _, v := range p.Variants {
			if _, ok := valueOf[v.Title]; !ok {
				val := VarianceValue{UID: st.newUID(), Name: v.Title}
				farge.Values = append(farge.Values, val)
				valueOf[v.Title] = val.UID
			}
		}
	}
	if len(farge.Values) > 0 {
		st.varianceTypes = append(st.varianceTypes, farge)
	}
	st.reindex()

	for _, cp := range c.Products {
		price, err := OreInclVAT(cp.SalesPrice, opts.VATPercent)
		if err != nil {
			panic(fmt.Sprintf("catalogue product %s: %v", cp.Number, err))
		}
		cost, err := OreExclVAT(cp.CostPrice)
		if err != nil {
			panic(fmt.Sprintf("catalogue product %s: %v", cp.Number, err))
		}
		p := &Product{
			UID: st.newUID(), Name: cp.Name, Description: cp.Description,
			SellingPrice: price, StockPrice: cost, SKUCode: cp.Number,
			IntegrationNumber: ptr(cp.Number), Weight: cp.WeightGrams,
			CreationTime: now, UpdatedTime: now,
		}
		if t, ok := tagOf[cp.Category]; ok {
			p.Tag = ptr(t)
		}
		if simple(cp) {
			if bc := cp.Variants[0].Barcode; bc != "" {
				p.Code = ptr(bc)
			}
		} else {
			p.InventoryOnVariants = 1
			for _, v := range cp.Variants {
				vr := Variance{
					UID: st.newUID(), Product: p.UID, SKUCode: v.SKU, SellingPrice: price,
					VarianceValue: []int{valueOf[v.Title]}, Name: v.Title,
				}
				if v.Barcode != "" {
					vr.Barcode = ptr(v.Barcode)
				}
				p.Variances = append(p.Variances, vr)
			}
		}
		st.addProduct(p, now)
		for i, v := range cp.Variants {
			u := unitRef{p.UID, 0}
			if !simple(cp) {
				u.Variance = p.Variances[i].UID
			}
			for _, loc := range c.Locations {
				st.row(branchOf[loc.Number], u, now).Quantity = v.Stock[loc.Number]
			}
		}
	}
	return st
}

// simple says a catalogue product becomes a Shopbox product without variances.
func simple(p catalog.Product) bool {
	return len(p.Variants) == 1 && p.Variants[0].SKU == p.Number
}
