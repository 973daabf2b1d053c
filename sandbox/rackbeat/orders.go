package rackbeat

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

var hundred = decimal.NewFromInt(100)

func (s *Server) orderViewLocked(o *Order) map[string]any {
	total := decimal.Zero
	lines := make([]any, 0, len(o.Lines))
	for _, l := range o.Lines {
		lt := l.LinePrice.Mul(decimal.NewFromInt(int64(l.Quantity))).Mul(hundred.Sub(l.DiscountPercentage.Decimal)).Div(hundred).Round(2)
		total = total.Add(lt)
		row := map[string]any{
			"id": l.ID, "item_id": l.ItemID, "name": l.Name, "quantity": l.Quantity, "line_price": l.LinePrice,
			"discount_percentage": l.DiscountPercentage, "line_total": Decimal{lt}, "location": nil,
			"item": map[string]any{"number": l.ItemID, "name": l.Name},
		}
		if l.Location != 0 {
			row["location"] = map[string]any{"number": l.Location}
		}
		lines = append(lines, row)
	}
	vatRate := decimal.Zero
	if o.VATZone == "" || o.VATZone == "domestic" {
		vatRate = decimal.NewFromInt(25)
	}
	vat := total.Mul(vatRate).Div(hundred).Round(2)
	v := map[string]any{
		"number": o.Number, "customer_id": o.CustomerID, "employee_id": o.EmployeeID, "our_reference_id": o.OurReferenceID,
		"payment_terms_id": o.PaymentTermsID, "vat_zone": o.VATZone, "currency": o.Currency, "locale": o.Locale,
		"heading": o.Heading, "other_reference": o.OtherReference, "order_date": o.OrderDate, "location": nil,
		"lines": lines, "field_values": s.fieldValuesView(o.FieldValues),
		"is_draft": o.IsDraft, "is_booked": o.IsBooked, "is_ready_for_shipping": o.IsReadyForShipping,
		"is_shipped": o.IsShipped, "is_invoiced": o.IsInvoiced, "is_cancelled": o.IsCancelled,
		"total_total": Decimal{total}, "total_vat": Decimal{vat}, "total_total_incl_vat": Decimal{total.Add(vat)},
		"created_at": fmtTime(o.CreatedAt), "updated_at": fmtTime(o.UpdatedAt),
	}
	if o.Location != 0 {
		v["location"] = map[string]any{"number": o.Location}
	}
	if c := s.customerLocked(o.CustomerID); c != nil {
		v["customer"] = map[string]any{"number": c.Number, "company_name": c.CompanyName, "contact_email": c.ContactEmail}
	}
	return v
}

func (s *Server) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	inWindow, ok := timeFilter(w, r)
	if !ok {
		return
	}
	search := strings.ToLower(q.Get("search"))
	feq := fieldEq(r)
	flags := map[string]string{}
	for _, k := range []string{"is_draft", "is_booked", "is_ready_for_shipping", "is_shipped", "is_invoiced", "is_cancelled"} {
		if v := q.Get(k); v != "" {
			flags[k] = v
		}
	}
	number := q.Get("simple_filter[number]")
	s.mu.RLock()
	defer s.mu.RUnlock()
	var items []*Order
	for _, o := range s.st.Orders {
		if search != "" && !strings.Contains(strings.ToLower(o.Heading), search) && !strings.Contains(strings.ToLower(o.OtherReference), search) ||
			number != "" && strconv.Itoa(o.Number) != number || !matchesFields(o.FieldValues, feq) || !inWindow(o.UpdatedAt) {
			continue
		}
		state := map[string]bool{"is_draft": o.IsDraft, "is_booked": o.IsBooked, "is_ready_for_shipping": o.IsReadyForShipping,
			"is_shipped": o.IsShipped, "is_invoiced": o.IsInvoiced, "is_cancelled": o.IsCancelled}
		keep := true
		for k, want := range flags {
			b := state[k]
			if strconv.FormatBool(b) != want && (want == "1") != b {
				keep = false
			}
		}
		if keep {
			items = append(items, o)
		}
	}
	sortItems(r, items, func(o *Order, by string) string {
		switch by {
		case "number":
			return padInt(o.Number)
		case "heading":
			return o.Heading
		case "order_date":
			return o.OrderDate
		case "created_at":
			return fmtTime(o.CreatedAt)
		case "updated_at":
			return fmtTime(o.UpdatedAt)
		}
		return ""
	})
	writePage(w, r, "orders", items, func(o *Order) any { return s.orderViewLocked(o) })
}

func (s *Server) orderFromPath(w http.ResponseWriter, r *http.Request) *Order {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		notFound(w, "Order")
		return nil
	}
	o := s.orders[n]
	if o == nil {
		notFound(w, "Order")
	}
	return o
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if o := s.orderFromPath(w, r); o != nil {
		writeOne(w, r, http.StatusOK, "order", s.orderViewLocked(o))
	}
}

// applyOrderFormLocked validates f onto o; creating says whether o is new.
func (s *Server) applyOrderFormLocked(f *form, o *Order, creating bool) {
	if creating {
		f.required("customer_id")
		f.required("lines")
	}
	if f.has("customer_id") {
		o.CustomerID = f.ref("customer_id")
		c := s.customerLocked(o.CustomerID)
		if c == nil {
			f.err("customer_id", "The selected customer id is invalid.")
		} else if creating {
			// An order inherits its customer's terms unless the body says otherwise.
			o.Currency, o.VATZone, o.PaymentTermsID, o.Locale, o.EmployeeID = c.Currency, c.VATZone, c.PaymentTermsID, c.Locale, c.EmployeeID
		}
	}
	if f.has("employee_id") {
		o.EmployeeID = f.ref("employee_id")
		if s.employeeLocked(o.EmployeeID) == nil {
			f.err("employee_id", "The selected employee id is invalid.")
		}
	}
	if f.has("our_reference_id") {
		o.OurReferenceID = f.ref("our_reference_id")
		if s.employeeLocked(o.OurReferenceID) == nil {
			f.err("our_reference_id", "The selected our reference id is invalid.")
		}
	}
	if f.has("payment_terms_id") {
		o.PaymentTermsID = f.ref("payment_terms_id")
		if s.paymentTermLocked(o.PaymentTermsID) == nil {
			f.err("payment_terms_id", "The selected payment terms id is invalid.")
		}
	}
	if f.has("vat_zone") {
		o.VATZone = f.str("vat_zone")
		if o.VATZone != "domestic" && o.VATZone != "eu" && o.VATZone != "abroad" {
			f.err("vat_zone", "The selected vat zone is invalid.")
		}
	}
	if f.has("currency") {
		o.Currency = strings.ToUpper(f.str("currency"))
		if len(o.Currency) != 3 {
			f.err("currency", "The currency must be 3 characters.")
		}
	}
	if f.has("locale") {
		o.Locale = f.str("locale")
	}
	if f.has("heading") {
		o.Heading = f.str("heading")
	}
	if f.has("other_reference") {
		o.OtherReference = f.str("other_reference")
	}
	if f.has("order_date") {
		o.OrderDate = f.str("order_date")
		if _, err := time.Parse("2006-01-02", o.OrderDate); err != nil {
			f.err("order_date", "The order date does not match the format Y-m-d.")
		}
	}
	if f.has("location") {
		o.Location = f.ref("location")
		if s.locationLocked(o.Location) == nil {
			f.err("location", "The selected location is invalid.")
		}
	}
	if f.has("lines") {
		items := f.array("lines")
		if len(items) == 0 {
			f.err("lines", "The lines must have at least 1 items.")
		}
		o.Lines = nil
		for i, raw := range items {
			sub, ok := subForm(raw, f.errs, fmt.Sprintf("lines.%d.", i))
			if !ok {
				continue
			}
			l := OrderLine{DiscountPercentage: Dec("0"), LinePrice: Dec("0")}
			if sub.required("item_id") {
				l.ItemID = sub.str("item_id")
				p, lot := s.products[l.ItemID], s.lots[l.ItemID]
				switch {
				case p == nil && lot == nil:
					sub.err("item_id", "The selected item id is invalid.")
				case p != nil:
					l.Name, l.LinePrice = p.Name, p.SalesPrice
					if p.IsBarred {
						sub.err("item_id", "The selected item is barred.")
					}
				default:
					l.Name, l.LinePrice = lot.Name, lot.SalesPrice
				}
			}
			if sub.required("quantity") {
				l.Quantity = sub.integer("quantity")
				if l.Quantity == 0 {
					sub.err("quantity", "The quantity must not be 0.")
				}
			}
			if sub.has("name") {
				l.Name = sub.str("name")
			}
			if d, ok := sub.money("line_price"); ok {
				l.LinePrice = d
			}
			if d, ok := sub.money("discount_percentage"); ok {
				l.DiscountPercentage = d
				if d.IsNegative() || d.GreaterThan(hundred) {
					sub.err("discount_percentage", "The discount percentage must be between 0 and 100.")
				}
			}
			if sub.has("location") {
				l.Location = sub.ref("location")
				if s.locationLocked(l.Location) == nil {
					sub.err("location", "The selected location is invalid.")
				}
			}
			o.Lines = append(o.Lines, l)
		}
	}
	if f.hasCustomFields() {
		fv := f.customFields(func(id int) bool { return s.fieldLocked(id, "order") != nil })
		if o.FieldValues == nil {
			o.FieldValues = map[int]string{}
		}
		for k, v := range fv {
			o.FieldValues[k] = v
		}
	}
}

func (s *Server) createOrder(draft bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, ok := readForm(w, r)
		if !ok {
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		o := &Order{IsDraft: draft, IsBooked: !draft, OrderDate: s.now().UTC().Format("2006-01-02")}
		if f.has("number") {
			o.Number = f.integer("number")
			if o.Number < 1 {
				f.err("number", "The number must be at least 1.")
			} else if s.orders[o.Number] != nil {
				f.err("number", "The number has already been taken.")
			}
		}
		s.applyOrderFormLocked(f, o, true)
		if f.errs.write(w) {
			return
		}
		if o.Number == 0 {
			for s.orders[s.st.Seq.Order+1] != nil {
				s.st.Seq.Order++
			}
			s.st.Seq.Order++
			o.Number = s.st.Seq.Order
		}
		now := s.stamp()
		o.CreatedAt, o.UpdatedAt = now, now
		for i := range o.Lines {
			s.st.Seq.OrderLine++
			o.Lines[i].ID = s.st.Seq.OrderLine
		}
		s.st.Orders = append(s.st.Orders, o)
		s.orders[o.Number] = o
		view := s.orderViewLocked(o)
		s.emitLocked(EventOrderCreated, strconv.Itoa(o.Number), view, nil)
		if o.IsBooked {
			s.emitStockLocked(s.orderProductsLocked(o))
		}
		writeOne(w, r, http.StatusCreated, "order", view)
	}
}

func (s *Server) orderProductsLocked(o *Order) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range o.Lines {
		s.expandLocked(l.ItemID, l.Quantity, func(n string, _ int) {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		})
	}
	sort.Strings(out)
	return out
}

func (s *Server) updateOrder(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderFromPath(w, r)
	if o == nil {
		return
	}
	cp := *o
	cp.Lines = append([]OrderLine(nil), o.Lines...)
	if f.has("lines") && (o.IsShipped || o.IsInvoiced || o.IsCancelled) {
		f.err("lines", "The lines of a shipped, invoiced or cancelled order cannot be changed.")
	}
	if f.has("number") && f.integer("number") != o.Number {
		f.err("number", "The number of an order cannot be changed.")
	}
	s.applyOrderFormLocked(f, &cp, false)
	before := s.orderProductsLocked(o)
	if f.has("is_ready_for_shipping") {
		cp.IsReadyForShipping = f.boolean("is_ready_for_shipping")
		if cp.IsReadyForShipping && cp.IsDraft {
			f.err("is_ready_for_shipping", "A draft must be booked before it is ready for shipping.")
		}
	}
	if f.has("is_cancelled") {
		cp.IsCancelled = f.boolean("is_cancelled")
		if !cp.IsCancelled && o.IsCancelled {
			f.err("is_cancelled", "A cancelled order cannot be reopened.")
		}
	}
	if f.errs.write(w) {
		return
	}
	for i := range cp.Lines {
		if cp.Lines[i].ID == 0 {
			s.st.Seq.OrderLine++
			cp.Lines[i].ID = s.st.Seq.OrderLine
		}
	}
	cp.UpdatedAt = s.stamp()
	*o = cp
	if o.IsBooked {
		s.emitStockLocked(union(before, s.orderProductsLocked(o)))
	}
	writeOne(w, r, http.StatusOK, "order", s.orderViewLocked(o))
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range append(append([]string(nil), a...), b...) {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func (s *Server) orderFields(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderFromPath(w, r)
	if o == nil {
		return
	}
	if !f.hasCustomFields() {
		f.required("field_values")
	}
	fv := f.customFields(func(id int) bool { return s.fieldLocked(id, "order") != nil })
	if f.errs.write(w) {
		return
	}
	if o.FieldValues == nil {
		o.FieldValues = map[int]string{}
	}
	for k, v := range fv {
		o.FieldValues[k] = v
	}
	o.UpdatedAt = s.stamp()
	writeList(w, r, "field_values", s.fieldValuesView(o.FieldValues))
}

func (s *Server) bookOrder(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderFromPath(w, r)
	if o == nil {
		return
	}
	send := false
	if f.has("mail") {
		if sub, ok := subForm(f.raw["mail"], f.errs, "mail."); ok {
			send = sub.boolean("send")
		}
	}
	switch {
	case o.IsCancelled:
		f.err("order", "A cancelled order cannot be booked.")
	case o.IsBooked:
		f.err("order", "The order is already booked.")
	}
	if f.errs.write(w) {
		return
	}
	o.IsDraft, o.IsBooked, o.UpdatedAt = false, true, s.stamp()
	s.st.Bookings = append(s.st.Bookings, Booking{Order: o.Number, SendMail: send, At: o.UpdatedAt})
	if send {
		s.st.Mails = append(s.st.Mails, Mail{Order: o.Number, Kind: "order_confirmation", SentAt: o.UpdatedAt})
	}
	s.emitStockLocked(s.orderProductsLocked(o))
	writeOne(w, r, http.StatusOK, "order", s.orderViewLocked(o))
}

// shipLocked draws the order's stock and marks it shipped.
func (s *Server) shipLocked(o *Order) {
	for _, l := range o.Lines {
		loc := s.lineLocation(o, l)
		s.expandLocked(l.ItemID, l.Quantity, func(n string, q int) {
			if s.st.Stock[n] == nil {
				s.st.Stock[n] = map[int]int{}
			}
			s.st.Stock[n][loc] -= q
		})
	}
	o.IsShipped, o.IsReadyForShipping = true, false
	o.UpdatedAt = s.stamp()
	s.emitStockLocked(s.orderProductsLocked(o))
}

func (s *Server) createShipment(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderFromPath(w, r)
	if o == nil {
		return
	}
	switch {
	case o.IsDraft || !o.IsBooked:
		invalid(w, "order", "The order must be booked before it can be shipped.")
		return
	case o.IsCancelled:
		invalid(w, "order", "A cancelled order cannot be shipped.")
		return
	case o.IsShipped:
		invalid(w, "order", "The order is already shipped.")
		return
	}
	s.shipLocked(o)
	writeOne(w, r, http.StatusCreated, "order", s.orderViewLocked(o))
}

func (s *Server) convertToInvoice(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderFromPath(w, r)
	if o == nil {
		return
	}
	switch {
	case o.IsCancelled:
		invalid(w, "order", "A cancelled order cannot be invoiced.")
		return
	case o.IsInvoiced:
		invalid(w, "order", "The order is already invoiced.")
		return
	}
	book := r.URL.Query().Get("book") == "true" || r.URL.Query().Get("book") == "1"
	if book && !o.IsShipped {
		// Booking the invoice of an unshipped order delivers it, as Rackbeat does.
		if !o.IsBooked {
			o.IsDraft, o.IsBooked = false, true
		}
		s.shipLocked(o)
	}
	s.st.Seq.Invoice++
	o.IsInvoiced, o.InvoiceNumber, o.InvoiceBooked, o.UpdatedAt = true, s.st.Seq.Invoice, book, s.stamp()
	writeOne(w, r, http.StatusCreated, "invoice", map[string]any{
		"number": o.InvoiceNumber, "order_number": o.Number, "is_booked": book, "is_draft": !book,
		"customer_id": o.CustomerID, "heading": o.Heading, "currency": o.Currency,
	})
}

func (s *Server) cancelOrder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orderFromPath(w, r)
	if o == nil {
		return
	}
	if o.IsShipped || o.IsInvoiced {
		invalid(w, "order", "A shipped or invoiced order cannot be cancelled.")
		return
	}
	wasBooked := o.IsBooked && !o.IsCancelled
	o.IsCancelled, o.UpdatedAt = true, s.stamp()
	if wasBooked {
		s.emitStockLocked(s.orderProductsLocked(o))
	}
	writeOne(w, r, http.StatusOK, "order", s.orderViewLocked(o))
}
