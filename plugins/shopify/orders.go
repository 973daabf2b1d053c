package shopify

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/plugins/shopify/graphql"
	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopspring/decimal"
)

// linesFirst is how many line items an order page carries inline.
const linesFirst = 10

// orderCost is the requested cost of one order of a page: the order, its
// customer and addresses, linesFirst lines with their prices and taxes,
// up to five shipping lines, and the order's sums.
const orderCost = 1 + 2 + 2 + (2 + linesFirst*10) + (2 + 5*8) + 3 + 6

type moneyBag struct {
	ShopMoney struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	} `json:"shopMoney"`
}

func (m *moneyBag) money() sdk.Money {
	if m == nil {
		return sdk.Money{}
	}
	d, err := decimal.NewFromString(m.ShopMoney.Amount)
	if err != nil {
		return sdk.Money{}
	}
	return sdk.Money{Amount: d, Currency: m.ShopMoney.CurrencyCode}
}

type gqlTax struct {
	Title    string    `json:"title"`
	Rate     *float64  `json:"rate"`
	PriceSet *moneyBag `json:"priceSet"`
}

type gqlAddress struct {
	FirstName     *string `json:"firstName"`
	LastName      *string `json:"lastName"`
	Name          *string `json:"name"`
	Company       *string `json:"company"`
	Address1      *string `json:"address1"`
	Address2      *string `json:"address2"`
	City          *string `json:"city"`
	Zip           *string `json:"zip"`
	Province      *string `json:"province"`
	CountryCodeV2 *string `json:"countryCodeV2"`
	Phone         *string `json:"phone"`
}

type gqlLine struct {
	ID      string  `json:"id"`
	SKU     *string `json:"sku"`
	Title   string  `json:"title"`
	Qty     int64   `json:"quantity"`
	Variant *struct {
		ID string `json:"id"`
	} `json:"variant"`
	Product *struct {
		ID string `json:"id"`
	} `json:"product"`
	OriginalUnitPriceSet *moneyBag `json:"originalUnitPriceSet"`
	TotalDiscountSet     *moneyBag `json:"totalDiscountSet"`
	TaxLines             []gqlTax  `json:"taxLines"`
}

type gqlOrder struct {
	ID                       string     `json:"id"`
	Name                     string     `json:"name"`
	CreatedAt                time.Time  `json:"createdAt"`
	UpdatedAt                time.Time  `json:"updatedAt"`
	CancelledAt              *time.Time `json:"cancelledAt"`
	CancelReason             *string    `json:"cancelReason"`
	Email                    *string    `json:"email"`
	DisplayFinancialStatus   *string    `json:"displayFinancialStatus"`
	DisplayFulfillmentStatus string     `json:"displayFulfillmentStatus"`
	TaxesIncluded            bool       `json:"taxesIncluded"`
	CurrencyCode             string     `json:"currencyCode"`
	Customer                 *struct {
		ID                  string  `json:"id"`
		FirstName           *string `json:"firstName"`
		LastName            *string `json:"lastName"`
		DefaultEmailAddress *struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"defaultEmailAddress"`
	} `json:"customer"`
	BillingAddress  *gqlAddress `json:"billingAddress"`
	ShippingAddress *gqlAddress `json:"shippingAddress"`
	LineItems       struct {
		Nodes    []gqlLine `json:"nodes"`
		PageInfo pageInfo  `json:"pageInfo"`
	} `json:"lineItems"`
	ShippingLines struct {
		Nodes []struct {
			Title              string    `json:"title"`
			OriginalPriceSet   *moneyBag `json:"originalPriceSet"`
			DiscountedPriceSet *moneyBag `json:"discountedPriceSet"`
			TaxLines           []gqlTax  `json:"taxLines"`
		} `json:"nodes"`
	} `json:"shippingLines"`
	TaxLines             []gqlTax  `json:"taxLines"`
	TotalDiscountsSet    *moneyBag `json:"totalDiscountsSet"`
	CurrentTotalTaxSet   *moneyBag `json:"currentTotalTaxSet"`
	CurrentTotalPriceSet *moneyBag `json:"currentTotalPriceSet"`
}

func taxLines(ts []gqlTax) []sdk.TaxLine {
	out := make([]sdk.TaxLine, 0, len(ts))
	for _, t := range ts {
		tl := sdk.TaxLine{Title: t.Title, Amount: t.PriceSet.money()}
		if t.Rate != nil {
			// The rate is a float in the schema; its shortest decimal form
			// is what the merchant typed (0.25, 0.12).
			tl.Rate = strconv.FormatFloat(*t.Rate, 'f', -1, 64)
		}
		out = append(out, tl)
	}
	return out
}

func address(a *gqlAddress) sdk.Address {
	if a == nil {
		return sdk.Address{}
	}
	name := str(a.Name)
	if name == "" {
		name = strings.TrimSpace(str(a.FirstName) + " " + str(a.LastName))
	}
	return sdk.Address{Name: name, Company: str(a.Company), Line1: str(a.Address1), Line2: str(a.Address2), City: str(a.City),
		Zip: str(a.Zip), Region: str(a.Province), CountryCode: str(a.CountryCodeV2), Phone: str(a.Phone)}
}

var financialStates = map[string]sdk.FinancialState{
	"PENDING": sdk.FinancialPending, "AUTHORIZED": sdk.FinancialAuthorized, "PARTIALLY_PAID": sdk.FinancialPartiallyPaid,
	"PAID": sdk.FinancialPaid, "PARTIALLY_REFUNDED": sdk.FinancialPartiallyRefunded, "REFUNDED": sdk.FinancialRefunded,
	"VOIDED": sdk.FinancialVoided, "EXPIRED": sdk.FinancialVoided,
}

var fulfillmentStates = map[string]sdk.FulfillmentState{
	"UNFULFILLED": sdk.FulfillmentUnfulfilled, "PARTIALLY_FULFILLED": sdk.FulfillmentPartiallyFulfilled,
	"FULFILLED": sdk.FulfillmentFulfilled, "RESTOCKED": sdk.FulfillmentUnfulfilled, "SCHEDULED": sdk.FulfillmentUnfulfilled,
	"ON_HOLD": sdk.FulfillmentUnfulfilled, "IN_PROGRESS": sdk.FulfillmentPartiallyFulfilled, "OPEN": sdk.FulfillmentUnfulfilled,
	"PENDING_FULFILLMENT": sdk.FulfillmentUnfulfilled, "REQUEST_DECLINED": sdk.FulfillmentUnfulfilled,
}

// canonicalOrder maps a Shopify order to the sdk's order, every amount
// exact in the shop's currency.
func canonicalOrder(o gqlOrder) sdk.Order {
	out := sdk.Order{
		ID: o.ID, Number: o.Name, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Currency: o.CurrencyCode,
		TaxesIncluded: o.TaxesIncluded, FulfillmentState: fulfillmentStates[o.DisplayFulfillmentStatus],
		BillingAddress: address(o.BillingAddress), ShippingAddress: address(o.ShippingAddress),
		TaxLines: taxLines(o.TaxLines), TotalDiscount: o.TotalDiscountsSet.money(), TotalTax: o.CurrentTotalTaxSet.money(),
		Total: o.CurrentTotalPriceSet.money(),
	}
	fin := str(o.DisplayFinancialStatus)
	out.FinancialState = financialStates[fin]
	out.ChannelState = strings.ToLower(fin + "/" + o.DisplayFulfillmentStatus)
	if o.CancelledAt != nil {
		out.CancelledAt = *o.CancelledAt
		out.ChannelState = "cancelled"
		if r := str(o.CancelReason); r != "" {
			out.Attributes = map[string]string{"cancel_reason": strings.ToLower(r)}
		}
	}
	out.Customer.Email = str(o.Email)
	if c := o.Customer; c != nil {
		out.Customer.ID = c.ID
		out.Customer.FirstName, out.Customer.LastName = str(c.FirstName), str(c.LastName)
		if out.Customer.Email == "" && c.DefaultEmailAddress != nil {
			out.Customer.Email = c.DefaultEmailAddress.EmailAddress
		}
	}
	if out.Customer.FirstName == "" && out.Customer.LastName == "" && o.BillingAddress != nil {
		out.Customer.FirstName, out.Customer.LastName = str(o.BillingAddress.FirstName), str(o.BillingAddress.LastName)
	}
	if o.BillingAddress != nil {
		out.Customer.Company, out.Customer.Phone = str(o.BillingAddress.Company), str(o.BillingAddress.Phone)
	}
	for _, l := range o.LineItems.Nodes {
		ol := sdk.OrderLine{ID: l.ID, SKU: str(l.SKU), Title: l.Title, Quantity: l.Qty, UnitPrice: l.OriginalUnitPriceSet.money(),
			TotalDiscount: l.TotalDiscountSet.money(), TaxLines: taxLines(l.TaxLines)}
		if l.Variant != nil {
			ol.VariantID = l.Variant.ID
		}
		if l.Product != nil {
			ol.ProductID = l.Product.ID
		}
		ol.Custom = l.Variant == nil
		out.Lines = append(out.Lines, ol)
	}
	for _, s := range o.ShippingLines.Nodes {
		sl := sdk.ShippingLine{Title: s.Title, Price: s.OriginalPriceSet.money(), TaxLines: taxLines(s.TaxLines)}
		if s.DiscountedPriceSet != nil {
			if d := sl.Price.Amount.Sub(s.DiscountedPriceSet.money().Amount); d.IsPositive() {
				sl.Discount = sdk.Money{Amount: d, Currency: sl.Price.Currency}
			}
		}
		out.ShippingLines = append(out.ShippingLines, sl)
	}
	return out
}

// moreLines reads the line items of o past the first page.
func (l *link) moreLines(ctx context.Context, o *gqlOrder) error {
	for o.LineItems.PageInfo.HasNextPage {
		var resp struct {
			Order *struct {
				LineItems struct {
					Nodes    []gqlLine `json:"nodes"`
					PageInfo pageInfo  `json:"pageInfo"`
				} `json:"lineItems"`
			} `json:"order"`
		}
		vars := map[string]any{"id": o.ID, "first": 50, "after": o.LineItems.PageInfo.after()}
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.OrderLines, Variables: vars, Cost: 3 + 50*10}, &resp); err != nil {
			return err
		}
		if resp.Order == nil {
			return nil
		}
		o.LineItems.Nodes = append(o.LineItems.Nodes, resp.Order.LineItems.Nodes...)
		o.LineItems.PageInfo = resp.Order.LineItems.PageInfo
	}
	return nil
}

// ReadOrders reads orders changed since the cursor (by updated_at, with the
// same windowing as products) or the orders with the given ids.
func (l *link) ReadOrders(ctx context.Context, req sdk.ReadRequest, emit func(sdk.OrderPage) error) error {
	if len(req.IDs) > 0 {
		return l.readOrdersOf(ctx, req.IDs, emit)
	}
	var w window
	if req.Cursor != "" {
		if err := decodeCursor(req.Cursor, &w); err != nil {
			return err
		}
	}
	overlap := time.Duration(*l.settings.OverlapSeconds) * time.Second
	w.start(l.clock.Now())
	q := windowQuery[gqlOrder, sdk.Order]{
		doc: graphql.Orders, root: "orders", nodeCost: orderCost,
		vars: map[string]any{"linesFirst": linesFirst},
		key:  func(o gqlOrder) (string, time.Time) { return o.ID, o.UpdatedAt },
		complete: func(ctx context.Context, o gqlOrder) (sdk.Order, error) {
			if err := l.moreLines(ctx, &o); err != nil {
				return sdk.Order{}, err
			}
			return canonicalOrder(o), nil
		},
	}
	return readWindow(ctx, l.gql, q, w, overlap, req.PageSize, func(items []sdk.Order, cursor string, last bool) error {
		return emit(sdk.OrderPage{Items: items, Cursor: cursor, Last: last})
	})
}

func (l *link) readOrdersOf(ctx context.Context, ids []string, emit func(sdk.OrderPage) error) error {
	gids := make([]string, 0, len(ids))
	for _, id := range ids {
		g, ok := normaliseGID(id, "Order")
		if !ok {
			return sdk.Invalid("ids", "%q is not a Shopify order id", id)
		}
		gids = append(gids, g)
	}
	per := (graphql.MaxQueryCost - 2) / orderCost
	for start := 0; start < len(gids); start += per {
		part := gids[start:min(len(gids), start+per)]
		var resp struct {
			Nodes []*gqlOrder `json:"nodes"`
		}
		vars := map[string]any{"ids": part, "linesFirst": linesFirst}
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.OrdersByID, Variables: vars, Cost: len(part) * orderCost}, &resp); err != nil {
			return err
		}
		page := sdk.OrderPage{Last: start+per >= len(gids)}
		for _, o := range resp.Nodes {
			if o == nil || o.ID == "" {
				continue
			}
			if err := l.moreLines(ctx, o); err != nil {
				return err
			}
			page.Items = append(page.Items, canonicalOrder(*o))
		}
		if err := emit(page); err != nil {
			return err
		}
	}
	return nil
}
