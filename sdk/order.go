package sdk

import "time"

// Order is a channel order (a webshop order, a point-of-sale sale) in
// shopbridge's canonical shape. Orders flow only from channels to the
// inventory system.
type Order struct {
	ID               string
	Number           string // what the channel shows, e.g. "#1042"
	CreatedAt        time.Time
	UpdatedAt        time.Time
	CancelledAt      time.Time // zero when not cancelled
	Currency         string
	TaxesIncluded    bool // line and shipping prices include tax
	FinancialState   FinancialState
	FulfillmentState FulfillmentState
	Customer         Customer
	BillingAddress   Address
	ShippingAddress  Address
	Lines            []OrderLine
	ShippingLines    []ShippingLine
	TaxLines         []TaxLine
	TotalDiscount    Money
	TotalTax         Money
	Total            Money
	LocationID       string // where it was sold (branch, cash register), for location mapping
	ChannelState     string // the channel's own words for its state
	Attributes       map[string]string
}

// Cancelled reports whether the channel has cancelled the order.
func (o Order) Cancelled() bool { return !o.CancelledAt.IsZero() }

// OrderLine is one line of an order.
type OrderLine struct {
	ID            string
	SKU           string
	ProductID     string
	VariantID     string
	Title         string
	Quantity      int64
	UnitPrice     Money // before discounts
	TotalDiscount Money // for the whole line
	TaxLines      []TaxLine
	Custom        bool // not tied to a product in the channel
}

// ShippingLine is a shipping charge on an order.
type ShippingLine struct {
	Title    string
	Price    Money
	Discount Money
	TaxLines []TaxLine
}

// TaxLine is one tax applied to a line, a shipping line or an order.
type TaxLine struct {
	Title  string
	Rate   string // decimal fraction, "0.25"
	Amount Money
}

// Customer is the buyer as the channel knows them. The host matches
// customers in the inventory system by e-mail first.
type Customer struct {
	ID        string
	Email     string
	FirstName string
	LastName  string
	Company   string
	Phone     string
}

// Address is a postal address.
type Address struct {
	Name        string
	Company     string
	Line1       string
	Line2       string
	City        string
	Zip         string
	Region      string
	CountryCode string
	Phone       string
}

// IsZero reports whether the address is empty.
func (a Address) IsZero() bool { return a == Address{} }

// FinancialState is how far an order has been paid.
type FinancialState string

// Financial states.
const (
	FinancialUnknown           FinancialState = ""
	FinancialPending           FinancialState = "pending"
	FinancialAuthorized        FinancialState = "authorized"
	FinancialPartiallyPaid     FinancialState = "partially_paid"
	FinancialPaid              FinancialState = "paid"
	FinancialPartiallyRefunded FinancialState = "partially_refunded"
	FinancialRefunded          FinancialState = "refunded"
	FinancialVoided            FinancialState = "voided"
)

// FulfillmentState is how far an order has been shipped.
type FulfillmentState string

// Fulfillment states.
const (
	FulfillmentUnknown            FulfillmentState = ""
	FulfillmentUnfulfilled        FulfillmentState = "unfulfilled"
	FulfillmentPartiallyFulfilled FulfillmentState = "partially_fulfilled"
	FulfillmentFulfilled          FulfillmentState = "fulfilled"
)
