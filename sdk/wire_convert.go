package sdk

// Conversions between the author-facing Go types and protocol version 1.
// They live beside the types so that the connector side (Serve) and the
// host side (RemoteConnector) share one set, and a field added to both is
// added in one place.

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/shopbridge/shopbridge/proto/shopbridge/connector/v1"
)

func tsToProto(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func tsFromProto(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

func moneyToProto(m Money) *pb.Money {
	if m.IsZero() {
		return nil
	}
	return &pb.Money{Amount: decimalString(m.Amount), Currency: m.Currency}
}

// moneyFromProto parses an amount; a malformed one is the sender's bug and
// is reported naming the field rather than silently read as zero.
func moneyFromProto(m *pb.Money, field string) (Money, error) {
	if m == nil {
		return Money{}, nil
	}
	if m.Amount == "" {
		return Money{Currency: m.Currency}, nil
	}
	d, err := parseDecimal(m.Amount)
	if err != nil {
		return Money{}, Invalid(field, "amount %q is not a decimal number", m.Amount)
	}
	return Money{Amount: d, Currency: m.Currency}, nil
}

var weightUnitsToProto = map[WeightUnit]pb.WeightUnit{
	Grams: pb.WeightUnit_WEIGHT_UNIT_GRAMS, Kilograms: pb.WeightUnit_WEIGHT_UNIT_KILOGRAMS,
	Ounces: pb.WeightUnit_WEIGHT_UNIT_OUNCES, Pounds: pb.WeightUnit_WEIGHT_UNIT_POUNDS,
}

func weightToProto(w Weight) *pb.Weight {
	if w.IsZero() {
		return nil
	}
	return &pb.Weight{Value: decimalString(w.Value), Unit: weightUnitsToProto[w.Unit]}
}

func weightFromProto(w *pb.Weight, field string) (Weight, error) {
	if w == nil {
		return Weight{}, nil
	}
	var out Weight
	switch w.Unit {
	case pb.WeightUnit_WEIGHT_UNIT_GRAMS:
		out.Unit = Grams
	case pb.WeightUnit_WEIGHT_UNIT_KILOGRAMS:
		out.Unit = Kilograms
	case pb.WeightUnit_WEIGHT_UNIT_OUNCES:
		out.Unit = Ounces
	case pb.WeightUnit_WEIGHT_UNIT_POUNDS:
		out.Unit = Pounds
	}
	if w.Value != "" {
		d, err := parseDecimal(w.Value)
		if err != nil {
			return Weight{}, Invalid(field, "weight %q is not a decimal number", w.Value)
		}
		out.Value = d
	}
	return out, nil
}

func errorToProto(e *Error) *pb.Error {
	if e == nil {
		return nil
	}
	out := &pb.Error{Class: classToProto[e.Class], Message: e.Message, Field: e.Field, Code: e.Code}
	if e.RetryAfter > 0 {
		out.RetryAfter = durationpb.New(e.RetryAfter)
	}
	return out
}

func errorFromProto(e *pb.Error) *Error {
	if e == nil {
		return nil
	}
	out := &Error{Message: e.Message, Field: e.Field, Code: e.Code}
	for c, p := range classToProto {
		if p == e.Class {
			out.Class = c
		}
	}
	if e.RetryAfter != nil {
		out.RetryAfter = e.RetryAfter.AsDuration()
	}
	return out
}

var classToProto = map[Class]pb.ErrorClass{
	ClassUnknown:         pb.ErrorClass_ERROR_CLASS_UNSPECIFIED,
	ClassRetryable:       pb.ErrorClass_ERROR_CLASS_RETRYABLE,
	ClassRateLimited:     pb.ErrorClass_ERROR_CLASS_RATE_LIMITED,
	ClassInvalid:         pb.ErrorClass_ERROR_CLASS_INVALID,
	ClassNotFound:        pb.ErrorClass_ERROR_CLASS_NOT_FOUND,
	ClassConflict:        pb.ErrorClass_ERROR_CLASS_CONFLICT,
	ClassUnauthenticated: pb.ErrorClass_ERROR_CLASS_UNAUTHENTICATED,
	ClassUnsupported:     pb.ErrorClass_ERROR_CLASS_UNSUPPORTED,
}

func productToProto(p *Product) *pb.Product {
	out := &pb.Product{
		Id: p.ID, Title: p.Title, Description: p.Description, Category: p.Category,
		CategoryId: p.CategoryID, Vendor: p.Vendor, Status: p.Status,
		UpdatedAt: tsToProto(p.UpdatedAt), IsBom: p.IsBOM, Attributes: p.Attributes,
		Variants: make([]*pb.Variant, len(p.Variants)),
	}
	for i := range p.Variants {
		v := &p.Variants[i]
		out.Variants[i] = &pb.Variant{
			Id: v.ID, Sku: v.SKU, Title: v.Title, Barcode: v.Barcode,
			Price: moneyToProto(v.Price), PriceIncludesVat: v.PriceIncludesVAT,
			Cost: moneyToProto(v.Cost), Weight: weightToProto(v.Weight),
			InventoryItemId: v.InventoryItemID, Options: v.Options, UpdatedAt: tsToProto(v.UpdatedAt),
		}
	}
	for _, l := range p.BOMLines {
		out.BomLines = append(out.BomLines, &pb.BomLine{Sku: l.SKU, Quantity: l.Quantity})
	}
	return out
}

func productFromProto(p *pb.Product) (Product, error) {
	out := Product{
		ID: p.Id, Title: p.Title, Description: p.Description, Category: p.Category,
		CategoryID: p.CategoryId, Vendor: p.Vendor, Status: p.Status,
		UpdatedAt: tsFromProto(p.UpdatedAt), IsBOM: p.IsBom, Attributes: p.Attributes,
		Variants: make([]Variant, len(p.Variants)),
	}
	for i, v := range p.Variants {
		// The field names are formatted only for an error: a page of
		// products has thousands of variants.
		price, err := moneyFromProto(v.Price, "")
		if err != nil {
			_, err = moneyFromProto(v.Price, fmt.Sprintf("variants[%d].price", i))
			return Product{}, err
		}
		cost, err := moneyFromProto(v.Cost, "")
		if err != nil {
			_, err = moneyFromProto(v.Cost, fmt.Sprintf("variants[%d].cost", i))
			return Product{}, err
		}
		weight, err := weightFromProto(v.Weight, "")
		if err != nil {
			_, err = weightFromProto(v.Weight, fmt.Sprintf("variants[%d].weight", i))
			return Product{}, err
		}
		out.Variants[i] = Variant{
			ID: v.Id, SKU: v.Sku, Title: v.Title, Barcode: v.Barcode,
			Price: price, PriceIncludesVAT: v.PriceIncludesVat, Cost: cost, Weight: weight,
			InventoryItemID: v.InventoryItemId, Options: v.Options, UpdatedAt: tsFromProto(v.UpdatedAt),
		}
	}
	for _, l := range p.BomLines {
		out.BOMLines = append(out.BOMLines, BOMLine{SKU: l.Sku, Quantity: l.Quantity})
	}
	return out, nil
}

func taxLinesToProto(ts []TaxLine) []*pb.TaxLine {
	if len(ts) == 0 {
		return nil
	}
	out := make([]*pb.TaxLine, len(ts))
	for i, t := range ts {
		out[i] = &pb.TaxLine{Title: t.Title, Rate: t.Rate, Amount: moneyToProto(t.Amount)}
	}
	return out
}

func taxLinesFromProto(ts []*pb.TaxLine, field string) ([]TaxLine, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	out := make([]TaxLine, len(ts))
	for i, t := range ts {
		amount, err := moneyFromProto(t.Amount, fmt.Sprintf("%s[%d].amount", field, i))
		if err != nil {
			return nil, err
		}
		out[i] = TaxLine{Title: t.Title, Rate: t.Rate, Amount: amount}
	}
	return out, nil
}

func addressToProto(a Address) *pb.Address {
	if a.IsZero() {
		return nil
	}
	return &pb.Address{Name: a.Name, Company: a.Company, Line1: a.Line1, Line2: a.Line2, City: a.City,
		Zip: a.Zip, Region: a.Region, CountryCode: a.CountryCode, Phone: a.Phone}
}

func addressFromProto(a *pb.Address) Address {
	if a == nil {
		return Address{}
	}
	return Address{Name: a.Name, Company: a.Company, Line1: a.Line1, Line2: a.Line2, City: a.City,
		Zip: a.Zip, Region: a.Region, CountryCode: a.CountryCode, Phone: a.Phone}
}

var financialToProto = map[FinancialState]pb.FinancialState{
	FinancialUnknown:           pb.FinancialState_FINANCIAL_STATE_UNSPECIFIED,
	FinancialPending:           pb.FinancialState_FINANCIAL_STATE_PENDING,
	FinancialAuthorized:        pb.FinancialState_FINANCIAL_STATE_AUTHORIZED,
	FinancialPartiallyPaid:     pb.FinancialState_FINANCIAL_STATE_PARTIALLY_PAID,
	FinancialPaid:              pb.FinancialState_FINANCIAL_STATE_PAID,
	FinancialPartiallyRefunded: pb.FinancialState_FINANCIAL_STATE_PARTIALLY_REFUNDED,
	FinancialRefunded:          pb.FinancialState_FINANCIAL_STATE_REFUNDED,
	FinancialVoided:            pb.FinancialState_FINANCIAL_STATE_VOIDED,
}

var fulfillmentToProto = map[FulfillmentState]pb.FulfillmentState{
	FulfillmentUnknown:            pb.FulfillmentState_FULFILLMENT_STATE_UNSPECIFIED,
	FulfillmentUnfulfilled:        pb.FulfillmentState_FULFILLMENT_STATE_UNFULFILLED,
	FulfillmentPartiallyFulfilled: pb.FulfillmentState_FULFILLMENT_STATE_PARTIALLY_FULFILLED,
	FulfillmentFulfilled:          pb.FulfillmentState_FULFILLMENT_STATE_FULFILLED,
}

func orderToProto(o *Order) *pb.Order {
	out := &pb.Order{
		Id: o.ID, Number: o.Number, CreatedAt: tsToProto(o.CreatedAt), UpdatedAt: tsToProto(o.UpdatedAt),
		CancelledAt: tsToProto(o.CancelledAt), Currency: o.Currency, TaxesIncluded: o.TaxesIncluded,
		FinancialState: financialToProto[o.FinancialState], FulfillmentState: fulfillmentToProto[o.FulfillmentState],
		BillingAddress: addressToProto(o.BillingAddress), ShippingAddress: addressToProto(o.ShippingAddress),
		TaxLines: taxLinesToProto(o.TaxLines), TotalDiscount: moneyToProto(o.TotalDiscount),
		TotalTax: moneyToProto(o.TotalTax), Total: moneyToProto(o.Total), LocationId: o.LocationID,
		ChannelState: o.ChannelState, Attributes: o.Attributes,
	}
	if o.Customer != (Customer{}) {
		c := o.Customer
		out.Customer = &pb.Customer{Id: c.ID, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Phone: c.Phone}
	}
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, &pb.OrderLine{
			Id: l.ID, Sku: l.SKU, ProductId: l.ProductID, VariantId: l.VariantID, Title: l.Title,
			Quantity: l.Quantity, UnitPrice: moneyToProto(l.UnitPrice), TotalDiscount: moneyToProto(l.TotalDiscount),
			TaxLines: taxLinesToProto(l.TaxLines), Custom: l.Custom,
		})
	}
	for _, s := range o.ShippingLines {
		out.ShippingLines = append(out.ShippingLines, &pb.ShippingLine{
			Title: s.Title, Price: moneyToProto(s.Price), Discount: moneyToProto(s.Discount), TaxLines: taxLinesToProto(s.TaxLines),
		})
	}
	return out
}

func orderFromProto(o *pb.Order) (Order, error) {
	out := Order{
		ID: o.Id, Number: o.Number, CreatedAt: tsFromProto(o.CreatedAt), UpdatedAt: tsFromProto(o.UpdatedAt),
		CancelledAt: tsFromProto(o.CancelledAt), Currency: o.Currency, TaxesIncluded: o.TaxesIncluded,
		BillingAddress: addressFromProto(o.BillingAddress), ShippingAddress: addressFromProto(o.ShippingAddress),
		LocationID: o.LocationId, ChannelState: o.ChannelState, Attributes: o.Attributes,
	}
	for s, p := range financialToProto {
		if p == o.FinancialState {
			out.FinancialState = s
		}
	}
	for s, p := range fulfillmentToProto {
		if p == o.FulfillmentState {
			out.FulfillmentState = s
		}
	}
	if c := o.Customer; c != nil {
		out.Customer = Customer{ID: c.Id, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Phone: c.Phone}
	}
	var err error
	if out.TaxLines, err = taxLinesFromProto(o.TaxLines, "tax_lines"); err != nil {
		return Order{}, err
	}
	if out.TotalDiscount, err = moneyFromProto(o.TotalDiscount, "total_discount"); err != nil {
		return Order{}, err
	}
	if out.TotalTax, err = moneyFromProto(o.TotalTax, "total_tax"); err != nil {
		return Order{}, err
	}
	if out.Total, err = moneyFromProto(o.Total, "total"); err != nil {
		return Order{}, err
	}
	for i, l := range o.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		line := OrderLine{ID: l.Id, SKU: l.Sku, ProductID: l.ProductId, VariantID: l.VariantId, Title: l.Title, Quantity: l.Quantity, Custom: l.Custom}
		if line.UnitPrice, err = moneyFromProto(l.UnitPrice, f+".unit_price"); err != nil {
			return Order{}, err
		}
		if line.TotalDiscount, err = moneyFromProto(l.TotalDiscount, f+".total_discount"); err != nil {
			return Order{}, err
		}
		if line.TaxLines, err = taxLinesFromProto(l.TaxLines, f+".tax_lines"); err != nil {
			return Order{}, err
		}
		out.Lines = append(out.Lines, line)
	}
	for i, s := range o.ShippingLines {
		f := fmt.Sprintf("shipping_lines[%d]", i)
		line := ShippingLine{Title: s.Title}
		if line.Price, err = moneyFromProto(s.Price, f+".price"); err != nil {
			return Order{}, err
		}
		if line.Discount, err = moneyFromProto(s.Discount, f+".discount"); err != nil {
			return Order{}, err
		}
		if line.TaxLines, err = taxLinesFromProto(s.TaxLines, f+".tax_lines"); err != nil {
			return Order{}, err
		}
		out.ShippingLines = append(out.ShippingLines, line)
	}
	return out, nil
}

func levelToProto(l StockLevel) *pb.StockLevel {
	return &pb.StockLevel{Sku: l.SKU, VariantId: l.VariantID, InventoryItemId: l.InventoryItemID, LocationId: l.LocationID, Quantity: l.Quantity}
}

func levelFromProto(l *pb.StockLevel) StockLevel {
	if l == nil {
		return StockLevel{}
	}
	return StockLevel{SKU: l.Sku, VariantID: l.VariantId, InventoryItemID: l.InventoryItemId, LocationID: l.LocationId, Quantity: l.Quantity}
}

var quantityToProto = map[QuantityName]pb.QuantityName{
	QuantityDefault:   pb.QuantityName_QUANTITY_NAME_UNSPECIFIED,
	QuantityAvailable: pb.QuantityName_QUANTITY_NAME_AVAILABLE,
	QuantityOnHand:    pb.QuantityName_QUANTITY_NAME_ON_HAND,
}

func quantityFromProto(q pb.QuantityName) QuantityName {
	for n, p := range quantityToProto {
		if p == q {
			return n
		}
	}
	return QuantityDefault
}

func credentialsToProto(c *Credentials) *pb.Credentials {
	if c == nil {
		return nil
	}
	return &pb.Credentials{AccessToken: c.AccessToken, RefreshToken: c.RefreshToken, ExpiresAt: tsToProto(c.ExpiresAt),
		RefreshExpiresAt: tsToProto(c.RefreshExpiresAt), Scope: c.Scope, Extra: c.Extra}
}

func credentialsFromProto(c *pb.Credentials) *Credentials {
	if c == nil {
		return nil
	}
	return &Credentials{AccessToken: c.AccessToken, RefreshToken: c.RefreshToken, ExpiresAt: tsFromProto(c.ExpiresAt),
		RefreshExpiresAt: tsFromProto(c.RefreshExpiresAt), Scope: c.Scope, Extra: c.Extra}
}

func headersToProto(h map[string][]string) []*pb.Header {
	out := make([]*pb.Header, 0, len(h))
	for k, v := range h {
		out = append(out, &pb.Header{Name: k, Values: v})
	}
	return out
}

func headersFromProto(hs []*pb.Header) http.Header {
	out := make(http.Header, len(hs))
	for _, h := range hs {
		out[http.CanonicalHeaderKey(h.Name)] = append(out[http.CanonicalHeaderKey(h.Name)], h.Values...)
	}
	return out
}

func queryFromProto(hs []*pb.Header) url.Values {
	out := make(url.Values, len(hs))
	for _, h := range hs {
		out[h.Name] = append(out[h.Name], h.Values...)
	}
	return out
}

func capabilitiesToStrings(cs []Capability) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func describeToProto(d Description) *pb.DescribeResponse {
	return &pb.DescribeResponse{
		Name: d.Name, Version: d.Version, ProtocolVersion: ProtocolVersion, ProtocolMinor: d.ProtocolMinor,
		DisplayName: d.DisplayName, Description: d.Summary, Capabilities: capabilitiesToStrings(d.Capabilities),
		SettingsSchema: string(d.SettingsSchema), SecretSettings: d.SecretSettings, WebhookTopics: d.WebhookTopics,
	}
}

func describeFromProto(r *pb.DescribeResponse) Description {
	d := Description{
		Name: r.Name, Version: r.Version, ProtocolMinor: r.ProtocolMinor, DisplayName: r.DisplayName,
		Summary: r.Description, SettingsSchema: []byte(r.SettingsSchema), SecretSettings: r.SecretSettings,
		WebhookTopics: r.WebhookTopics,
	}
	for _, c := range r.Capabilities {
		d.Capabilities = append(d.Capabilities, Capability(c))
	}
	return d
}
