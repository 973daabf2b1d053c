package shopbox

import (
	"fmt"
	"net/http"
)

// inventoryOut is an inventory row with the relations the request asked for.
type inventoryOut struct {
	InventoryRow
	Product0 *productOut `json:"product0,omitempty"`
}

func (s *Server) listInventories(w http.ResponseWriter, r *http.Request) {
	pg, ok := pageBounds(w, r)
	if !ok {
		return
	}
	branch, branchSet, ok := intParam(w, r, "branch")
	if !ok {
		return
	}
	product, productSet, ok := intParam(w, r, "product")
	if !ok {
		return
	}
	sku := r.URL.Query().Get("sku_code")
	exp := expansions(r)

	s.mu.Lock()
	if branchSet && s.st.branchByUID[int(branch)] == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, fmt.Sprintf("branch %d not found; GET /branches lists them", branch))
		return
	}
	rows := s.st.inventory
	if branchSet {
		rows = s.st.invByBranch[int(branch)]
	}
	if productSet || sku != "" {
		var kept []*InventoryRow
		for _, row := range rows {
			if (productSet && int64(row.Product) != product) || (sku != "" && row.SKUCode != sku) {
				continue
			}
			kept = append(kept, row)
		}
		rows = kept
	}
	ans := buildList(r, pg, rows, func(row *InventoryRow) any {
		out := inventoryOut{InventoryRow: *row}
		out.ProductVariance = clonePtr(row.ProductVariance)
		if exp["product0"] {
			out.Product0 = ptr(s.st.renderProduct(s.st.productByUID[row.Product], exp))
		}
		return out
	})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) setInventory(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Branch          int    `json:"branch"`
		Product         int    `json:"product"`
		ProductVariance *int   `json:"product_variance"`
		Quantity        *int   `json:"quantity"`
		Note            string `json:"note"`
	}
	if !decode(w, r, &in) {
		return
	}
	s.mu.Lock()
	row, status, err := s.st.setQuantity(in.Branch, in.Product, deref(in.ProductVariance), in.Quantity, in.Note, s.now().Unix())
	var out InventoryRow
	if err == nil {
		out = *row
		out.ProductVariance = clonePtr(row.ProductVariance)
	}
	s.mu.Unlock()
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	writeData(w, http.StatusOK, out)
}

// setQuantity sets the stock of one unit at one branch and records the write.
func (st *state) setQuantity(branch, product, variance int, qty *int, note string, now int64) (*InventoryRow, int, error) {
	bad := func(format string, a ...any) (*InventoryRow, int, error) {
		return nil, http.StatusUnprocessableEntity, fmt.Errorf(format, a...)
	}
	if st.branchByUID[branch] == nil {
		return bad("branch: branch %d does not exist", branch)
	}
	p := st.productByUID[product]
	if p == nil {
		return bad("product: product %d does not exist", product)
	}
	if qty == nil {
		return bad("quantity: required")
	}
	if p.IsBOM {
		return bad("product: product %d is a BOM product and has no stock of its own", product)
	}
	if len(p.Variances) > 0 {
		if variance == 0 {
			return bad("product_variance: product %d keeps stock on its variances; name one", product)
		}
		if p.variance(variance) == nil {
			return bad("product_variance: variance %d does not belong to product %d", variance, product)
		}
	} else if variance != 0 {
		return bad("product_variance: product %d has no variances", product)
	}
	row := st.row(branch, unitRef{product, variance}, now)
	w := InventoryWrite{
		Time: now, Branch: branch, Product: product, ProductVariance: clonePtr(row.ProductVariance),
		SKUCode: row.SKUCode, Quantity: *qty, Previous: row.Quantity, Note: note,
	}
	st.invWrites = append(st.invWrites, w)
	row.Quantity = *qty
	row.UpdatedTime = now
	return row, 0, nil
}
