package rackbeat

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/shopspring/decimal"
)

// Order is a Rackbeat sales order. Rackbeat has no single status: the Is*
// flags together say where the order is (see State).
type Order struct {
	ID                 int64           `json:"id"`
	Number             int64           `json:"number"`
	Heading            string          `json:"heading"`
	OtherReference     string          `json:"other_reference"`
	Customer           Ref             `json:"customer"`
	Currency           string          `json:"currency"`
	VATZone            string          `json:"vat_zone"`
	Locale             string          `json:"locale"`
	OrderDate          string          `json:"order_date"`
	Location           Ref             `json:"location"`
	Total              decimal.Decimal `json:"total_total"` // excluding VAT
	TotalVAT           decimal.Decimal `json:"total_vat"`
	TotalInclVAT       decimal.Decimal `json:"total_total_incl_vat"`
	IsDraft            bool            `json:"is_draft"`
	IsBooked           bool            `json:"is_booked"`
	IsReadyForShipping bool            `json:"is_ready_for_shipping"`
	IsShipped          bool            `json:"is_shipped"`
	IsInvoiced         bool            `json:"is_invoiced"`
	IsCancelled        bool            `json:"is_cancelled"`
	Lines              []OrderLine     `json:"lines"`
	FieldValues        []FieldValue    `json:"field_values"`
	CreatedAt          Time            `json:"created_at"`
	UpdatedAt          Time            `json:"updated_at"`
}

// Field returns the value of custom field id and whether the order has it.
func (o Order) Field(id int64) (string, bool) {
	for _, fv := range o.FieldValues {
		if fv.FieldID == id {
			return fv.Value, true
		}
	}
	return "", false
}

// State names the furthest step the order has reached: "cancelled",
// "invoiced", "shipped", "ready_for_shipping", "booked" or "draft".
func (o Order) State() string {
	switch {
	case o.IsCancelled:
		return "cancelled"
	case o.IsInvoiced:
		return "invoiced"
	case o.IsShipped:
		return "shipped"
	case o.IsReadyForShipping:
		return "ready_for_shipping"
	case o.IsBooked:
		return "booked"
	default:
		return "draft"
	}
}

// OrderLine is one line of an order. ItemID is the item's number.
type OrderLine struct {
	ItemID             string          `json:"item_id"`
	Name               string          `json:"name"`
	Description        string          `json:"description"`
	Quantity           decimal.Decimal `json:"quantity"`
	LinePrice          decimal.Decimal `json:"line_price"`
	DiscountPercentage decimal.Decimal `json:"discount_percentage"`
	LineTotal          decimal.Decimal `json:"line_total"`
	Location           Ref             `json:"location"`
}

// UnmarshalJSON reads item_id as a string or a number, or from a nested item.
func (l *OrderLine) UnmarshalJSON(b []byte) error {
	type plain OrderLine
	var raw struct {
		plain
		ItemID Text `json:"item_id"`
		Item   *struct {
			Number Text `json:"number"`
		} `json:"item"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*l = OrderLine(raw.plain)
	l.ItemID = string(raw.ItemID)
	if l.ItemID == "" && raw.Item != nil {
		l.ItemID = string(raw.Item.Number)
	}
	return nil
}

// OrderInput creates an order. Zero values are left out.
type OrderInput struct {
	// Number is the order number to use; 0 lets Rackbeat number the order.
	Number         int64
	CustomerID     int64
	EmployeeID     int64
	OurReferenceID int64
	PaymentTermsID int64
	VATZone        string
	Currency       string
	Locale         string
	// Heading is shown on the order; put the channel's order id here so that
	// FindOrders can find it again.
	Heading string
	// OtherReference is also searchable: the channel order id belongs here too.
	OtherReference string
	OrderDate      time.Time
	// Location is the stock location the order draws from (0: Rackbeat's default).
	Location        int64
	DeliveryAddress *Address
	Lines           []OrderLineInput
}

// OrderLineInput is one line to order.
type OrderLineInput struct {
	ItemID             string
	Quantity           decimal.Decimal
	Name               string
	Description        string
	LinePrice          *decimal.Decimal
	DiscountPercentage *decimal.Decimal
	// Location overrides the order's stock location for this line.
	Location int64
}

// MarshalJSON writes money and quantities as JSON numbers with every digit.
func (in OrderInput) MarshalJSON() ([]byte, error) {
	type line struct {
		ItemID             string `json:"item_id"`
		Quantity           num    `json:"quantity"`
		Name               string `json:"name,omitempty"`
		Description        string `json:"description,omitempty"`
		LinePrice          *num   `json:"line_price,omitempty"`
		DiscountPercentage *num   `json:"discount_percentage,omitempty"`
		Location           int64  `json:"location,omitempty"`
	}
	w := struct {
		Number          *int64   `json:"number"`
		CustomerID      int64    `json:"customer_id,omitempty"`
		EmployeeID      int64    `json:"employee_id,omitempty"`
		OurReferenceID  int64    `json:"our_reference_id,omitempty"`
		PaymentTermsID  int64    `json:"payment_terms_id,omitempty"`
		VATZone         string   `json:"vat_zone,omitempty"`
		Currency        string   `json:"currency,omitempty"`
		Locale          string   `json:"locale,omitempty"`
		Heading         string   `json:"heading,omitempty"`
		OtherReference  string   `json:"other_reference,omitempty"`
		OrderDate       string   `json:"order_date,omitempty"`
		Location        int64    `json:"location,omitempty"`
		DeliveryAddress *Address `json:"delivery_address,omitempty"`
		Lines           []line   `json:"lines"`
	}{
		CustomerID: in.CustomerID, EmployeeID: in.EmployeeID, OurReferenceID: in.OurReferenceID,
		PaymentTermsID: in.PaymentTermsID, VATZone: in.VATZone, Currency: in.Currency, Locale: in.Locale,
		Heading: in.Heading, OtherReference: in.OtherReference, DeliveryAddress: in.DeliveryAddress, Location: in.Location,
		Lines: []line{},
	}
	if in.Number != 0 {
		n := in.Number
		w.Number = &n
	}
	if !in.OrderDate.IsZero() {
		w.OrderDate = in.OrderDate.Format(time.DateOnly)
	}
	for _, l := range in.Lines {
		w.Lines = append(w.Lines, line{ItemID: l.ItemID, Quantity: num(l.Quantity), Name: l.Name,
			Description: l.Description, LinePrice: numOf(l.LinePrice), DiscountPercentage: numOf(l.DiscountPercentage), Location: l.Location})
	}
	return json.Marshal(w)
}

// orderOp names an order being created by what identifies it to a person.
func orderOp(in OrderInput) string {
	switch {
	case in.Heading != "":
		return "create order for " + quote(in.Heading)
	case in.OtherReference != "":
		return "create order for " + quote(in.OtherReference)
	case in.Number != 0:
		return "create order " + strconv.FormatInt(in.Number, 10)
	}
	return "create order"
}

func orderPath(number int64) string { return "orders/" + strconv.FormatInt(number, 10) }

func orderName(number int64) string { return "order " + strconv.FormatInt(number, 10) }

// CreateOrder creates an order: booked, or a draft when draft is true.
//
// A failure of Class Retryable may mean the order was created and its
// answer lost: find it (FindOrders on the channel order id in Heading or
// OtherReference) before creating it again. The client never repeats the
// POST itself, except after a 429 or a connection that was never made.
func (c *Client) CreateOrder(ctx context.Context, in OrderInput, draft bool) (Order, error) {
	op := orderOp(in)
	if len(in.Lines) == 0 {
		return Order{}, &Error{Op: op, Class: Invalid, Message: "an order needs at least one line", Err: errors.New("no order lines")}
	}
	path := "orders"
	if draft {
		path = "orders/drafts"
	}
	var o Order
	err := c.one(ctx, request{method: http.MethodPost, path: path, body: in, op: op}, "order", &o)
	return o, err
}

// GetOrder reads one order by number.
func (c *Client) GetOrder(ctx context.Context, number int64) (Order, error) {
	var o Order
	err := c.one(ctx, request{method: http.MethodGet, path: orderPath(number), op: "get " + orderName(number)}, "order", &o)
	return o, err
}

var orderList = list{path: "orders", key: "orders", what: "orders"}

// Orders walks every order matching f.
func (c *Client) Orders(ctx context.Context, f Filter) iter.Seq2[Order, error] {
	return all[Order](ctx, c, orderList, f)
}

// OrdersPage reads one page of orders.
func (c *Client) OrdersPage(ctx context.Context, page, limit int, f Filter) (Page[Order], error) {
	return getPage[Order](ctx, c, orderList, page, limit, f)
}

// FindOrders returns every order whose heading or other reference matches
// search (Rackbeat's search is a substring match; compare the result
// yourself if you need an exact one).
func (c *Client) FindOrders(ctx context.Context, search string) ([]Order, error) {
	return Collect(c.Orders(ctx, Filter{Search: search}))
}

// FindOrderByReference returns the order whose heading or other reference
// is exactly ref (the channel order id the flow wrote there), and whether
// there is one; the lowest number wins if several match. This is the look-up
// that heals a create whose answer was lost.
func (c *Client) FindOrderByReference(ctx context.Context, ref string) (Order, bool, error) {
	if ref == "" {
		return Order{}, false, nil
	}
	var best Order
	found := false
	for o, err := range c.Orders(ctx, Filter{Search: ref}) {
		if err != nil {
			return Order{}, false, err
		}
		if o.Heading != ref && o.OtherReference != ref {
			continue
		}
		if !found || o.Number < best.Number {
			best, found = o, true
		}
	}
	return best, found, nil
}

// BookOrder books a draft order; sendMail asks Rackbeat to e-mail the
// confirmation to the customer.
func (c *Client) BookOrder(ctx context.Context, number int64, sendMail bool) (Order, error) {
	body := map[string]any{"mail": map[string]bool{"send": sendMail}}
	var o Order
	err := c.one(ctx, request{method: http.MethodPost, path: orderPath(number) + "/book", body: body, op: "book " + orderName(number)}, "order", &o)
	return o, err
}

// MarkReadyForShipping flags a booked order as ready to ship. It is a PUT,
// so a retry cannot do it twice.
func (c *Client) MarkReadyForShipping(ctx context.Context, number int64) (Order, error) {
	var o Order
	err := c.one(ctx, request{method: http.MethodPut, path: orderPath(number), body: map[string]bool{"is_ready_for_shipping": true},
		op: "mark " + orderName(number) + " ready for shipping"}, "order", &o)
	return o, err
}

// CreateShipment ships a booked order in full and returns the order as it
// is afterwards. Not repeated after a lost answer: on Retryable, read the
// order and check IsShipped.
func (c *Client) CreateShipment(ctx context.Context, number int64) (Order, error) {
	var o Order
	err := c.one(ctx, request{method: http.MethodPost, path: orderPath(number) + "/create-shipment", body: map[string]any{},
		op: "ship " + orderName(number)}, "order", &o)
	return o, err
}

// Invoice is a customer invoice made from an order.
type Invoice struct {
	ID          int64 `json:"id"`
	Number      int64 `json:"number"`
	OrderNumber int64 `json:"order_number"`
	IsBooked    bool  `json:"is_booked"`
	IsDraft     bool  `json:"is_draft"`
}

// ConvertToInvoice turns an order into an invoice, booked when book is true.
func (c *Client) ConvertToInvoice(ctx context.Context, number int64, book bool) (Invoice, error) {
	var inv Invoice
	err := c.one(ctx, request{method: http.MethodPost, path: orderPath(number) + "/convert-to-invoice",
		query: url.Values{"book": {strconv.FormatBool(book)}}, body: map[string]any{},
		op: "invoice " + orderName(number)}, "invoice", &inv)
	return inv, err
}

// SetOrderFields sets custom field values on an order (other fields keep
// their values).
//
// The body carries the values twice: as custom_fields [{id, value}], the
// form Rackbeat's official PHP client sends, and as field_values
// [{field_id, value}], the form products use. Rackbeat's Laravel backend
// ignores keys it does not know, so one body fits either reading.
func (c *Client) SetOrderFields(ctx context.Context, number int64, values []FieldValue) error {
	type cf struct {
		ID    int64  `json:"id"`
		Value string `json:"value"`
	}
	body := struct {
		CustomFields []cf         `json:"custom_fields"`
		FieldValues  []FieldValue `json:"field_values"`
	}{CustomFields: []cf{}, FieldValues: []FieldValue{}}
	for _, v := range values {
		body.CustomFields = append(body.CustomFields, cf{ID: v.FieldID, Value: v.Value})
		body.FieldValues = append(body.FieldValues, v)
	}
	_, err := c.do(ctx, request{method: http.MethodPut, path: orderPath(number) + "/fields", body: body,
		op: "set custom fields of " + orderName(number)}, nil)
	return err
}

// CancelOrder cancels an order.
func (c *Client) CancelOrder(ctx context.Context, number int64) (Order, error) {
	var o Order
	err := c.one(ctx, request{method: http.MethodPut, path: orderPath(number), body: map[string]bool{"is_cancelled": true},
		op: "cancel " + orderName(number)}, "order", &o)
	return o, err
}
