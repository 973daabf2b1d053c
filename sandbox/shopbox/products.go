package shopbox

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

func (s *Server) listClients(w http.ResponseWriter, r *http.Request) {
	pg, ok := pageBounds(w, r)
	if !ok {
		return
	}
	clients := []Client{{UID: s.opts.ClientID, Name: "Shopbox Sandbox"}}
	writeJSON(w, http.StatusOK, buildList(r, pg, clients, func(c Client) any { return c }))
}

func cloneBranch(b *Branch) any {
	out := *b
	out.CashRegisters = append([]CashRegister{}, b.CashRegisters...)
	return out
}

func (s *Server) listBranches(w http.ResponseWriter, r *http.Request) {
	pg, ok := pageBounds(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	ans := buildList(r, pg, s.st.branches, cloneBranch)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) getBranch(w http.ResponseWriter, r *http.Request) {
	uid, ok := pathUID(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	b := s.st.branchByUID[uid]
	var out any
	if b != nil {
		out = cloneBranch(b)
	}
	s.mu.Unlock()
	if b == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("branch %d not found", uid))
		return
	}
	writeData(w, http.StatusOK, out)
}

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) {
	pg, ok := pageBounds(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	ans := buildList(r, pg, s.st.tags, func(t *Tag) any { return *t })
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) getTag(w http.ResponseWriter, r *http.Request) {
	uid, ok := pathUID(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	t := s.st.tagByUID[uid]
	var out Tag
	if t != nil {
		out = *t
	}
	s.mu.Unlock()
	if t == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("tag %d not found", uid))
		return
	}
	writeData(w, http.StatusOK, out)
}

func (s *Server) createTag(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name string `json:"name"`
	}
	if !decode(w, r, &in) {
		return
	}
	if strings.TrimSpace(in.Name) == "" {
		writeError(w, http.StatusUnprocessableEntity, "name: a tag needs a name")
		return
	}
	s.mu.Lock()
	t := &Tag{UID: s.st.newUID(), Name: in.Name}
	s.st.tags = append(s.st.tags, t)
	s.st.tagByUID[t.UID] = t
	out := *t
	s.mu.Unlock()
	writeData(w, http.StatusCreated, out)
}

// productOut is a product on the wire with the relations the request asked for.
type productOut struct {
	Product
	Tag0             *Tag        `json:"tag0,omitempty"`
	ProductVariances *[]Variance `json:"product_variances,omitempty"`
}

// renderProduct copies p into its wire shape; call it under the lock.
func (st *state) renderProduct(p *Product, exp map[string]bool) productOut {
	c := cloneProduct(p)
	out := productOut{Product: c.Product}
	if exp["product_variances"] || exp["variances"] {
		out.ProductVariances = &c.ProductVariances
	}
	if exp["tag0"] && p.Tag != nil {
		if t := st.tagByUID[*p.Tag]; t != nil {
			out.Tag0 = ptr(*t)
		}
	}
	return out
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	pg, ok := pageBounds(w, r)
	if !ok {
		return
	}
	since, sinceSet, ok := intParam(w, r, "updated_since")
	if !ok {
		return
	}
	tag, tagSet, ok := intParam(w, r, "tag")
	if !ok {
		return
	}
	sku := r.URL.Query().Get("sku_code")
	exp := expansions(r)

	s.mu.Lock()
	var items []*Product
	if sku != "" {
		seen := map[int]bool{}
		for _, ref := range s.st.bySKU[sku] {
			if !seen[ref.Product] {
				seen[ref.Product] = true
				items = append(items, s.st.productByUID[ref.Product])
			}
		}
		slices.SortFunc(items, func(a, b *Product) int { return a.UID - b.UID })
	} else {
		items = s.st.products
	}
	if sinceSet || tagSet {
		var kept []*Product
		for _, p := range items {
			if sinceSet && p.UpdatedTime < since {
				continue
			}
			if tagSet && (p.Tag == nil || int64(*p.Tag) != tag) {
				continue
			}
			kept = append(kept, p)
		}
		items = kept
	}
	ans := buildList(r, pg, items, func(p *Product) any { return s.st.renderProduct(p, exp) })
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	uid, ok := pathUID(w, r)
	if !ok {
		return
	}
	exp := expansions(r)
	s.mu.Lock()
	p := s.st.productByUID[uid]
	var out productOut
	if p != nil {
		out = s.st.renderProduct(p, exp)
	}
	s.mu.Unlock()
	if p == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("product %d not found", uid))
		return
	}
	writeData(w, http.StatusOK, out)
}

type varianceIn struct {
	UID           *int    `json:"uid"`
	SellingPrice  *int64  `json:"selling_price"`
	VarianceValue *[]int  `json:"variance_value"`
	Barcode       *string `json:"barcode"`
	SKUCode       *string `json:"sku_code"`
	Name          *string `json:"name"`
}

type productIn struct {
	UID                 *int          `json:"uid"`
	Name                *string       `json:"name"`
	Description         *string       `json:"description"`
	Tag                 *int          `json:"tag"`
	SellingPrice        *int64        `json:"selling_price"`
	StockPrice          *int64        `json:"stock_price"`
	Code                *string       `json:"code"`
	SKUCode             *string       `json:"sku_code"`
	IntegrationNumber   *string       `json:"integration_number"`
	InventoryOnVariants *int          `json:"inventory_on_variants"`
	Weight              *int          `json:"weight"`
	IsBOM               *bool         `json:"is_bom"`
	BOMLines            *[]BOMLine    `json:"bom_lines"`
	Variants            *[]varianceIn `json:"variants"`
}

func (s *Server) createOrUpdateProduct(w http.ResponseWriter, r *http.Request) {
	var in productIn
	if !decode(w, r, &in) {
		return
	}
	exp := expansions(r)
	s.mu.Lock()
	p, created, status, err := s.st.upsertProduct(in, s.now().Unix())
	var out productOut
	if err == nil {
		exp["product_variances"] = true
		out = s.st.renderProduct(p, exp)
	}
	s.mu.Unlock()
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	status = http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeData(w, status, out)
}

// upsertProduct validates everything before it changes anything, so a
// rejected request leaves no half-written product and consumes no uid.
func (st *state) upsertProduct(in productIn, now int64) (p *Product, created bool, status int, err error) {
	var old *Product
	if in.UID != nil && *in.UID != 0 {
		old = st.productByUID[*in.UID]
		if old == nil {
			return nil, false, http.StatusNotFound, fmt.Errorf("uid: product %d not found; send uid null to create a product", *in.UID)
		}
	}
	var np Product
	if old != nil {
		c := cloneProduct(old)
		np = c.Product
		np.Variances = c.ProductVariances
	} else {
		if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
			return nil, false, http.StatusUnprocessableEntity, fmt.Errorf("name: a new product needs a name")
		}
		np.CreationTime = now
	}
	unprocessable := func(format string, a ...any) (*Product, bool, int, error) {
		return nil, false, http.StatusUnprocessableEntity, fmt.Errorf(format, a...)
	}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			return unprocessable("name: must not be empty")
		}
		np.Name = *in.Name
	}
	if in.Description != nil {
		np.Description = *in.Description
	}
	if in.Tag != nil {
		if *in.Tag == 0 {
			np.Tag = nil
		} else if st.tagByUID[*in.Tag] == nil {
			return unprocessable("tag: tag %d does not exist; create it with POST /tags", *in.Tag)
		} else {
			np.Tag = ptr(*in.Tag)
		}
	}
	if in.SellingPrice != nil {
		if *in.SellingPrice < 0 {
			return unprocessable("selling_price: must not be negative (øre incl. VAT)")
		}
		np.SellingPrice = *in.SellingPrice
	}
	if in.StockPrice != nil {
		if *in.StockPrice < 0 {
			return unprocessable("stock_price: must not be negative (øre)")
		}
		np.StockPrice = *in.StockPrice
	}
	if in.Code != nil {
		np.Code = ptr(*in.Code)
	}
	if in.SKUCode != nil {
		np.SKUCode = *in.SKUCode
	}
	if in.IntegrationNumber != nil {
		np.IntegrationNumber = ptr(*in.IntegrationNumber)
	}
	if in.Weight != nil {
		np.Weight = *in.Weight
	}
	if in.IsBOM != nil {
		np.IsBOM = *in.IsBOM
	}
	if in.BOMLines != nil {
		np.BOMLines = append([]BOMLine{}, (*in.BOMLines)...)
	}
	var fresh []int // indexes of variances that still need a uid
	if in.Variants != nil {
		for i, vi := range *in.Variants {
			var v *Variance
			if vi.UID != nil && *vi.UID != 0 {
				v = np.variance(*vi.UID)
				if v == nil {
					return unprocessable("variants[%d].uid: variance %d does not belong to this product; send uid 0 to create one", i, *vi.UID)
				}
			} else {
				np.Variances = append(np.Variances, Variance{SellingPrice: np.SellingPrice, VarianceValue: []int{}})
				v = &np.Variances[len(np.Variances)-1]
				fresh = append(fresh, len(np.Variances)-1)
			}
			if vi.SellingPrice != nil {
				if *vi.SellingPrice < 0 {
					return unprocessable("variants[%d].selling_price: must not be negative (øre incl. VAT)", i)
				}
				v.SellingPrice = *vi.SellingPrice
			}
			if vi.VarianceValue != nil {
				for _, val := range *vi.VarianceValue {
					if !st.valueUIDs[val] {
						return unprocessable("variants[%d].variance_value: value %d does not exist; create it with POST /variance-type/create-or-update", i, val)
					}
				}
				v.VarianceValue = append([]int{}, (*vi.VarianceValue)...)
			}
			if vi.Barcode != nil {
				v.Barcode = ptr(*vi.Barcode)
			}
			if vi.SKUCode != nil {
				v.SKUCode = *vi.SKUCode
			}
			if vi.Name != nil {
				v.Name = *vi.Name
			}
		}
	}
	if np.IsBOM {
		if len(np.Variances) > 0 {
			return unprocessable("is_bom: a BOM product cannot have variants")
		}
		if len(np.BOMLines) == 0 {
			return unprocessable("bom_lines: a BOM product needs at least one line")
		}
		for i, l := range np.BOMLines {
			if l.Quantity <= 0 {
				return unprocessable("bom_lines[%d].quantity: must be at least 1", i)
			}
			ref, ok := st.lookupSKU(l.SKUCode)
			if !ok {
				return unprocessable("bom_lines[%d].sku_code: no product or variance has SKU %q", i, l.SKUCode)
			}
			if old != nil && ref.Product == old.UID {
				return unprocessable("bom_lines[%d].sku_code: a BOM product cannot contain itself", i)
			}
			if c := st.productByUID[ref.Product]; c != nil && c.IsBOM {
				return unprocessable("bom_lines[%d].sku_code: %q is itself a BOM product; nested BOMs are not supported", i, l.SKUCode)
			}
		}
	} else {
		np.BOMLines = nil
	}

	// Valid: assign uids and commit.
	if old == nil {
		np.UID = st.newUID()
	}
	for _, i := range fresh {
		np.Variances[i].UID = st.newUID()
	}
	for i := range np.Variances {
		np.Variances[i].Product = np.UID
	}
	if len(np.Variances) > 0 && (in.InventoryOnVariants == nil || *in.InventoryOnVariants != 0) {
		np.InventoryOnVariants = 1
	} else if in.InventoryOnVariants != nil {
		np.InventoryOnVariants = *in.InventoryOnVariants
	}
	if np.BOMLines == nil {
		np.BOMLines = []BOMLine{}
	}
	np.UpdatedTime = now
	if old == nil {
		p = &np
		st.addProduct(p, now)
		return p, true, 0, nil
	}
	before := old.units()
	st.unindexSKUs(old)
	*old = np
	st.indexSKUsFresh(old)
	st.ensureRows(old, now)
	st.pruneRows(old, before)
	return old, false, 0, nil
}

func (s *Server) listVarianceTypes(w http.ResponseWriter, r *http.Request) {
	pg, ok := pageBounds(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	ans := buildList(r, pg, s.st.varianceTypes, cloneVarianceType)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

func cloneVarianceType(vt *VarianceType) any {
	out := *vt
	out.Values = append([]VarianceValue{}, vt.Values...)
	return out
}

func (s *Server) createOrUpdateVarianceType(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UID    *int    `json:"uid"`
		Name   *string `json:"name"`
		Values []struct {
			UID  *int   `json:"uid"`
			Name string `json:"name"`
		} `json:"values"`
	}
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	var vt *VarianceType
	if in.UID != nil && *in.UID != 0 {
		for _, t := range st.varianceTypes {
			if t.UID == *in.UID {
				vt = t
			}
		}
		if vt == nil {
			writeError(w, http.StatusNotFound, fmt.Sprintf("uid: variance type %d not found; send uid null to create one", *in.UID))
			return
		}
	} else if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		writeError(w, http.StatusUnprocessableEntity, "name: a new variance type needs a name")
		return
	}
	next := VarianceType{Name: ""}
	if vt != nil {
		next = cloneVarianceType(vt).(VarianceType)
	}
	if in.Name != nil {
		next.Name = *in.Name
	}
	var fresh []int
	for i, v := range in.Values {
		if v.UID != nil && *v.UID != 0 {
			found := false
			for j := range next.Values {
				if next.Values[j].UID == *v.UID {
					next.Values[j].Name, found = v.Name, true
				}
			}
			if !found {
				writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("values[%d].uid: value %d does not belong to this variance type", i, *v.UID))
				return
			}
			continue
		}
		if strings.TrimSpace(v.Name) == "" {
			writeError(w, http.StatusUnprocessableEntity, fmt.Sprintf("values[%d].name: a new value needs a name", i))
			return
		}
		next.Values = append(next.Values, VarianceValue{Name: v.Name})
		fresh = append(fresh, len(next.Values)-1)
	}
	status := http.StatusOK
	if vt == nil {
		next.UID = st.newUID()
		vt = &VarianceType{}
		st.varianceTypes = append(st.varianceTypes, vt)
		status = http.StatusCreated
	}
	for _, i := range fresh {
		next.Values[i].UID = st.newUID()
		st.valueUIDs[next.Values[i].UID] = true
	}
	if next.Values == nil {
		next.Values = []VarianceValue{}
	}
	*vt = next
	writeData(w, status, cloneVarianceType(vt))
}
