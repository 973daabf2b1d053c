package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/mapping"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sdk"
)

// OrderChannel is the channel side of the order flow.
type OrderChannel interface {
	ReadOrders(ctx context.Context, req sdk.ReadRequest, emit func(sdk.OrderPage) error) error
}

// OrderInventory is the Rackbeat side of the order flow.
type OrderInventory interface {
	FindProduct(ctx context.Context, number string) (rackbeat.Product, bool, error)
	FindCustomerByEmail(ctx context.Context, email string) (rackbeat.Customer, bool, error)
	CreateCustomer(ctx context.Context, in rackbeat.CustomerInput) (rackbeat.Customer, error)
	FindOrderByReference(ctx context.Context, ref string) (rackbeat.Order, bool, error)
	CreateOrder(ctx context.Context, in rackbeat.OrderInput, draft bool) (rackbeat.Order, error)
	BookOrder(ctx context.Context, number int64, sendMail bool) (rackbeat.Order, error)
	MarkReadyForShipping(ctx context.Context, number int64) (rackbeat.Order, error)
	CreateShipment(ctx context.Context, number int64) (rackbeat.Order, error)
	ConvertToInvoice(ctx context.Context, number int64, book bool) (rackbeat.Invoice, error)
	CancelOrder(ctx context.Context, number int64) (rackbeat.Order, error)
	GetOrder(ctx context.Context, number int64) (rackbeat.Order, error)
}

// OrderStore is what the order flow keeps in the host's store.
type OrderStore interface {
	ClaimOrder(ctx context.Context, link, channelOrderID string) (state.OrderBinding, bool, error)
	CompleteOrder(ctx context.Context, link, channelOrderID string, rackbeatNumber int64) error
	FailOrder(ctx context.Context, link, channelOrderID, reason string) error
	OrderBinding(ctx context.Context, link, channelOrderID string) (state.OrderBinding, bool, error)
	ClaimForcedImport(ctx context.Context, link, channelOrderID, importID string) (state.OrderBinding, bool, error)
	CompleteForcedImport(ctx context.Context, importID string, rackbeatNumber int64) error
	FailForcedImport(ctx context.Context, importID, reason string) error
	AddQuarantine(ctx context.Context, item state.QuarantineItem) (int64, error)
	Audit(ctx context.Context, e state.AuditEntry) error
}

// Orders imports one link's channel orders into Rackbeat, each exactly
// once, with the link's order settings (both seeds' "Status för order",
// "Ordernummer", "Betalningsvillkor", "Kundgrupp", "Tilføy moms" …).
type Orders struct {
	Link      string
	Channel   string // the channel's display name for headings: "Shopify", "Shopbox"
	Settings  config.OrdersSettings
	VATRate   decimal.Decimal // the link's VAT rate, for orders without tax lines
	Locations *LocationMap    // channel sale location → Rackbeat location; nil: settings.Location
	Source    OrderChannel
	Inventory OrderInventory
	Store     OrderStore
	Log       hclog.Logger
	// Lease is how long a pending binding belongs to the import that made
	// it; a second import of the same order inside it backs off instead of
	// racing to create a duplicate. Zero means 30 seconds.
	Lease time.Duration
	Now   func() time.Time
	// Customers, when set, is shared by every link's order flow so that a
	// new customer is found or created once; links share one Rackbeat.
	Customers *KeyLock
}

// Outcome says what an import did.
type Outcome string

// Import outcomes.
const (
	Imported        Outcome = "imported"         // created in Rackbeat now
	AlreadyImported Outcome = "already_imported" // the binding existed; nothing done
	Healed          Outcome = "healed"           // found in Rackbeat after an interrupted import and recorded
	NotTriggered    Outcome = "not_triggered"    // the order has not reached the link's trigger state yet
	SkippedCancel   Outcome = "cancelled"        // cancelled in the channel before it was imported
	Quarantined     Outcome = "quarantined"      // cannot be imported until an operator acts
	CancelReflected Outcome = "cancel_reflected" // a cancellation carried to Rackbeat
)

// Result is the outcome of one import.
type Result struct {
	Outcome        Outcome
	RackbeatNumber int64
	Reason         string // for Quarantined and NotTriggered: what is missing
}

// ErrImportInProgress says another worker holds the order's binding; the
// job should retry after the lease.
var ErrImportInProgress = errors.New("order is being imported by another worker")

// reference is what the Rackbeat order carries so that an interrupted
// import finds its own order again instead of creating a second one.
func (f *Orders) reference(channelOrderID string) string {
	return "shopbridge:" + f.Link + ":" + channelOrderID
}

func (f *Orders) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// Fetch reads one order from the channel by id.
func (f *Orders) Fetch(ctx context.Context, channelOrderID string) (sdk.Order, error) {
	var found *sdk.Order
	err := f.Source.ReadOrders(ctx, sdk.ReadRequest{IDs: []string{channelOrderID}}, func(p sdk.OrderPage) error {
		for i := range p.Items {
			if p.Items[i].ID == channelOrderID {
				found = &p.Items[i]
			}
		}
		return nil
	})
	if err != nil {
		return sdk.Order{}, fmt.Errorf("read order %s from the channel: %w", channelOrderID, err)
	}
	if found == nil {
		return sdk.Order{}, sdk.NotFound("order %s does not exist in the channel", channelOrderID)
	}
	return *found, nil
}

// Triggered reports whether the order has reached the link's trigger state
// (the Shopify seed's choice of created, paid or fulfilled).
func (f *Orders) Triggered(o sdk.Order) (bool, string) {
	switch f.Settings.Trigger {
	case "created", "":
		return true, ""
	case "paid":
		switch o.FinancialState {
		case sdk.FinancialPaid, sdk.FinancialPartiallyRefunded, sdk.FinancialRefunded:
			return true, ""
		}
		return false, fmt.Sprintf("waiting for payment (financial state %q)", o.FinancialState)
	case "fulfilled":
		if o.FulfillmentState == sdk.FulfillmentFulfilled {
			return true, ""
		}
		return false, fmt.Sprintf("waiting for fulfilment (fulfilment state %q)", o.FulfillmentState)
	}
	return false, "unknown trigger " + f.Settings.Trigger
}

// Import brings one channel order into Rackbeat, exactly once. force
// creates it again even when it was imported before (the seed's manual
// troubleshooting sync, which the operator must ask for explicitly).
func (f *Orders) Import(ctx context.Context, channelOrderID string, force bool) (Result, error) {
	o, err := f.Fetch(ctx, channelOrderID)
	if err != nil {
		if sdk.ClassOf(err) == sdk.ClassNotFound {
			return f.quarantine(ctx, channelOrderID, "the channel has no order "+channelOrderID+": check the id, or drop it from quarantine")
		}
		return Result{}, err
	}
	return f.ImportOrder(ctx, o, force)
}

// ImportOrder is Import for an order already read from the channel (a
// periodic pull reads whole pages).
func (f *Orders) ImportOrder(ctx context.Context, o sdk.Order, force bool) (Result, error) {
	if o.Cancelled() {
		return f.reflectCancel(ctx, o)
	}
	if !force {
		// Most events about an order come after it was imported; answer
		// them from the store without touching Rackbeat.
		if b, ok, err := f.Store.OrderBinding(ctx, f.Link, o.ID); err != nil {
			return Result{}, err
		} else if ok && b.State == state.OrderCreated {
			return Result{Outcome: AlreadyImported, RackbeatNumber: b.RackbeatNumber}, nil
		}
	}
	if ok, why := f.Triggered(o); !ok && !force {
		return Result{Outcome: NotTriggered, Reason: why}, nil
	}
	in, problem, err := f.build(ctx, o)
	if err != nil {
		return Result{}, err
	}
	if problem != "" {
		if !force {
			_ = f.Store.FailOrder(ctx, f.Link, o.ID, problem)
		}
		return f.quarantine(ctx, o.ID, problem)
	}
	if force {
		return f.forced(ctx, o, in)
	}

	b, claimed, err := f.Store.ClaimOrder(ctx, f.Link, o.ID)
	if err != nil {
		return Result{}, err
	}
	if !claimed {
		switch b.State {
		case state.OrderCreated:
			return Result{Outcome: AlreadyImported, RackbeatNumber: b.RackbeatNumber}, nil
		case state.OrderPending:
			lease := f.Lease
			if lease == 0 {
				lease = 30 * time.Second
			}
			if f.now().Sub(b.UpdatedAt) < lease {
				return Result{}, sdk.Retryable(lease, "order %s: %w", o.ID, ErrImportInProgress)
			}
		}
	}
	// Look in Rackbeat before creating, every time: an earlier attempt may
	// have created the order before it died (a pending or failed binding),
	// and a store restored from a back-up or moved to another database has
	// no binding at all for orders that are already in Rackbeat. The
	// reference the order carries finds it either way; the cost is one
	// request per new order.
	if found, ok, err := f.findExisting(ctx, o.ID); err != nil {
		return Result{}, err
	} else if ok {
		if err := f.advance(ctx, found); err != nil {
			return Result{}, err
		}
		if err := f.Store.CompleteOrder(ctx, f.Link, o.ID, found.Number); err != nil {
			return Result{}, err
		}
		f.audit(ctx, "healed", o.ID, fmt.Sprintf("found as Rackbeat order %d, made by an earlier import", found.Number))
		return Result{Outcome: Healed, RackbeatNumber: found.Number}, nil
	}
	created, err := f.create(ctx, in)
	if err != nil {
		if c := rackbeat.ClassOf(err); c == rackbeat.Invalid || c == rackbeat.Conflict {
			problem := "Rackbeat refused the order: " + err.Error()
			if c == rackbeat.Conflict && in.Number != 0 {
				problem += fmt.Sprintf(": order number %d is taken in Rackbeat; with several sales channels set orders.numbering to rackbeat", in.Number)
			}
			_ = f.Store.FailOrder(ctx, f.Link, o.ID, problem)
			return f.quarantine(ctx, o.ID, problem)
		}
		return Result{}, err
	}
	if err := f.Store.CompleteOrder(ctx, f.Link, o.ID, created.Number); err != nil {
		return Result{}, err
	}
	f.audit(ctx, "imported", o.ID, fmt.Sprintf("Rackbeat order %d (%s)", created.Number, f.Settings.State))
	return Result{Outcome: Imported, RackbeatNumber: created.Number}, nil
}

// forced imports an order again on purpose; the unique binding stays as it
// was and the extra import is recorded on its own.
func (f *Orders) forced(ctx context.Context, o sdk.Order, in rackbeat.OrderInput) (Result, error) {
	importID := fmt.Sprintf("%s-%d", o.ID, f.now().UnixNano())
	if _, _, err := f.Store.ClaimForcedImport(ctx, f.Link, o.ID, importID); err != nil {
		return Result{}, err
	}
	in.OtherReference = f.reference(o.ID) + ":forced:" + importID
	created, err := f.create(ctx, in)
	if err != nil {
		_ = f.Store.FailForcedImport(ctx, importID, err.Error())
		return Result{}, err
	}
	if err := f.Store.CompleteForcedImport(ctx, importID, created.Number); err != nil {
		return Result{}, err
	}
	f.audit(ctx, "imported (forced)", o.ID, fmt.Sprintf("Rackbeat order %d, forced by the operator", created.Number))
	return Result{Outcome: Imported, RackbeatNumber: created.Number}, nil
}

// findExisting looks for the Rackbeat order an earlier attempt made.
func (f *Orders) findExisting(ctx context.Context, channelOrderID string) (rackbeat.Order, bool, error) {
	o, ok, err := f.Inventory.FindOrderByReference(ctx, f.reference(channelOrderID))
	if err != nil {
		return rackbeat.Order{}, false, fmt.Errorf("look up Rackbeat for an earlier import of order %s: %w", channelOrderID, err)
	}
	return o, ok, nil
}

// create makes the Rackbeat order and moves it to the link's state.
func (f *Orders) create(ctx context.Context, in rackbeat.OrderInput) (rackbeat.Order, error) {
	// Always a draft first: booking is the step that sends (or not) the
	// confirmation e-mail, which the link decides.
	o, err := f.Inventory.CreateOrder(ctx, in, true)
	if err != nil {
		return rackbeat.Order{}, err
	}
	if err := f.advance(ctx, o); err != nil {
		return rackbeat.Order{}, err
	}
	return o, nil
}

var stateRank = map[string]int{"draft": 0, "booked": 1, "ready_to_ship": 2, "shipped": 3, "invoiced": 4}

// advance moves an order forward to the link's state, skipping the steps it
// has already taken, so it is safe to repeat after an interruption.
func (f *Orders) advance(ctx context.Context, o rackbeat.Order) error {
	want := stateRank[f.Settings.State]
	var err error
	if want >= 1 && !o.IsBooked {
		if o, err = f.Inventory.BookOrder(ctx, o.Number, f.Settings.SendConfirmation); err != nil {
			return err
		}
	}
	if want >= 2 && !o.IsReadyForShipping && !o.IsShipped {
		if o, err = f.Inventory.MarkReadyForShipping(ctx, o.Number); err != nil {
			return err
		}
	}
	if want >= 3 && !o.IsShipped {
		if o, err = f.Inventory.CreateShipment(ctx, o.Number); err != nil {
			return err
		}
	}
	if want >= 4 && !o.IsInvoiced {
		if _, err = f.Inventory.ConvertToInvoice(ctx, o.Number, true); err != nil {
			return err
		}
	}
	return nil
}

// reflectCancel carries a channel cancellation to Rackbeat, when the order
// was imported and has not left the warehouse.
func (f *Orders) reflectCancel(ctx context.Context, o sdk.Order) (Result, error) {
	b, ok, err := f.Store.OrderBinding(ctx, f.Link, o.ID)
	if err != nil {
		return Result{}, err
	}
	if !ok || b.State != state.OrderCreated {
		return Result{Outcome: SkippedCancel, Reason: "cancelled in the channel before it was imported"}, nil
	}
	ro, err := f.Inventory.GetOrder(ctx, b.RackbeatNumber)
	if err != nil {
		return Result{}, err
	}
	if ro.IsCancelled {
		return Result{Outcome: CancelReflected, RackbeatNumber: b.RackbeatNumber}, nil
	}
	if ro.IsShipped || ro.IsInvoiced {
		return f.quarantine(ctx, o.ID, fmt.Sprintf("cancelled in the channel after Rackbeat order %d was shipped or invoiced: handle the return in Rackbeat by hand, then drop this item", b.RackbeatNumber))
	}
	if _, err := f.Inventory.CancelOrder(ctx, b.RackbeatNumber); err != nil {
		return Result{}, err
	}
	f.audit(ctx, "cancelled", o.ID, fmt.Sprintf("Rackbeat order %d cancelled", b.RackbeatNumber))
	return Result{Outcome: CancelReflected, RackbeatNumber: b.RackbeatNumber}, nil
}

func (f *Orders) quarantine(ctx context.Context, channelOrderID, reason string) (Result, error) {
	// The item is stored as the job that retries it, so the status page's
	// retry button (and `shopbridge quarantine retry`) re-runs the import
	// once the operator has fixed what the reason names.
	payload, err := json.Marshal(schedule.OrdersImport{Link: f.Link, ChannelOrderID: channelOrderID, Source: "quarantine"})
	if err != nil {
		return Result{}, err
	}
	if _, err := f.Store.AddQuarantine(ctx, state.QuarantineItem{Link: f.Link, Flow: schedule.KindOrdersImport, Key: channelOrderID, Reason: reason, Payload: payload}); err != nil {
		return Result{}, err
	}
	if f.Log != nil {
		f.Log.Warn("order quarantined", "order", channelOrderID, "reason", reason)
	}
	f.audit(ctx, "quarantined", channelOrderID, reason)
	return Result{Outcome: Quarantined, Reason: reason}, nil
}

func (f *Orders) audit(ctx context.Context, action, key, detail string) {
	if err := f.Store.Audit(ctx, state.AuditEntry{Link: f.Link, Flow: "orders", Action: action, Key: key, Detail: detail}); err != nil && f.Log != nil {
		f.Log.Warn("audit entry not written", "error", err)
	}
}

// build maps a channel order to a Rackbeat order. A problem an operator
// must fix is returned as a message, not an error, so the order goes to
// quarantine and the queue moves on.
func (f *Orders) build(ctx context.Context, o sdk.Order) (rackbeat.OrderInput, string, error) {
	s := f.Settings
	in := rackbeat.OrderInput{
		EmployeeID:     int64(s.Employee),
		OurReferenceID: int64(s.Employee),
		PaymentTermsID: int64(s.PaymentTerms),
		VATZone:        s.VATZone,
		Currency:       o.Currency,
		Locale:         s.Language,
		Heading:        strings.TrimSpace(f.Channel + " " + displayNumber(o)),
		OtherReference: f.reference(o.ID),
		OrderDate:      o.CreatedAt,
		Location:       int64(s.Location),
	}
	if in.Currency == "" {
		in.Currency = s.Currency
	}
	// A channel answer with a currency that does not exist (a bug or a
	// tampered answer) would otherwise become a Rackbeat order in it.
	if !config.IsCurrency(in.Currency) {
		return in, fmt.Sprintf("the order's currency %q is not an ISO 4217 currency code: check the order in the channel", in.Currency), nil
	}
	if f.Locations != nil && (o.LocationID != "" || o.Attributes["branch"] != "") {
		// A Shopbox sale names its till; the locations are linked per
		// branch ("kassesystem lokasjonen"), so the branch counts too.
		in.Location = f.Locations.RackbeatForAny(in.Location, o.LocationID, o.Attributes["branch"])
	}
	if s.Numbering == "channel" {
		n, err := strconv.ParseInt(strings.TrimLeft(strings.TrimSpace(o.Number), "#"), 10, 64)
		if err != nil || n <= 0 {
			return in, fmt.Sprintf("orders.numbering is channel but the channel's order number %q is not a positive whole number: set orders.numbering to rackbeat", o.Number), nil
		}
		in.Number = n
	}
	if !o.ShippingAddress.IsZero() {
		a := o.ShippingAddress
		in.DeliveryAddress = &rackbeat.Address{Street: strings.TrimSpace(a.Line1 + " " + a.Line2), City: a.City, Zipcode: a.Zip, Country: a.CountryCode}
	}

	// The Shopbox seed's "add VAT" says whether Rackbeat registers a sale
	// with VAT (net prices; Rackbeat adds VAT back by the VAT zone) or
	// without it (the amounts as paid, in a VAT-free zone).
	withoutVAT := false
	if !s.AddVAT {
		withoutVAT = true
		in.VATZone = "abroad"
	}
	netOf := func(price sdk.Money, taxes []sdk.TaxLine) decimal.Decimal {
		if !o.TaxesIncluded || withoutVAT {
			return price.Amount
		}
		return mapping.RemoveVAT(price.Amount, f.rateOf(taxes))
	}

	if len(o.Lines) == 0 {
		return in, "the order has no lines", nil
	}
	for i, l := range o.Lines {
		where := fmt.Sprintf("line %d (%q)", i+1, l.Title)
		if l.SKU == "" {
			return in, where + " has no SKU: give the product a SKU equal to a Rackbeat product number in the channel, then retry", nil
		}
		if l.Quantity <= 0 {
			return in, fmt.Sprintf("%s has quantity %d", where, l.Quantity), nil
		}
		if _, ok, err := f.Inventory.FindProduct(ctx, l.SKU); err != nil {
			return in, "", err
		} else if !ok {
			return in, fmt.Sprintf("%s: SKU %q is not a product number in Rackbeat: create product %q in Rackbeat or correct the SKU in the channel, then retry", where, l.SKU, l.SKU), nil
		}
		if p := checkCurrency(l.UnitPrice, o.Currency); p != "" {
			return in, where + ": " + p, nil
		}
		net := netOf(l.UnitPrice, l.TaxLines)
		line := rackbeat.OrderLineInput{ItemID: l.SKU, Quantity: decimal.NewFromInt(l.Quantity), Name: l.Title, LinePrice: &net}
		if pct := discountPercent(l.TotalDiscount, l.UnitPrice.Amount.Mul(decimal.NewFromInt(l.Quantity))); pct != nil {
			line.DiscountPercentage = pct
		}
		in.Lines = append(in.Lines, line)
	}
	for i, sl := range o.ShippingLines {
		if sl.Price.Amount.IsZero() && sl.Discount.Amount.IsZero() {
			continue
		}
		if s.ShippingProduct == "" {
			return in, fmt.Sprintf("the order has shipping %q of %s but orders.shipping_product is not set: create a product such as \"frakt\" in Rackbeat (in a group without stock) and name it in the link's orders.shipping_product", sl.Title, sl.Price), nil
		}
		if p := checkCurrency(sl.Price, o.Currency); p != "" {
			return in, fmt.Sprintf("shipping line %d: %s", i+1, p), nil
		}
		net := netOf(sl.Price, sl.TaxLines)
		line := rackbeat.OrderLineInput{ItemID: s.ShippingProduct, Quantity: decimal.NewFromInt(1), Name: sl.Title, LinePrice: &net}
		if pct := discountPercent(sl.Discount, sl.Price.Amount); pct != nil {
			line.DiscountPercentage = pct
		}
		in.Lines = append(in.Lines, line)
	}

	customer, problem, err := f.customer(ctx, o)
	if err != nil || problem != "" {
		return in, problem, err
	}
	in.CustomerID = customer.Number
	return in, "", nil
}

func displayNumber(o sdk.Order) string {
	if o.Number != "" {
		return o.Number
	}
	return o.ID
}

// rateOf is the combined rate of a line's taxes, or the link's rate when
// the line names none.
func (f *Orders) rateOf(taxes []sdk.TaxLine) decimal.Decimal {
	if len(taxes) == 0 {
		return f.VATRate
	}
	sum := decimal.Zero
	for _, t := range taxes {
		r, err := decimal.NewFromString(t.Rate)
		if err != nil {
			return f.VATRate
		}
		sum = sum.Add(r)
	}
	return sum
}

func checkCurrency(m sdk.Money, orderCurrency string) string {
	if m.Currency != "" && orderCurrency != "" && m.Currency != orderCurrency {
		return fmt.Sprintf("price in %s on an order in %s", m.Currency, orderCurrency)
	}
	return ""
}

// discountPercent expresses a discount amount as Rackbeat's line discount
// percentage, to six decimals so the line total comes out to the cent.
func discountPercent(discount sdk.Money, gross decimal.Decimal) *decimal.Decimal {
	if discount.Amount.IsZero() || gross.IsZero() {
		return nil
	}
	pct := discount.Amount.Mul(decimal.NewFromInt(100)).DivRound(gross, 6)
	return &pct
}

// customer finds the buyer in Rackbeat by e-mail (both seeds: "the
// integration validates on the customer's e-mail") or creates them with the
// link's customer group, VAT zone, currency and payment terms. A sale with
// no e-mail (a walk-in at a till) goes on one customer per link.
func (f *Orders) customer(ctx context.Context, o sdk.Order) (rackbeat.Customer, string, error) {
	s := f.Settings
	email := strings.ToLower(strings.TrimSpace(o.Customer.Email))
	name := strings.TrimSpace(o.Customer.FirstName + " " + o.Customer.LastName)
	if o.Customer.Company != "" {
		name = o.Customer.Company
	}
	if email == "" {
		email = f.Link + "@walk-in.shopbridge.invalid"
		name = f.Channel + " walk-in customer (" + f.Link + ")"
	}
	if f.Customers != nil {
		defer f.Customers.Lock(email)()
	}
	if c, ok, err := f.Inventory.FindCustomerByEmail(ctx, email); err != nil {
		return rackbeat.Customer{}, "", err
	} else if ok {
		return c, "", nil
	}
	if name == "" {
		name = email
	}
	in := rackbeat.CustomerInput{
		CompanyName: name, ContactEmail: email, Phone: o.Customer.Phone,
		Currency: s.Currency, VATZone: s.VATZone, PaymentTermsID: int64(s.PaymentTerms),
		CustomerGroupID: int64(s.CustomerGroup), EmployeeID: int64(s.Employee), Locale: s.Language,
	}
	if a := o.BillingAddress; !a.IsZero() {
		in.Address = rackbeat.Address{Street: strings.TrimSpace(a.Line1 + " " + a.Line2), City: a.City, Zipcode: a.Zip, Country: a.CountryCode}
	}
	c, err := f.Inventory.CreateCustomer(ctx, in)
	if err != nil {
		if rackbeat.ClassOf(err) == rackbeat.Invalid {
			return c, "Rackbeat refused the new customer " + email + ": " + err.Error(), nil
		}
		return c, "", err
	}
	return c, "", nil
}
