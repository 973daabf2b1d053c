package shopify

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// OrderInput places an order through the sandbox, as a checkout would.
type OrderInput struct {
	Lines           []OrderLine    `json:"lines"`
	Email           string         `json:"email"`
	FirstName       string         `json:"first_name"`
	LastName        string         `json:"last_name"`
	BillingAddress  *Address       `json:"billing_address,omitempty"`
	ShippingAddress *Address       `json:"shipping_address,omitempty"`
	Shipping        *ShippingInput `json:"shipping,omitempty"`
	// Discount is an amount off the whole order, spread over the lines in
	// proportion to their value (the last line takes the rounding remainder).
	Discount        string `json:"discount,omitempty"`
	FinancialStatus string `json:"financial_status,omitempty"` // pending (default) | paid
	Location        string `json:"location,omitempty"`         // location name to take stock from; default the first with enough
	Note            string `json:"note,omitempty"`
	// TaxesIncluded overrides the shop's setting for this order.
	TaxesIncluded *bool `json:"taxes_included,omitempty"`
}

// OrderLine is one line: a SKU and a quantity. Price defaults to the variant's
// price; Discount is the amount off the whole line; TaxLines, when given,
// replace the tax the sandbox would compute at the shop's rate.
type OrderLine struct {
	SKU      string    `json:"sku"`
	Quantity int       `json:"quantity"`
	Price    string    `json:"price,omitempty"`
	Discount string    `json:"discount,omitempty"`
	TaxLines []TaxLine `json:"tax_lines,omitempty"`
}

// TaxLine is one tax on a line or shipping line. Rate is a decimal fraction ("0.25").
type TaxLine struct {
	Title string `json:"title"`
	Rate  string `json:"rate"`
	Price string `json:"price"`
}

// ShippingInput is the order's shipping line.
type ShippingInput struct {
	Title    string    `json:"title"`
	Code     string    `json:"code,omitempty"`
	Price    string    `json:"price"`
	TaxLines []TaxLine `json:"tax_lines,omitempty"`
}

// Address is a billing or shipping address.
type Address = address

// OrderSummary is an order as tests read it back.
type OrderSummary struct {
	ID                string      `json:"id"` // gid://shopify/Order/…
	LegacyID          int64       `json:"legacy_id"`
	Name              string      `json:"name"`
	Email             string      `json:"email"`
	FinancialStatus   string      `json:"financial_status"`   // PENDING, PAID, REFUNDED, VOIDED
	FulfillmentStatus string      `json:"fulfillment_status"` // UNFULFILLED, FULFILLED
	Cancelled         bool        `json:"cancelled"`
	Currency          string      `json:"currency"`
	Total             string      `json:"total"`
	Lines             []OrderLine `json:"lines"`
	CreatedAt         time.Time   `json:"created_at"`
	UpdatedAt         time.Time   `json:"updated_at"`
}

// Quantities are the named quantities of one inventory level.
type Quantities struct {
	Available int `json:"available"`
	Committed int `json:"committed"`
	OnHand    int `json:"on_hand"`
	Incoming  int `json:"incoming"`
	Reserved  int `json:"reserved"`
}

// ErrNotFound is returned when an order, SKU or location does not exist.
var ErrNotFound = errors.New("not found")

func (s *Server) taxFor(base decimal.Decimal, included bool) []taxLine {
	rate := decimal.RequireFromString(s.opts.TaxRate)
	if rate.IsZero() || base.IsZero() {
		return []taxLine{}
	}
	var tax decimal.Decimal
	if included {
		tax = base.Sub(base.Div(decimal.NewFromInt(1).Add(rate))).Round(2)
	} else {
		tax = base.Mul(rate).Round(2)
	}
	return []taxLine{{Title: "VAT", Rate: rate.String(), Price: money(tax)}}
}

func convertTaxLines(in []TaxLine) ([]taxLine, error) {
	out := []taxLine{}
	for _, t := range in {
		p, err := decimal.NewFromString(t.Price)
		if err != nil {
			return nil, fmt.Errorf("tax line %q: price %q is not a decimal", t.Title, t.Price)
		}
		r, err := decimal.NewFromString(t.Rate)
		if err != nil {
			return nil, fmt.Errorf("tax line %q: rate %q is not a decimal", t.Title, t.Rate)
		}
		out = append(out, taxLine{Title: t.Title, Rate: r.String(), Price: money(p)})
	}
	return out, nil
}

func parseMoney(s, what string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Zero, nil
	}
	d, err := decimal.NewFromString(s)
	if err != nil || d.IsNegative() {
		return d, fmt.Errorf("%s %q is not a non-negative decimal", what, s)
	}
	return d, nil
}

// PlaceOrder places an order: units move from available to committed at the
// chosen location (on_hand unchanged), and orders/create (and orders/paid when
// paid) webhooks go out. It returns the order's gid.
func (s *Server) PlaceOrder(in OrderInput) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.placeOrderLocked(in)
}

func (s *Server) placeOrderLocked(in OrderInput) (string, error) {
	st := s.st
	if len(in.Lines) == 0 {
		return "", errors.New("place order: an order needs at least one line")
	}
	included := !s.opts.PricesExcludeTax
	if in.TaxesIncluded != nil {
		included = *in.TaxesIncluded
	}
	fin := strings.ToUpper(in.FinancialStatus)
	if fin == "" {
		fin = "PENDING"
	}
	if fin != "PENDING" && fin != "PAID" {
		return "", fmt.Errorf("place order: financial_status %q must be pending or paid", in.FinancialStatus)
	}
	now := s.now()
	o := &order{Email: in.Email, CreatedAt: now, UpdatedAt: now, FinancialStatus: fin, FulfillmentStatus: "UNFULFILLED",
		Currency: s.opts.Currency, TaxesIncluded: included, Billing: in.BillingAddress, Shipping: in.ShippingAddress, Note: in.Note}
	type take struct {
		v   *variant
		l   *level
		qty int
	}
	var takes []take
	var bases []decimal.Decimal
	var total decimal.Decimal
	for i, ln := range in.Lines {
		v := st.variantBySKU[ln.SKU]
		if v == nil {
			return "", fmt.Errorf("place order: line %d: SKU %q: %w", i+1, ln.SKU, ErrNotFound)
		}
		if ln.Quantity <= 0 {
			return "", fmt.Errorf("place order: line %d: quantity must be positive", i+1)
		}
		price := decimal.RequireFromString(v.Price)
		if ln.Price != "" {
			p, err := parseMoney(ln.Price, "price")
			if err != nil {
				return "", fmt.Errorf("place order: line %d: %w", i+1, err)
			}
			price = p
		}
		disc, err := parseMoney(ln.Discount, "discount")
		if err != nil {
			return "", fmt.Errorf("place order: line %d: %w", i+1, err)
		}
		var l *level
		for _, cand := range v.Item.Levels {
			loc := st.locationByID[cand.LocationID]
			if in.Location != "" && loc.Name != in.Location {
				continue
			}
			if cand.Quantities["available"] >= ln.Quantity {
				l = cand
				break
			}
		}
		if l == nil && v.Item.Tracked {
			return "", fmt.Errorf("place order: line %d: SKU %q has fewer than %d available at any location: the shop denies overselling", i+1, ln.SKU, ln.Quantity)
		}
		takes = append(takes, take{v: v, l: l, qty: ln.Quantity})
		base := price.Mul(decimal.NewFromInt(int64(ln.Quantity))).Sub(disc)
		bases = append(bases, base)
		total = total.Add(base)
		li := lineItem{ID: st.newID("LineItem"), VariantID: v.ID, ProductID: v.product.ID, SKU: v.SKU, Title: v.product.Title,
			VariantTitle: v.Title, Quantity: ln.Quantity, Price: money(price), Discount: money(disc)}
		if l != nil {
			li.LocationID = l.LocationID
		}
		o.Lines = append(o.Lines, li)
	}
	if in.Discount != "" {
		d, err := parseMoney(in.Discount, "discount")
		if err != nil {
			return "", fmt.Errorf("place order: %w", err)
		}
		if d.GreaterThan(total) {
			return "", fmt.Errorf("place order: discount %s is more than the order's %s", money(d), money(total))
		}
		left := d
		for i := range o.Lines {
			share := left
			if i < len(o.Lines)-1 && !total.IsZero() {
				share = d.Mul(bases[i]).Div(total).Round(2)
			}
			left = left.Sub(share)
			o.Lines[i].Discount = money(decimal.RequireFromString(o.Lines[i].Discount).Add(share))
			bases[i] = bases[i].Sub(share)
		}
	}
	for i, ln := range in.Lines {
		if ln.TaxLines != nil {
			tl, err := convertTaxLines(ln.TaxLines)
			if err != nil {
				return "", fmt.Errorf("place order: line %d: %w", i+1, err)
			}
			o.Lines[i].TaxLines = tl
		} else {
			o.Lines[i].TaxLines = s.taxFor(bases[i], included)
		}
	}
	if sh := in.Shipping; sh != nil {
		p, err := parseMoney(sh.Price, "shipping price")
		if err != nil {
			return "", fmt.Errorf("place order: %w", err)
		}
		sl := shippingLine{Title: sh.Title, Code: sh.Code, Price: money(p)}
		if sl.Title == "" {
			sl.Title = "Standard"
		}
		if sh.TaxLines != nil {
			if sl.TaxLines, err = convertTaxLines(sh.TaxLines); err != nil {
				return "", fmt.Errorf("place order: shipping: %w", err)
			}
		} else {
			sl.TaxLines = s.taxFor(p, included)
		}
		o.ShippingLines = append(o.ShippingLines, sl)
	}
	if in.Email != "" || in.FirstName != "" || in.LastName != "" {
		o.Customer = s.customerFor(in.Email, in.FirstName, in.LastName)
	}
	// Everything is checked; now commit the stock and the order.
	for _, t := range takes {
		if t.l != nil {
			t.l.Quantities["available"] -= t.qty
			t.l.Quantities["committed"] += t.qty
			t.l.UpdatedAt = now
		}
	}
	st.OrderNumber++
	o.ID = st.newID("Order")
	o.Number = st.OrderNumber
	o.Name = "#" + strconv.Itoa(o.Number)
	st.Orders = append(st.Orders, o)
	st.orderByID[o.ID] = o
	for _, t := range takes {
		if t.l != nil {
			s.emitLevel(t.v, t.l)
		}
	}
	s.emit(TopicOrdersCreate, s.restOrder(o))
	if o.FinancialStatus == "PAID" {
		s.emit(TopicOrdersPaid, s.restOrder(o))
	}
	return gid("Order", o.ID), nil
}

func (s *Server) customerFor(email, first, last string) *customer {
	for _, o := range s.st.Orders {
		if c := o.Customer; c != nil && email != "" && strings.EqualFold(c.Email, email) {
			return c
		}
	}
	return &customer{ID: s.st.newID("Customer"), Email: email, FirstName: first, LastName: last}
}

func (s *Server) findOrder(id string) *order {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		n = gidNum(id, "Order")
	}
	return s.st.orderByID[n]
}

// PayOrder marks an order paid and sends orders/paid and orders/updated.
func (s *Server) PayOrder(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(id)
	if o == nil {
		return fmt.Errorf("pay order %s: %w", id, ErrNotFound)
	}
	if o.CancelledAt != nil {
		return fmt.Errorf("pay order %s: the order is cancelled", id)
	}
	if o.FinancialStatus == "PAID" {
		return nil
	}
	o.FinancialStatus = "PAID"
	o.UpdatedAt = s.now()
	s.emit(TopicOrdersPaid, s.restOrder(o))
	s.emit(TopicOrdersUpdated, s.restOrder(o))
	return nil
}

// FulfillOrder ships an order: committed units leave on_hand.
func (s *Server) FulfillOrder(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(id)
	if o == nil {
		return fmt.Errorf("fulfill order %s: %w", id, ErrNotFound)
	}
	if o.CancelledAt != nil {
		return fmt.Errorf("fulfill order %s: the order is cancelled", id)
	}
	if o.FulfillmentStatus == "FULFILLED" {
		return nil
	}
	now := s.now()
	for _, li := range o.Lines {
		if v := s.st.variantByID[li.VariantID]; v != nil {
			if l := v.level(li.LocationID); l != nil {
				l.Quantities["committed"] -= li.Quantity
				l.Quantities["on_hand"] -= li.Quantity
				l.UpdatedAt = now
				s.emitLevel(v, l)
			}
		}
	}
	o.FulfillmentStatus = "FULFILLED"
	o.UpdatedAt = now
	s.emit(TopicOrdersFulfilled, s.restOrder(o))
	s.emit(TopicOrdersUpdated, s.restOrder(o))
	return nil
}

// CancelOrder cancels an order; unfulfilled units go back to available.
func (s *Server) CancelOrder(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.findOrder(id)
	if o == nil {
		return fmt.Errorf("cancel order %s: %w", id, ErrNotFound)
	}
	if o.CancelledAt != nil {
		return nil
	}
	now := s.now()
	if o.FulfillmentStatus != "FULFILLED" {
		for _, li := range o.Lines {
			if v := s.st.variantByID[li.VariantID]; v != nil {
				if l := v.level(li.LocationID); l != nil {
					l.Quantities["committed"] -= li.Quantity
					l.Quantities["available"] += li.Quantity
					l.UpdatedAt = now
					s.emitLevel(v, l)
				}
			}
		}
	}
	o.CancelledAt = &now
	o.CancelReason = "CUSTOMER"
	if o.FinancialStatus == "PAID" {
		o.FinancialStatus = "REFUNDED"
	} else {
		o.FinancialStatus = "VOIDED"
	}
	o.UpdatedAt = now
	s.emit(TopicOrdersCancelled, s.restOrder(o))
	s.emit(TopicOrdersUpdated, s.restOrder(o))
	return nil
}

var (
	firstNames = []string{"Astrid", "Erik", "Maja", "Lars", "Elsa", "Oskar", "Ingrid", "Nils", "Sofia", "Johan"}
	lastNames  = []string{"Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson"}
	cities     = []struct{ city, zip string }{{"Stockholm", "111 22"}, {"Göteborg", "411 05"}, {"Malmö", "211 20"}, {"Uppsala", "753 10"}}
)

// PlaceRandomOrder places a plausible order chosen by the sandbox's seeded
// random source: one to three in-stock SKUs, a Swedish customer, shipping on
// half the orders, paid on most. The same seed and call sequence give the same
// orders.
func (s *Server) PlaceRandomOrder() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var stocked []*variant
	for _, p := range s.st.Products {
		for _, v := range p.Variants {
			for _, l := range v.Item.Levels {
				if l.Quantities["available"] >= 2 {
					stocked = append(stocked, v)
					break
				}
			}
		}
	}
	if len(stocked) == 0 {
		return "", errors.New("place random order: no SKU has stock left")
	}
	r := s.rng
	in := OrderInput{FinancialStatus: "pending"}
	if r.IntN(10) < 7 {
		in.FinancialStatus = "paid"
	}
	seen := map[string]bool{}
	for n := 1 + r.IntN(3); n > 0; n-- {
		v := stocked[r.IntN(len(stocked))]
		if seen[v.SKU] {
			continue
		}
		seen[v.SKU] = true
		in.Lines = append(in.Lines, OrderLine{SKU: v.SKU, Quantity: 1 + r.IntN(2)})
	}
	in.FirstName, in.LastName = firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	in.Email = strings.ToLower(in.FirstName+"."+in.LastName) + fmt.Sprintf("%d@example.com", r.IntN(1000))
	c := cities[r.IntN(len(cities))]
	addr := &Address{FirstName: in.FirstName, LastName: in.LastName, Address1: fmt.Sprintf("Storgatan %d", 1+r.IntN(80)),
		City: c.city, Zip: c.zip, Country: "Sweden", CountryCode: "SE"}
	in.BillingAddress, in.ShippingAddress = addr, addr
	if r.IntN(2) == 0 {
		in.Shipping = &ShippingInput{Title: "PostNord", Code: "postnord", Price: "49.00"}
	}
	return s.placeOrderLocked(in)
}

func summary(o *order) OrderSummary {
	t := orderTotals(o)
	out := OrderSummary{ID: gid("Order", o.ID), LegacyID: o.ID, Name: o.Name, Email: o.Email, FinancialStatus: o.FinancialStatus,
		FulfillmentStatus: o.FulfillmentStatus, Cancelled: o.CancelledAt != nil, Currency: o.Currency, Total: money(t.total),
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, OrderLine{SKU: l.SKU, Quantity: l.Quantity, Price: l.Price, Discount: l.Discount})
	}
	return out
}

// Orders lists every order, oldest first.
func (s *Server) Orders() []OrderSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]OrderSummary, 0, len(s.st.Orders))
	for _, o := range s.st.Orders {
		out = append(out, summary(o))
	}
	return out
}

func (s *Server) findLevel(sku, loc string) (*variant, *location, *level) {
	v := s.st.variantBySKU[sku]
	if v == nil {
		return nil, nil, nil
	}
	for _, l := range s.st.Locations {
		if l.Name == loc || gid("Location", l.ID) == loc || strconv.FormatInt(l.ID, 10) == loc {
			return v, l, v.level(l.ID)
		}
	}
	return v, nil, nil
}

// Level reads the quantities of sku at the named location (a name, gid or
// numeric id). ok is false when the SKU is unknown or not stocked there.
func (s *Server) Level(sku, location string) (q Quantities, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _, l := s.findLevel(sku, location)
	if l == nil {
		return q, false
	}
	return Quantities{Available: l.Quantities["available"], Committed: l.Quantities["committed"], OnHand: l.Quantities["on_hand"],
		Incoming: l.Quantities["incoming"], Reserved: l.Quantities["reserved"]}, true
}

// SetLevel sets one named quantity (available, on_hand, …) of sku at a
// location, stocking it there if needed, and sends inventory_levels/update.
func (s *Server) SetLevel(sku, location, name string, qty int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, loc, l := s.findLevel(sku, location)
	if v == nil {
		return fmt.Errorf("set level: SKU %q: %w", sku, ErrNotFound)
	}
	if loc == nil {
		return fmt.Errorf("set level: location %q: %w", location, ErrNotFound)
	}
	if _, known := newLevel(0, 0, time.Time{}).Quantities[name]; !known {
		return fmt.Errorf("set level: quantity name %q is not one of %s", name, strings.Join(quantityNames, ", "))
	}
	now := s.now()
	if l == nil {
		l = newLevel(loc.ID, 0, now)
		v.Item.Levels = append(v.Item.Levels, l)
	}
	l.set(name, qty, now)
	s.emitLevel(v, l)
	return nil
}

// ProductEdit changes a product from outside the API, as a merchant in the
// Shopify admin would. Empty fields are left alone.
type ProductEdit struct {
	SKU             string `json:"sku"` // finds the product by one of its variants' SKU
	ID              string `json:"id"`  // or by gid / numeric id
	Title           string `json:"title"`
	DescriptionHTML string `json:"description_html"`
	ProductType     string `json:"product_type"`
	Vendor          string `json:"vendor"`
	Status          string `json:"status"`
	Price           string `json:"price"`   // of the variant named by SKU (every variant when found by id)
	Barcode         string `json:"barcode"` // of the variant named by SKU
}

// EditProduct applies e and sends products/update.
func (s *Server) EditProduct(e ProductEdit) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p *product
	var only *variant
	if e.SKU != "" {
		if only = s.st.variantBySKU[e.SKU]; only != nil {
			p = only.product
		}
	} else if n, err := strconv.ParseInt(e.ID, 10, 64); err == nil {
		p = s.st.productByID[n]
	} else {
		p = s.st.productByID[gidNum(e.ID, "Product")]
	}
	if p == nil {
		return "", fmt.Errorf("edit product (sku %q, id %q): %w", e.SKU, e.ID, ErrNotFound)
	}
	if e.Price != "" {
		d, err := parseMoney(e.Price, "price")
		if err != nil {
			return "", fmt.Errorf("edit product: %w", err)
		}
		e.Price = money(d)
	}
	now := s.now()
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.Title, e.Title)
	set(&p.DescriptionHTML, e.DescriptionHTML)
	set(&p.ProductType, e.ProductType)
	set(&p.Vendor, e.Vendor)
	set(&p.Status, strings.ToUpper(e.Status))
	for _, v := range p.Variants {
		if only != nil && v != only {
			continue
		}
		set(&v.Price, e.Price)
		if only != nil {
			set(&v.Barcode, e.Barcode)
		}
		v.UpdatedAt = now
	}
	p.UpdatedAt = now
	s.emitProduct(p, false)
	return gid("Product", p.ID), nil
}

// ThrottledCount is how many requests were answered THROTTLED.
func (s *Server) ThrottledCount() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.ThrottleCount
}
