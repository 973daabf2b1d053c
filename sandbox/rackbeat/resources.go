package rackbeat

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

func (s *Server) lotViewLocked(l *Lot) map[string]any {
	lines := make([]any, 0, len(l.Lines))
	for _, c := range l.Lines {
		lines = append(lines, map[string]any{"product_id": c.ProductID, "quantity": c.Quantity})
	}
	v := map[string]any{
		"id": l.ID, "number": l.Number, "urlfriendly_number": url.PathEscape(l.Number), "type": "lot", "name": l.Name,
		"description": l.Description, "barcode": l.Barcode, "sales_price": l.SalesPrice, "lines": lines,
		"created_at": fmtTime(l.CreatedAt), "updated_at": fmtTime(l.UpdatedAt),
	}
	if g := s.groupLocked(l.Group); g != nil {
		v["group"] = map[string]any{"number": g.Number, "name": g.Name, "vat_domestic": g.VATDomestic}
	}
	return v
}

func (s *Server) listItems(w http.ResponseWriter, r *http.Request) {
	search := strings.ToLower(r.URL.Query().Get("search"))
	number := r.URL.Query().Get("simple_filter[number]")
	expand := expandsFieldValues(r)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var items []any // *Product or *Lot
	for _, p := range s.st.Products {
		if (number == "" || p.Number == number) && (search == "" || strings.Contains(strings.ToLower(p.Number+" "+p.Name), search)) {
			items = append(items, p)
		}
	}
	for _, l := range s.st.Lots {
		if (number == "" || l.Number == number) && (search == "" || strings.Contains(strings.ToLower(l.Number+" "+l.Name), search)) {
			items = append(items, l)
		}
	}
	sortItems(r, items, func(it any, by string) string {
		switch x := it.(type) {
		case *Product:
			return productSortKey(x, by)
		case *Lot:
			return productSortKey(&Product{ID: x.ID, Number: x.Number, Name: x.Name, Barcode: x.Barcode, CreatedAt: x.CreatedAt, UpdatedAt: x.UpdatedAt}, by)
		}
		return ""
	})
	reserved := s.reservedLocked()
	writePage(w, r, "items", items, func(it any) any {
		if p, ok := it.(*Product); ok {
			return s.productViewLocked(p, reserved, expand)
		}
		return s.lotViewLocked(it.(*Lot))
	})
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := r.PathValue("number")
	if p := s.products[n]; p != nil {
		writeOne(w, r, http.StatusOK, "item", s.productViewLocked(p, s.reservedLocked(), expandsFieldValues(r)))
		return
	}
	if l := s.lots[n]; l != nil {
		writeOne(w, r, http.StatusOK, "item", s.lotViewLocked(l))
		return
	}
	notFound(w, "Item")
}

func (s *Server) listLots(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	views := make([]any, 0, len(s.st.Lots))
	for _, l := range s.st.Lots {
		views = append(views, s.lotViewLocked(l))
	}
	s.mu.RUnlock()
	sortViews(r, views)
	writeList(w, r, "lots", views)
}

func (s *Server) getLot(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.lots[r.PathValue("number")]
	if l == nil {
		notFound(w, "Lot")
		return
	}
	writeOne(w, r, http.StatusOK, "lot", s.lotViewLocked(l))
}

func (s *Server) applyLotFormLocked(f *form, old *Lot) *Lot {
	l := &Lot{SalesPrice: Dec("0"), Group: 1}
	if old != nil {
		cp := *old
		cp.Lines = append([]LotLine(nil), old.Lines...)
		l = &cp
	} else {
		f.required("number")
		f.required("name")
		f.required("lines")
	}
	if f.has("number") {
		l.Number = strings.TrimSpace(f.str("number"))
		if l.Number == "" {
			f.err("number", "The number field is required.")
		} else if (old == nil || old.Number != l.Number) && (s.lots[l.Number] != nil || s.products[l.Number] != nil) {
			f.err("number", "The number has already been taken.")
		}
	}
	if f.has("name") {
		l.Name = f.str("name")
	}
	if f.has("description") {
		l.Description = f.str("description")
	}
	if f.has("barcode") {
		l.Barcode = f.str("barcode")
	}
	if d, ok := f.money("sales_price"); ok {
		l.SalesPrice = d
	}
	if f.has("group") {
		l.Group = f.ref("group")
		if s.groupLocked(l.Group) == nil {
			f.err("group", "The selected group is invalid.")
		}
	}
	if f.has("lines") {
		items := f.array("lines")
		if len(items) == 0 {
			f.err("lines", "The lines must have at least 1 items.")
		}
		l.Lines = nil
		for i, raw := range items {
			sub, ok := subForm(raw, f.errs, fmt.Sprintf("lines.%d.", i))
			if !ok {
				continue
			}
			id := sub.str("product_id")
			if id == "" {
				id = sub.str("item_id")
			}
			if s.products[id] == nil {
				sub.err("product_id", "The selected product id is invalid.")
			}
			q := sub.integer("quantity")
			if q < 1 {
				sub.err("quantity", "The quantity must be at least 1.")
			}
			l.Lines = append(l.Lines, LotLine{ProductID: id, Quantity: q})
		}
	}
	return l
}

func (s *Server) createLot(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.applyLotFormLocked(f, nil)
	if f.errs.write(w) {
		return
	}
	now := s.stamp()
	s.st.Seq.Lot++
	l.ID, l.CreatedAt, l.UpdatedAt = s.st.Seq.Lot, now, now
	s.st.Lots = append(s.st.Lots, l)
	s.lots[l.Number] = l
	view := s.lotViewLocked(l)
	s.emitLocked(EventLotCreated, l.Number, view, nil)
	writeOne(w, r, http.StatusCreated, "lot", view)
}

func (s *Server) updateLot(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.lots[r.PathValue("number")]
	if old == nil {
		notFound(w, "Lot")
		return
	}
	l := s.applyLotFormLocked(f, old)
	if f.errs.write(w) {
		return
	}
	oldKey := old.Number
	l.UpdatedAt = s.stamp()
	*old = *l
	if oldKey != old.Number {
		delete(s.lots, oldKey)
		s.lots[old.Number] = old
	}
	writeOne(w, r, http.StatusOK, "lot", s.lotViewLocked(old))
}

func (s *Server) deleteLot(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := r.PathValue("number")
	l := s.lots[n]
	if l == nil {
		notFound(w, "Lot")
		return
	}
	delete(s.lots, n)
	for i, x := range s.st.Lots {
		if x == l {
			s.st.Lots = append(s.st.Lots[:i], s.st.Lots[i+1:]...)
			break
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func groupView(g *Group) map[string]any {
	return map[string]any{"number": g.Number, "name": g.Name, "has_inventory": g.HasInventory, "is_sellable": g.IsSellable, "vat_domestic": g.VATDomestic}
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	views := make([]any, 0, len(s.st.Groups))
	for _, g := range s.st.Groups {
		views = append(views, groupView(g))
	}
	s.mu.RUnlock()
	sortViews(r, views)
	writeList(w, r, "product_groups", views)
}

func pathInt(w http.ResponseWriter, r *http.Request, name, what string) (int, bool) {
	n, err := strconv.Atoi(r.PathValue(name))
	if err != nil {
		notFound(w, what)
		return 0, false
	}
	return n, true
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	n, ok := pathInt(w, r, "number", "Product group")
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	g := s.groupLocked(n)
	if g == nil {
		notFound(w, "Product group")
		return
	}
	writeOne(w, r, http.StatusOK, "product_group", groupView(g))
}

func (s *Server) applyGroupForm(f *form, g *Group) {
	if f.has("name") {
		g.Name = f.str("name")
	}
	if f.has("has_inventory") {
		g.HasInventory = f.boolean("has_inventory")
	}
	if f.has("is_sellable") {
		g.IsSellable = f.boolean("is_sellable")
	}
	if f.has("vat_domestic") {
		g.VATDomestic = f.integer("vat_domestic")
		if g.VATDomestic < 0 || g.VATDomestic > 100 {
			f.err("vat_domestic", "The vat domestic must be between 0 and 100.")
		}
	}
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f.required("name")
	g := &Group{IsSellable: true, HasInventory: true, VATDomestic: 25}
	if f.has("number") {
		g.Number = f.integer("number")
		if s.groupLocked(g.Number) != nil {
			f.err("number", "The number has already been taken.")
		}
	} else {
		for _, x := range s.st.Groups {
			g.Number = max(g.Number, x.Number)
		}
		g.Number++
	}
	s.applyGroupForm(f, g)
	if f.errs.write(w) {
		return
	}
	s.st.Groups = append(s.st.Groups, g)
	writeOne(w, r, http.StatusCreated, "product_group", groupView(g))
}

func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) {
	n, ok := pathInt(w, r, "number", "Product group")
	if !ok {
		return
	}
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groupLocked(n)
	if g == nil {
		notFound(w, "Product group")
		return
	}
	cp := *g
	s.applyGroupForm(f, &cp)
	if f.errs.write(w) {
		return
	}
	*g = cp
	writeOne(w, r, http.StatusOK, "product_group", groupView(g))
}

func (s *Server) listLocations(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	views := make([]any, 0, len(s.st.Locations))
	for _, l := range s.st.Locations {
		views = append(views, map[string]any{"number": l.Number, "name": l.Name, "is_default": l.IsDefault, "parent_id": l.ParentID})
	}
	s.mu.RUnlock()
	writeList(w, r, "locations", views)
}

func (s *Server) getLocation(w http.ResponseWriter, r *http.Request) {
	n, ok := pathInt(w, r, "number", "Location")
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.locationLocked(n)
	if l == nil {
		notFound(w, "Location")
		return
	}
	writeOne(w, r, http.StatusOK, "location", map[string]any{"number": l.Number, "name": l.Name, "is_default": l.IsDefault, "parent_id": l.ParentID})
}

func fieldView(f *Field) map[string]any {
	return map[string]any{"id": f.ID, "name": f.Name, "slug": f.Slug, "type": f.Type, "for": f.For}
}

func (s *Server) listFields(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("for")
	s.mu.RLock()
	var views []any
	for _, f := range s.st.Fields {
		if kind == "" || f.For == kind {
			views = append(views, fieldView(f))
		}
	}
	s.mu.RUnlock()
	writeList(w, r, "fields", views)
}

func (s *Server) createField(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f.required("name")
	fd := &Field{Name: f.str("name"), Type: "text", For: "item"}
	if f.has("type") {
		fd.Type = f.str("type")
		switch fd.Type {
		case "text", "number", "boolean", "date", "select":
		default:
			f.err("type", "The selected type is invalid.")
		}
	}
	if f.has("for") {
		fd.For = f.str("for")
		if fd.For != "item" && fd.For != "order" {
			f.err("for", "The selected for is invalid.")
		}
	}
	for _, x := range s.st.Fields {
		if x.For == fd.For && strings.EqualFold(x.Name, fd.Name) {
			f.err("name", "The name has already been taken.")
		}
	}
	if f.errs.write(w) {
		return
	}
	s.st.Seq.Field++
	fd.ID, fd.Slug = s.st.Seq.Field, slugify(fd.Name)
	s.st.Fields = append(s.st.Fields, fd)
	writeOne(w, r, http.StatusCreated, "field", fieldView(fd))
}

func customerView(c *Customer) map[string]any {
	return map[string]any{
		"number": c.Number, "company_name": c.CompanyName, "name": c.CompanyName, "contact_email": c.ContactEmail,
		"phone": c.Phone, "address_street": c.Address, "address_city": c.City, "address_zipcode": c.Zipcode,
		"address_country": c.Country, "currency": c.Currency, "vat_zone": c.VATZone,
		"payment_terms_id": c.PaymentTermsID, "customer_group_id": c.CustomerGroupID, "locale": c.Locale,
		"employee_id": c.EmployeeID, "created_at": fmtTime(c.CreatedAt), "updated_at": fmtTime(c.UpdatedAt),
	}
}

func (s *Server) customerLocked(n int) *Customer {
	for _, c := range s.st.Customers {
		if c.Number == n {
			return c
		}
	}
	return nil
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	email, number, search := q.Get("simple_filter[contact_email]"), q.Get("simple_filter[number]"), strings.ToLower(q.Get("search"))
	s.mu.RLock()
	defer s.mu.RUnlock()
	var items []*Customer
	for _, c := range s.st.Customers {
		if email != "" && !strings.EqualFold(c.ContactEmail, email) || number != "" && strconv.Itoa(c.Number) != number ||
			search != "" && !strings.Contains(strings.ToLower(c.CompanyName+" "+c.ContactEmail), search) {
			continue
		}
		items = append(items, c)
	}
	sortItems(r, items, func(c *Customer, by string) string {
		switch by {
		case "number":
			return padInt(c.Number)
		case "company_name", "name":
			return c.CompanyName
		case "created_at":
			return fmtTime(c.CreatedAt)
		case "updated_at":
			return fmtTime(c.UpdatedAt)
		}
		return ""
	})
	writePage(w, r, "customers", items, func(c *Customer) any { return customerView(c) })
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request) {
	n, ok := pathInt(w, r, "number", "Customer")
	if !ok {
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.customerLocked(n)
	if c == nil {
		notFound(w, "Customer")
		return
	}
	writeOne(w, r, http.StatusOK, "customer", customerView(c))
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Customer{Currency: "NOK", VATZone: "domestic", Locale: "nb"}
	if !f.has("company_name") && f.has("name") {
		c.CompanyName = f.str("name")
	} else if f.required("company_name") {
		c.CompanyName = f.str("company_name")
	}
	if f.has("number") {
		c.Number = f.integer("number")
		if s.customerLocked(c.Number) != nil {
			f.err("number", "The number has already been taken.")
		}
	}
	c.ContactEmail = f.str("contact_email")
	if c.ContactEmail != "" && !strings.Contains(c.ContactEmail, "@") {
		f.err("contact_email", "The contact email must be a valid email address.")
	}
	c.Phone, c.Address, c.City, c.Zipcode, c.Country = f.str("phone"), f.str("address_street"), f.str("address_city"), f.str("address_zipcode"), f.str("address_country")
	if f.has("currency") {
		c.Currency = strings.ToUpper(f.str("currency"))
		if len(c.Currency) != 3 {
			f.err("currency", "The currency must be 3 characters.")
		}
	}
	if f.has("vat_zone") {
		c.VATZone = f.str("vat_zone")
		if c.VATZone != "domestic" && c.VATZone != "eu" && c.VATZone != "abroad" {
			f.err("vat_zone", "The selected vat zone is invalid.")
		}
	}
	if f.has("locale") {
		c.Locale = f.str("locale")
	}
	if f.has("payment_terms_id") {
		c.PaymentTermsID = f.integer("payment_terms_id")
		if s.paymentTermLocked(c.PaymentTermsID) == nil {
			f.err("payment_terms_id", "The selected payment terms id is invalid.")
		}
	}
	if f.has("customer_group_id") {
		c.CustomerGroupID = f.integer("customer_group_id")
		if s.customerGroupLocked(c.CustomerGroupID) == nil {
			f.err("customer_group_id", "The selected customer group id is invalid.")
		}
	}
	if f.has("employee_id") {
		c.EmployeeID = f.integer("employee_id")
		if s.employeeLocked(c.EmployeeID) == nil {
			f.err("employee_id", "The selected employee id is invalid.")
		}
	}
	if f.errs.write(w) {
		return
	}
	if c.Number == 0 {
		for s.customerLocked(s.st.Seq.Customer+1) != nil {
			s.st.Seq.Customer++
		}
		s.st.Seq.Customer++
		c.Number = s.st.Seq.Customer
	}
	c.CreatedAt = s.stamp()
	c.UpdatedAt = c.CreatedAt
	s.st.Customers = append(s.st.Customers, c)
	writeOne(w, r, http.StatusCreated, "customer", customerView(c))
}

func (s *Server) paymentTermLocked(id int) *PaymentTerm {
	for _, p := range s.st.PaymentTerms {
		if p.ID == id {
			return p
		}
	}
	return nil
}

func (s *Server) customerGroupLocked(n int) *CustomerGroup {
	for _, g := range s.st.CustomerGroups {
		if g.Number == n {
			return g
		}
	}
	return nil
}

func (s *Server) employeeLocked(n int) *Employee {
	for _, e := range s.st.Employees {
		if e.Number == n {
			return e
		}
	}
	return nil
}

func (s *Server) listCustomerGroups(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	var views []any
	for _, g := range s.st.CustomerGroups {
		views = append(views, map[string]any{"number": g.Number, "id": g.Number, "name": g.Name})
	}
	s.mu.RUnlock()
	writeList(w, r, "customer_groups", views)
}

func (s *Server) listEmployees(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	var views []any
	for _, e := range s.st.Employees {
		views = append(views, map[string]any{"number": e.Number, "id": e.Number, "name": e.Name, "email": e.Email})
	}
	s.mu.RUnlock()
	writeList(w, r, "employees", views)
}

func (s *Server) listPaymentTerms(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	var views []any
	for _, p := range s.st.PaymentTerms {
		views = append(views, map[string]any{"id": p.ID, "number": p.ID, "name": p.Name, "type": p.Type, "days": p.Days})
	}
	s.mu.RUnlock()
	writeList(w, r, "payment_terms", views)
}

func (s *Server) self(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	id := s.st.AccountID
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]any{"self": map[string]any{"account_id": id, "company_name": "Shopbridge Sandbox AS", "email": "sandbox@example.com"}})
}
