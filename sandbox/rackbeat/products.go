package rackbeat

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *Server) groupLocked(n int) *Group {
	for _, g := range s.st.Groups {
		if g.Number == n {
			return g
		}
	}
	return nil
}

func (s *Server) defaultLocationLocked() int {
	for _, l := range s.st.Locations {
		if l.IsDefault {
			return l.Number
		}
	}
	if len(s.st.Locations) > 0 {
		return s.st.Locations[0].Number
	}
	return 1
}

func (s *Server) locationLocked(n int) *Location {
	for _, l := range s.st.Locations {
		if l.Number == n {
			return l
		}
	}
	return nil
}

func (s *Server) stocked(number string) bool {
	p := s.products[number]
	if p == nil {
		return false
	}
	g := s.groupLocked(p.Group)
	return g != nil && g.HasInventory
}

// expandLocked turns an order line into the stocked products it draws:
// a lot draws its components.
func (s *Server) expandLocked(item string, qty int, fn func(number string, qty int)) {
	if l := s.lots[item]; l != nil {
		for _, c := range l.Lines {
			if s.stocked(c.ProductID) {
				fn(c.ProductID, c.Quantity*qty)
			}
		}
		return
	}
	if s.stocked(item) {
		fn(item, qty)
	}
}

func (s *Server) lineLocation(o *Order, l OrderLine) int {
	switch {
	case l.Location != 0:
		return l.Location
	case o.Location != 0:
		return o.Location
	default:
		return s.defaultLocationLocked()
	}
}

// reservedLocked is what booked, unshipped, uncancelled orders hold back, per product and location.
func (s *Server) reservedLocked() map[string]map[int]int {
	res := map[string]map[int]int{}
	for _, o := range s.st.Orders {
		if !o.IsBooked || o.IsDraft || o.IsShipped || o.IsCancelled {
			continue
		}
		for _, l := range o.Lines {
			loc := s.lineLocation(o, l)
			s.expandLocked(l.ItemID, l.Quantity, func(n string, q int) {
				if res[n] == nil {
					res[n] = map[int]int{}
				}
				res[n][loc] += q
			})
		}
	}
	return res
}

func (s *Server) productViewLocked(p *Product, reserved map[string]map[int]int, expand bool) map[string]any {
	g := s.groupLocked(p.Group)
	inv := g != nil && g.HasInventory
	stock, inOrder := 0, 0
	if inv {
		for _, q := range s.st.Stock[p.Number] {
			stock += q
		}
		for _, q := range reserved[p.Number] {
			inOrder += q
		}
	}
	v := map[string]any{
		"id": p.ID, "number": p.Number, "urlfriendly_number": url.PathEscape(p.Number), "type": "product",
		"name": p.Name, "description": p.Description, "barcode": p.Barcode,
		"sales_price": p.SalesPrice, "cost_price": p.CostPrice, "recommended_sales_price": p.SalesPrice,
		"stock_quantity": stock, "in_order_quantity": inOrder, "available_quantity": stock - inOrder,
		"is_barred": p.IsBarred, "inventory_enabled": inv,
		"physical":   map[string]any{"weight": p.Weight, "weight_unit": p.WeightUnit},
		"created_at": fmtTime(p.CreatedAt), "updated_at": fmtTime(p.UpdatedAt),
	}
	if g != nil {
		v["group"] = map[string]any{"number": g.Number, "name": g.Name, "vat_domestic": g.VATDomestic}
	}
	if expand {
		v["field_values"] = s.fieldValuesView(p.FieldValues)
	}
	return v
}

func (s *Server) fieldValuesView(fv map[int]string) []any {
	ids := make([]int, 0, len(fv))
	for id := range fv {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		row := map[string]any{"field_id": id, "value": fv[id]}
		for _, f := range s.st.Fields {
			if f.ID == id {
				row["field"] = map[string]any{"id": f.ID, "name": f.Name, "slug": f.Slug}
			}
		}
		out = append(out, row)
	}
	return out
}

func (s *Server) stockRowsLocked(number string, reserved map[string]map[int]int) []any {
	rows := make([]any, 0, len(s.st.Locations))
	for _, l := range s.st.Locations {
		in := s.st.Stock[number][l.Number]
		rows = append(rows, map[string]any{
			"location":  map[string]any{"number": l.Number, "name": l.Name},
			"in_stock":  in,
			"available": in - reserved[number][l.Number],
		})
	}
	return rows
}

func expandsFieldValues(r *http.Request) bool {
	for _, e := range strings.Split(r.URL.Query().Get("expand"), ",") {
		if strings.TrimSpace(e) == "field_values" {
			return true
		}
	}
	return false
}

// fieldEq reads field_eq[<id>]=value filters.
func fieldEq(r *http.Request) map[int]string {
	out := map[int]string{}
	for k, vs := range r.URL.Query() {
		if strings.HasPrefix(k, "field_eq[") && strings.HasSuffix(k, "]") {
			if id, err := strconv.Atoi(k[len("field_eq[") : len(k)-1]); err == nil && len(vs) > 0 {
				out[id] = vs[0]
			}
		}
	}
	return out
}

func matchesFields(fv map[int]string, want map[int]string) bool {
	for id, v := range want {
		if fv[id] != v {
			return false
		}
	}
	return true
}

// timeFilter reads updated_after (inclusive) and updated_before (exclusive).
func timeFilter(w http.ResponseWriter, r *http.Request) (func(time.Time) bool, bool) {
	var after, before time.Time
	v := validation{}
	for _, k := range []string{"updated_after", "updated_before"} {
		s := r.URL.Query().Get(k)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t, err = time.Parse("2006-01-02", s)
		}
		if err != nil {
			v.add(k, "The "+k+" is not a valid ISO 8601 date.")
			continue
		}
		if k == "updated_after" {
			after = t
		} else {
			before = t
		}
	}
	if v.write(w) {
		return nil, false
	}
	return func(t time.Time) bool {
		return (after.IsZero() || !t.Before(after)) && (before.IsZero() || t.Before(before))
	}, true
}

func (s *Server) listProducts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	inWindow, ok := timeFilter(w, r)
	if !ok {
		return
	}
	number, ean, search := q.Get("simple_filter[number]"), q.Get("simple_filter[ean]"), strings.ToLower(q.Get("search"))
	barred := q.Get("is_barred")
	feq := fieldEq(r)
	expand := expandsFieldValues(r)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var items []*Product
	for _, p := range s.st.Products {
		if number != "" && p.Number != number || ean != "" && p.Barcode != ean ||
			search != "" && !strings.Contains(strings.ToLower(p.Number+" "+p.Name+" "+p.Barcode), search) ||
			barred != "" && strconv.FormatBool(p.IsBarred) != barred && (barred == "1") != p.IsBarred ||
			!matchesFields(p.FieldValues, feq) || !inWindow(p.UpdatedAt) {
			continue
		}
		items = append(items, p)
	}
	sortItems(r, items, productSortKey)
	reserved := s.reservedLocked()
	writePage(w, r, "products", items, func(p *Product) any { return s.productViewLocked(p, reserved, expand) })
}

func productSortKey(p *Product, by string) string {
	switch by {
	case "number":
		return p.Number
	case "name":
		return p.Name
	case "id":
		return padInt(p.ID)
	case "created_at":
		return fmtTime(p.CreatedAt)
	case "updated_at":
		return fmtTime(p.UpdatedAt)
	case "barcode":
		return p.Barcode
	}
	return ""
}

func (s *Server) getProduct(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.products[r.PathValue("number")]
	if p == nil {
		notFound(w, "Product")
		return
	}
	writeOne(w, r, http.StatusOK, "product", s.productViewLocked(p, s.reservedLocked(), expandsFieldValues(r)))
}

func (s *Server) productFields(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p := s.products[r.PathValue("number")]
	if p == nil {
		notFound(w, "Product")
		return
	}
	writeList(w, r, "field_values", s.fieldValuesView(p.FieldValues))
}

func (s *Server) productLocations(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := r.PathValue("number")
	if s.products[n] == nil {
		notFound(w, "Product")
		return
	}
	writeList(w, r, "product_locations", s.stockRowsLocked(n, s.reservedLocked()))
}

// applyProductFormLocked validates f onto a copy of old (nil: create) and answers
// the changed field names.
func (s *Server) applyProductFormLocked(f *form, old *Product) (*Product, []string) {
	p := &Product{WeightUnit: "kg", SalesPrice: Dec("0"), CostPrice: Dec("0"), Weight: Dec("0")}
	if old != nil {
		cp := *old
		cp.FieldValues = make(map[int]string, len(old.FieldValues))
		for k, v := range old.FieldValues {
			cp.FieldValues[k] = v
		}
		p = &cp
	} else {
		f.required("number")
		f.required("name")
		f.required("group")
	}
	var changed []string
	set := func(name string, fn func()) {
		if f.has(name) {
			fn()
			changed = append(changed, name)
		}
	}
	set("number", func() {
		n := strings.TrimSpace(f.str("number"))
		switch {
		case n == "":
			f.err("number", "The number field is required.")
		case len(n) > 64:
			f.err("number", "The number may not be greater than 64 characters.")
		case (old == nil || old.Number != n) && (s.products[n] != nil || s.lots[n] != nil):
			f.err("number", "The number has already been taken.")
		}
		p.Number = n
	})
	set("name", func() {
		p.Name = f.str("name")
		if strings.TrimSpace(p.Name) == "" {
			f.err("name", "The name field is required.")
		}
	})
	set("description", func() { p.Description = f.str("description") })
	set("barcode", func() { p.Barcode = f.str("barcode") })
	set("group", func() {
		p.Group = f.ref("group")
		if s.groupLocked(p.Group) == nil {
			f.err("group", "The selected group is invalid.")
		}
	})
	set("sales_price", func() {
		if d, ok := f.money("sales_price"); ok {
			p.SalesPrice = d
		}
	})
	set("cost_price", func() {
		if d, ok := f.money("cost_price"); ok {
			p.CostPrice = d
		}
	})
	set("is_barred", func() { p.IsBarred = f.boolean("is_barred") })
	set("physical", func() {
		sub, ok := subForm(f.raw["physical"], f.errs, "physical.")
		if !ok {
			return
		}
		if d, ok := sub.money("weight"); ok {
			p.Weight = d
		}
		if sub.has("weight_unit") {
			u := sub.str("weight_unit")
			switch u {
			case "g", "kg", "oz", "lb":
				p.WeightUnit = u
			default:
				sub.err("weight_unit", "The selected weight unit is invalid.")
			}
		}
	})
	if f.hasCustomFields() {
		fv := f.customFields(func(id int) bool { return s.fieldLocked(id, "item") != nil })
		if p.FieldValues == nil {
			p.FieldValues = map[int]string{}
		}
		for k, v := range fv {
			p.FieldValues[k] = v
		}
		changed = append(changed, "field_values")
	}
	return p, changed
}

func (s *Server) fieldLocked(id int, kind string) *Field {
	for _, f := range s.st.Fields {
		if f.ID == id && (kind == "" || f.For == kind) {
			return f
		}
	}
	return nil
}

// upsertProductLocked creates a product from a form (old nil) or changes
// old, and fires the webhook.
func (s *Server) upsertProductLocked(f *form, old *Product) (*Product, bool) {
	if old != nil {
		return s.changeProductLocked(f, old)
	}
	p, _ := s.applyProductFormLocked(f, nil)
	if len(f.errs) > 0 {
		return nil, false
	}
	now := s.stamp()
	s.st.Seq.Product++
	p.ID, p.CreatedAt, p.UpdatedAt = s.st.Seq.Product, now, now
	s.st.Products = append(s.st.Products, p)
	s.products[p.Number] = p
	if s.st.Stock[p.Number] == nil {
		s.st.Stock[p.Number] = map[int]int{}
	}
	s.emitLocked(EventProductCreated, p.Number, s.productViewLocked(p, s.reservedLocked(), true), nil)
	return p, true
}

func (s *Server) createProduct(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.upsertProductLocked(f, nil)
	if !ok {
		f.errs.write(w)
		return
	}
	writeOne(w, r, http.StatusCreated, "product", s.productViewLocked(p, s.reservedLocked(), true))
}

func (s *Server) updateProduct(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.products[r.PathValue("number")]
	if old == nil {
		notFound(w, "Product")
		return
	}
	p, ok := s.changeProductLocked(f, old)
	if !ok {
		f.errs.write(w)
		return
	}
	writeOne(w, r, http.StatusOK, "product", s.productViewLocked(p, s.reservedLocked(), true))
}

// changeProductLocked applies f to an existing product, moving its stock and
// index when the number changes, and fires product.updated.
func (s *Server) changeProductLocked(f *form, old *Product) (*Product, bool) {
	p, changed := s.applyProductFormLocked(f, old)
	if len(f.errs) > 0 {
		return nil, false
	}
	oldKey := old.Number
	p.UpdatedAt = s.stamp()
	*old = *p
	if oldKey != old.Number {
		delete(s.products, oldKey)
		s.products[old.Number] = old
		s.st.Stock[old.Number] = s.st.Stock[oldKey]
		delete(s.st.Stock, oldKey)
	}
	if changed == nil {
		changed = []string{}
	}
	s.emitLocked(EventProductUpdated, old.Number, s.productViewLocked(old, s.reservedLocked(), true),
		map[string]any{"old_key": oldKey, "new_key": old.Number, "changed": changed})
	return old, true
}

func (s *Server) deleteProduct(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := r.PathValue("number")
	p := s.products[n]
	if p == nil {
		notFound(w, "Product")
		return
	}
	view := s.productViewLocked(p, s.reservedLocked(), true)
	delete(s.products, n)
	delete(s.st.Stock, n)
	for i, q := range s.st.Products {
		if q == p {
			s.st.Products = append(s.st.Products[:i], s.st.Products[i+1:]...)
			break
		}
	}
	s.emitLocked(EventProductDeleted, n, view, nil)
	w.WriteHeader(http.StatusNoContent)
}
