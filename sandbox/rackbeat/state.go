package rackbeat

import (
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
)

// State is everything the sandbox holds. It is what GET /_sandbox/state
// answers and what a snapshot stores; the API views are rendered from it.
type State struct {
	AccountID      int                    `json:"account_id"`
	Products       []*Product             `json:"products"`
	Lots           []*Lot                 `json:"lots"`
	Groups         []*Group               `json:"groups"`
	Locations      []*Location            `json:"locations"`
	Stock          map[string]map[int]int `json:"stock"` // product number → location number → in stock
	Fields         []*Field               `json:"fields"`
	Customers      []*Customer            `json:"customers"`
	CustomerGroups []*CustomerGroup       `json:"customer_groups"`
	Employees      []*Employee            `json:"employees"`
	PaymentTerms   []*PaymentTerm         `json:"payment_terms"`
	Orders         []*Order               `json:"orders"`
	Adjustments    []*Adjustment          `json:"inventory_adjustments"`
	Webhooks       []*Webhook             `json:"webhooks"`
	Mails          []Mail                 `json:"mails"`
	Bookings       []Booking              `json:"bookings"`
	Seq            Sequences              `json:"seq"`
}

// Sequences are the last ids handed out.
type Sequences struct {
	Product, Lot, Field, Customer, Order, OrderLine, Adjustment, Webhook, Invoice int
}

// Product is a Rackbeat product; Rackbeat has no variants, so each catalogue
// variant is one product whose number is the SKU.
type Product struct {
	ID          int            `json:"id"`
	Number      string         `json:"number"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Barcode     string         `json:"barcode"`
	SalesPrice  Decimal        `json:"sales_price"`
	CostPrice   Decimal        `json:"cost_price"`
	Group       int            `json:"group"`
	IsBarred    bool           `json:"is_barred"`
	Weight      Decimal        `json:"weight"`
	WeightUnit  string         `json:"weight_unit"`
	FieldValues map[int]string `json:"field_values,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// Lot is a BOM (strukturvare): a product made of other products.
type Lot struct {
	ID          int       `json:"id"`
	Number      string    `json:"number"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Barcode     string    `json:"barcode"`
	SalesPrice  Decimal   `json:"sales_price"`
	Group       int       `json:"group"`
	Lines       []LotLine `json:"lines"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// LotLine is one component of a lot; ProductID is the component's number.
type LotLine struct {
	ProductID string `json:"product_id"`
	Quantity  int    `json:"quantity"`
}

// Group is a product group.
type Group struct {
	Number       int    `json:"number"`
	Name         string `json:"name"`
	HasInventory bool   `json:"has_inventory"`
	IsSellable   bool   `json:"is_sellable"`
	VATDomestic  int    `json:"vat_domestic"`
}

// Location is a stock location.
type Location struct {
	Number    int    `json:"number"`
	Name      string `json:"name"`
	IsDefault bool   `json:"is_default"`
	ParentID  *int   `json:"parent_id"`
}

// Field is a custom field on items ("item") or orders ("order").
type Field struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Slug string `json:"slug"`
	Type string `json:"type"`
	For  string `json:"for"`
}

// Customer is a debtor.
type Customer struct {
	Number          int       `json:"number"`
	CompanyName     string    `json:"company_name"`
	ContactEmail    string    `json:"contact_email"`
	Phone           string    `json:"phone"`
	Address         string    `json:"address_street"`
	City            string    `json:"address_city"`
	Zipcode         string    `json:"address_zipcode"`
	Country         string    `json:"address_country"`
	Currency        string    `json:"currency"`
	VATZone         string    `json:"vat_zone"`
	PaymentTermsID  int       `json:"payment_terms_id"`
	CustomerGroupID int       `json:"customer_group_id"`
	Locale          string    `json:"locale"`
	EmployeeID      int       `json:"employee_id"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// CustomerGroup groups customers.
type CustomerGroup struct {
	Number int    `json:"number"`
	Name   string `json:"name"`
}

// Employee can be an order's employee or our reference.
type Employee struct {
	Number int    `json:"number"`
	Name   string `json:"name"`
	Email  string `json:"email"`
}

// PaymentTerm is a payment condition.
type PaymentTerm struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"` // "cash", "net", …
	Days int    `json:"days"`
}

// Order is a sales order in any state.
type Order struct {
	Number             int            `json:"number"`
	CustomerID         int            `json:"customer_id"`
	EmployeeID         int            `json:"employee_id"`
	OurReferenceID     int            `json:"our_reference_id"`
	PaymentTermsID     int            `json:"payment_terms_id"`
	VATZone            string         `json:"vat_zone"`
	Currency           string         `json:"currency"`
	Locale             string         `json:"locale"`
	Heading            string         `json:"heading"`
	OtherReference     string         `json:"other_reference"`
	OrderDate          string         `json:"order_date"`
	Location           int            `json:"location"`
	Lines              []OrderLine    `json:"lines"`
	FieldValues        map[int]string `json:"field_values,omitempty"`
	IsDraft            bool           `json:"is_draft"`
	IsBooked           bool           `json:"is_booked"`
	IsReadyForShipping bool           `json:"is_ready_for_shipping"`
	IsShipped          bool           `json:"is_shipped"`
	IsInvoiced         bool           `json:"is_invoiced"`
	IsCancelled        bool           `json:"is_cancelled"`
	InvoiceNumber      int            `json:"invoice_number,omitempty"`
	InvoiceBooked      bool           `json:"invoice_booked,omitempty"`
	CreatedAt          time.Time      `json:"created_at"`
	UpdatedAt          time.Time      `json:"updated_at"`
}

// OrderLine is one line; ItemID is a product or lot number.
type OrderLine struct {
	ID                 int     `json:"id"`
	ItemID             string  `json:"item_id"`
	Name               string  `json:"name"`
	Quantity           int     `json:"quantity"`
	LinePrice          Decimal `json:"line_price"`
	DiscountPercentage Decimal `json:"discount_percentage"`
	Location           int     `json:"location"`
}

// Adjustment is a recorded inventory adjustment.
type Adjustment struct {
	ID        int              `json:"id"`
	Location  int              `json:"location"`
	Note      string           `json:"note"`
	Lines     []AdjustmentLine `json:"lines"`
	CreatedAt time.Time        `json:"created_at"`
}

// AdjustmentLine moves Quantity (a delta) of one product.
type AdjustmentLine struct {
	ItemID   string `json:"item_id"`
	Quantity int    `json:"quantity"`
	Location int    `json:"location"`
}

// Webhook is a subscription; Token is sent in every delivery's
// Rackbeat-Webhook-Token header and shown by the API only when created.
type Webhook struct {
	ID       int    `json:"id"`
	Event    string `json:"event"`
	URL      string `json:"url"`
	IsActive bool   `json:"is_active"`
	Token    string `json:"token"`
}

// Mail records that booking an order "sent" its confirmation e-mail.
type Mail struct {
	Order  int       `json:"order"`
	Kind   string    `json:"kind"`
	SentAt time.Time `json:"sent_at"`
}

// Booking records one POST /orders/{n}/book and whether it asked for the
// confirmation e-mail, so a test can tell "asked not to send" from "never booked".
type Booking struct {
	Order    int       `json:"order"`
	SendMail bool      `json:"send_mail"`
	At       time.Time `json:"at"`
}

// Webhook event names.
const (
	EventProductCreated   = "product.created"
	EventProductUpdated   = "product.updated"
	EventProductDeleted   = "product.deleted"
	EventLotCreated       = "lot.created"
	EventOrderCreated     = "order.created"
	EventInventoryChanged = "inventory.changed"
	EventPluginUninstall  = "plugin.uninstalled"
)

var knownEvents = map[string]bool{
	EventProductCreated: true, EventProductUpdated: true, EventProductDeleted: true, EventLotCreated: true,
	EventOrderCreated: true, EventInventoryChanged: true, EventPluginUninstall: true,
}

// Names of what Options.Prerequisites creates, as the Shopbox seed asks the user to.
const (
	FieldShopboxUID       = "Shopbox UID felt ID"
	FieldShopboxVariation = "Shopbox variasjonsfelt ID"
	ShippingProductNumber = "frakt"
)

func seedState(cat *catalog.Catalog, now time.Time, prerequisites bool, accountID int) *State {
	st := &State{AccountID: accountID, Stock: map[string]map[int]int{}}
	if cat == nil {
		cat = &catalog.Catalog{
			Groups:    []catalog.Group{{Number: 1, Name: "Varer m/lagerstrekk", HasInventory: true, VATPercent: 25}},
			Locations: []catalog.Location{{Number: 1, Name: "Hovedlager"}},
		}
	}
	for _, g := range cat.Groups {
		st.Groups = append(st.Groups, &Group{Number: g.Number, Name: g.Name, HasInventory: g.HasInventory, IsSellable: true, VATDomestic: g.VATPercent})
	}
	for i, l := range cat.Locations {
		st.Locations = append(st.Locations, &Location{Number: l.Number, Name: l.Name, IsDefault: i == 0})
	}
	st.Products = make([]*Product, 0, cat.VariantCount())
	for _, p := range cat.Products {
		for _, v := range p.Variants {
			name := p.Name
			if len(p.Variants) > 1 {
				name = p.Name + " - " + v.Title
			}
			st.Seq.Product++
			st.Products = append(st.Products, &Product{
				ID: st.Seq.Product, Number: v.SKU, Name: name, Description: p.Description, Barcode: v.Barcode,
				SalesPrice: Dec(p.SalesPrice), CostPrice: Dec(p.CostPrice), Group: p.Group,
				Weight: Decimal{Dec(itoa(p.WeightGrams)).Shift(-3)}, WeightUnit: "kg",
				CreatedAt: now, UpdatedAt: now,
			})
			stock := make(map[int]int, len(v.Stock))
			for loc, q := range v.Stock {
				stock[loc] = q
			}
			st.Stock[v.SKU] = stock
		}
	}
	st.Employees = []*Employee{
		{Number: 1, Name: "Administrator", Email: "admin@example.com"},
		{Number: 2, Name: "Shopify # 1", Email: "webshop@example.com"},
	}
	st.PaymentTerms = []*PaymentTerm{
		{ID: 1, Name: "Netto 14 dager", Type: "net", Days: 14},
		{ID: 2, Name: "Netto 30 dager", Type: "net", Days: 30},
		{ID: 3, Name: "Webshop", Type: "cash", Days: 0},
	}
	st.CustomerGroups = []*CustomerGroup{{Number: 1, Name: "Øvrigt"}, {Number: 2, Name: "Bedrift"}}
	st.Seq.Customer = 1000
	if prerequisites {
		noStock := 0
		for _, g := range st.Groups {
			if !g.HasInventory {
				noStock = g.Number
				break
			}
		}
		if noStock == 0 {
			noStock = len(st.Groups) + 1
			st.Groups = append(st.Groups, &Group{Number: noStock, Name: "Varer u/lagerstrekk", IsSellable: true, VATDomestic: 25})
		}
		for _, name := range []string{FieldShopboxUID, FieldShopboxVariation} {
			st.Seq.Field++
			st.Fields = append(st.Fields, &Field{ID: st.Seq.Field, Name: name, Slug: slugify(name), Type: "text", For: "item"})
		}
		st.Seq.Product++
		st.Products = append(st.Products, &Product{
			ID: st.Seq.Product, Number: ShippingProductNumber, Name: "Frakt", Group: noStock,
			SalesPrice: Dec("0"), CostPrice: Dec("0"), Weight: Dec("0"), WeightUnit: "kg", CreatedAt: now, UpdatedAt: now,
		})
	}
	return st
}
