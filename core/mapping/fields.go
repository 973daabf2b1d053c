package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/sdk"
)

// The seeds' field tables. Toward the channel (Shopify: "Synkroniserade
// fält - Varor, Rackbeat > Shopify"): name→title, number→SKU, description,
// product group→product type, sales price→price, barcode. Shopbox carries
// name, number, sales price and description (variants are its own).
var (
	shopifyToChannel = []string{sdk.FieldTitle, sdk.FieldSKU, sdk.FieldDescription, sdk.FieldCategory, sdk.FieldPrice, sdk.FieldBarcode}
	shopboxToChannel = []string{sdk.FieldTitle, sdk.FieldSKU, sdk.FieldDescription, sdk.FieldPrice}
)

// Fields of a Rackbeat product that channel → Rackbeat carries (Shopify:
// "Shopify > Rackbeat"): title→name, SKU→number, description, price→sales
// price, cost per item→cost, weight and weight unit.
const (
	RackbeatName        = "name"
	RackbeatNumber      = "number"
	RackbeatDescription = "description"
	RackbeatSalesPrice  = "sales_price"
	RackbeatCostPrice   = "cost_price"
	RackbeatWeight      = "weight"
	RackbeatBarcode     = "barcode"
)

// LinkRules is everything about a link that the mapping depends on.
type LinkRules struct {
	// Channel is the connector's name ("shopify", "shopbox", …); it picks
	// the default field table.
	Channel string
	// PricesExcludeVAT is the seeds' "sales prices in Rackbeat exclude
	// VAT": prices are multiplied by 1+VATRate toward the channel and
	// divided on the way back.
	PricesExcludeVAT bool
	VATRate          decimal.Decimal
	// Currency is the link's currency, for rounding to its minor unit.
	Currency string
	// Categories maps a channel category to a Rackbeat product group (the
	// Shopbox seed's "Kategorier"); DefaultCategoryGroup is used for a
	// category that is not listed ("Standard Shopbox-gruppe") and
	// DefaultGroup for a product without one ("Standard varugrupp").
	Categories           map[string]int
	DefaultCategoryGroup int
	DefaultGroup         int
	// UIDField and VariationField are the Rackbeat custom fields that hold
	// the channel's product and variant ids (Shopbox seed); zero: none.
	UIDField       int64
	VariationField int64
	// Rules override single fields; nil keeps the defaults.
	Rules *Rules
}

// NewLinkRules reads a link's product settings and compiles its rules;
// rulesPath is the key path of the rules for messages.
func NewLinkRules(channel string, s config.ProductsSettings, currency, rulesPath string) (LinkRules, error) {
	r := LinkRules{
		Channel: channel, PricesExcludeVAT: s.PricesExcludeVAT, VATRate: s.VATRate, Currency: currency,
		Categories: s.Categories, DefaultCategoryGroup: s.DefaultCategoryGroup, DefaultGroup: s.DefaultGroup,
		UIDField: int64(s.UIDField), VariationField: int64(s.VariationField),
	}
	if len(s.Rules) > 0 {
		rules, err := CompileRules(rulesPath, s.Rules)
		if err != nil {
			return LinkRules{}, err
		}
		r.Rules = rules
	}
	return r, nil
}

// ChannelFields is what the products flow writes toward the channel: the
// seed table of the link's channel, plus any field a rule sets.
func (r LinkRules) ChannelFields() []string {
	base := shopifyToChannel
	if r.Channel == "shopbox" {
		base = shopboxToChannel
	}
	out := slices.Clone(base)
	for _, f := range []string{sdk.FieldCategory, sdk.FieldBarcode} {
		if r.Rules.Has(f) && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// GroupFor is the Rackbeat product group of a new product from the
// channel: the group its category maps to, else the default category
// group, else the link's default group.
func (r LinkRules) GroupFor(category string) int64 {
	if g, ok := r.Categories[category]; ok && category != "" {
		return int64(g)
	}
	if r.DefaultCategoryGroup != 0 && (category != "" || r.DefaultGroup == 0) {
		return int64(r.DefaultCategoryGroup)
	}
	return int64(r.DefaultGroup)
}

// categoryOf is the channel category of a Rackbeat product group: the
// category the link maps to that group (the first by name, when several
// do), else the group's name.
func (r LinkRules) categoryOf(g rackbeat.ProductGroup) string {
	var names []string
	for name, n := range r.Categories {
		if int64(n) == g.Number {
			names = append(names, name)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		return names[0]
	}
	return g.Name
}

func (r LinkRules) currency() string {
	if r.Currency == "" {
		return "DKK"
	}
	return r.Currency
}

// RackbeatViewOf is the rule-facing view of a Rackbeat product.
func RackbeatViewOf(p rackbeat.Product) *RackbeatView {
	v := &RackbeatView{
		Number: p.Number, Name: p.Name, Description: p.Description, Barcode: p.Barcode,
		SalesPrice: p.SalesPrice.String(), CostPrice: p.CostPrice.String(),
		Group: p.Group.Number, GroupName: p.Group.Name,
		Weight: p.Physical.Weight.String(), WeightUnit: p.Physical.WeightUnit,
		Fields: map[string]string{},
	}
	for _, fv := range p.FieldValues {
		v.Fields[strconv.FormatInt(fv.FieldID, 10)] = fv.Value
	}
	return v
}

// ChannelViewOf is the rule-facing view of a channel product and variant.
func ChannelViewOf(p sdk.Product, v sdk.Variant) (*ChannelProductView, *ChannelVariantView) {
	pv := &ChannelProductView{ID: p.ID, Title: p.Title, Description: p.Description, Category: p.Category,
		Vendor: p.Vendor, Status: p.Status, Variants: int64(len(p.Variants)), Attributes: map[string]string{}}
	for k, a := range p.Attributes {
		pv.Attributes[k] = a
	}
	vv := &ChannelVariantView{ID: v.ID, SKU: v.SKU, Title: v.Title, Barcode: v.Barcode,
		Price: v.Price.Amount.String(), Cost: v.Cost.Amount.String(),
		Weight: v.Weight.Value.String(), WeightUnit: string(v.Weight.Unit), Options: map[string]string{}}
	for k, o := range v.Options {
		vv.Options[k] = o
	}
	return pv, vv
}

// ToChannel maps a Rackbeat product to a channel product with one variant
// (Rackbeat has one product per SKU) and lists the fields the write
// carries. The price gets VAT added when the link says Rackbeat's prices
// exclude it, rounded to the currency's minor unit.
func ToChannel(p rackbeat.Product, r LinkRules) (sdk.Product, sdk.Variant, []string, error) {
	cur := r.currency()
	v := sdk.Variant{
		SKU:              p.Number,
		Barcode:          p.Barcode,
		Price:            sdk.Money{Amount: PriceToChannel(p.SalesPrice, r.PricesExcludeVAT, r.VATRate, cur), Currency: cur},
		PriceIncludesVAT: r.PricesExcludeVAT,
		Cost:             sdk.Money{Amount: RoundMoney(p.CostPrice, cur), Currency: cur},
	}
	if u, err := ParseWeightUnit(p.Physical.WeightUnit); err == nil && !p.Physical.Weight.IsZero() {
		v.Weight = sdk.Weight{Value: p.Physical.Weight, Unit: u}
	}
	prod := sdk.Product{Title: p.Name, Description: p.Description, Category: r.categoryOf(p.Group), Status: "active"}
	if p.IsBarred {
		prod.Status = "archived"
	}
	if r.Rules != nil {
		vars := map[string]any{"product": RackbeatViewOf(p)}
		set := func(target string, apply func(string) error) error {
			s, ok, err := r.Rules.eval(target, vars)
			if err != nil || !ok {
				return err
			}
			return apply(s)
		}
		err := firstErr(
			set(TargetTitle, func(s string) error { prod.Title = s; return nil }),
			set(TargetDescription, func(s string) error { prod.Description = s; return nil }),
			set(TargetCategory, func(s string) error { prod.Category = s; return nil }),
			set(TargetSKU, func(s string) error { v.SKU = s; return nil }),
			set(TargetBarcode, func(s string) error { v.Barcode = s; return nil }),
			set(TargetPrice, func(s string) error {
				v.Price.Amount = RoundMoney(decimal.RequireFromString(s), cur)
				return nil
			}),
		)
		if err != nil {
			return sdk.Product{}, sdk.Variant{}, nil, fmt.Errorf("map Rackbeat product %q to the channel: %w", p.Number, err)
		}
	}
	prod.Variants = []sdk.Variant{v}
	return prod, v, r.ChannelFields(), nil
}

// LotToChannel maps a Rackbeat BOM (strukturvare) to a channel bundle.
func LotToChannel(l rackbeat.Lot, r LinkRules) (sdk.Product, []string, error) {
	p, _, fields, err := ToChannel(rackbeat.Product{Number: l.Number, Name: l.Name, Description: l.Description,
		Barcode: l.Barcode, SalesPrice: l.SalesPrice, CostPrice: l.CostPrice, Group: l.Group, IsBarred: l.IsBarred}, r)
	if err != nil {
		return sdk.Product{}, nil, err
	}
	p.IsBOM = true
	for _, line := range l.Lines {
		p.BOMLines = append(p.BOMLines, sdk.BOMLine{SKU: line.ProductID, Quantity: line.Quantity.IntPart()})
	}
	return p, fields, nil
}

// RackbeatNameOf is the Rackbeat name of a channel variant: the product's
// title, with the variant's title after it when the product has several
// (Rackbeat has no variants, so each is a product of its own).
func RackbeatNameOf(p sdk.Product, v sdk.Variant) string {
	if len(p.Variants) > 1 && v.Title != "" {
		return p.Title + " - " + v.Title
	}
	return p.Title
}

// ToRackbeat maps one variant of a channel product to a Rackbeat product
// (the group is the caller's to set on create, see GroupFor). The price
// loses VAT when the link says Rackbeat's prices exclude it.
func ToRackbeat(p sdk.Product, v sdk.Variant, r LinkRules) (rackbeat.ProductInput, error) {
	cur := r.currency()
	if v.Price.Currency != "" {
		cur = v.Price.Currency
	}
	// Rackbeat's description is plain text; a channel's may be HTML.
	desc := PlainText(p.Description)
	price := PriceFromChannel(v.Price.Amount, r.PricesExcludeVAT, r.VATRate, cur)
	in := rackbeat.ProductInput{Number: v.SKU, Name: RackbeatNameOf(p, v), Description: &desc, SalesPrice: &price}
	if !v.Cost.IsZero() {
		cost := RoundMoney(v.Cost.Amount, cur)
		in.CostPrice = &cost
	}
	if !v.Weight.IsZero() {
		u, err := ParseWeightUnit(string(v.Weight.Unit))
		if err != nil {
			return rackbeat.ProductInput{}, fmt.Errorf("map channel variant %q to Rackbeat: %w", v.SKU, err)
		}
		w := v.Weight.Value
		in.Weight, in.WeightUnit = &w, string(u)
	}
	if r.Rules != nil {
		pv, vv := ChannelViewOf(p, v)
		vars := map[string]any{"product": pv, "variant": vv}
		set := func(target string, apply func(string)) error {
			s, ok, err := r.Rules.eval(target, vars)
			if ok && err == nil {
				apply(s)
			}
			return err
		}
		err := firstErr(
			set(TargetRackbeatName, func(s string) { in.Name = s }),
			set(TargetRackbeatNumber, func(s string) { in.Number = s }),
			set(TargetRackbeatDescription, func(s string) { in.Description = &s }),
			set(TargetRackbeatBarcode, func(s string) { in.Barcode = &s }),
			set(TargetRackbeatSalesPrice, func(s string) {
				d := RoundMoney(decimal.RequireFromString(s), cur)
				in.SalesPrice = &d
			}),
			set(TargetRackbeatCostPrice, func(s string) {
				d := RoundMoney(decimal.RequireFromString(s), cur)
				in.CostPrice = &d
			}),
		)
		if err != nil {
			return rackbeat.ProductInput{}, fmt.Errorf("map channel variant %q to Rackbeat: %w", v.SKU, err)
		}
	}
	return in, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// DiffChannel lists the carried fields where the channel's product and
// variant (have) differ from what the mapping wants. Product-level fields
// (title, description, category) count only when productLevel is set:
// one Rackbeat product does not own the title of a channel product with
// several variants.
func DiffChannel(want sdk.Product, wantV sdk.Variant, have sdk.Product, haveV sdk.Variant, fields []string, productLevel bool) []string {
	var out []string
	for _, f := range fields {
		differs := false
		switch f {
		case sdk.FieldTitle:
			differs = productLevel && norm(want.Title) != norm(have.Title)
		case sdk.FieldDescription:
			differs = productLevel && PlainText(want.Description) != PlainText(have.Description)
		case sdk.FieldCategory:
			differs = productLevel && norm(want.Category) != norm(have.Category)
		case sdk.FieldSKU:
			differs = wantV.SKU != haveV.SKU
		case sdk.FieldBarcode:
			differs = norm(wantV.Barcode) != norm(haveV.Barcode)
		case sdk.FieldPrice:
			differs = !wantV.Price.Amount.Equal(haveV.Price.Amount)
		case sdk.FieldCost:
			differs = !wantV.Cost.Amount.Equal(haveV.Cost.Amount)
		case sdk.FieldStatus:
			differs = productLevel && want.Status != "" && want.Status != have.Status
		}
		if differs {
			out = append(out, f)
		}
	}
	return out
}

// DiffRackbeat lists the fields of a Rackbeat product that differ from what
// a ProductInput would set (nil and empty inputs set nothing).
func DiffRackbeat(want rackbeat.ProductInput, have rackbeat.Product) []string {
	var out []string
	if want.Number != "" && want.Number != have.Number {
		out = append(out, RackbeatNumber)
	}
	if want.Name != "" && norm(want.Name) != norm(have.Name) {
		out = append(out, RackbeatName)
	}
	if want.Description != nil && norm(*want.Description) != norm(have.Description) {
		out = append(out, RackbeatDescription)
	}
	if want.Barcode != nil && norm(*want.Barcode) != norm(have.Barcode) {
		out = append(out, RackbeatBarcode)
	}
	if want.SalesPrice != nil && !want.SalesPrice.Equal(have.SalesPrice) {
		out = append(out, RackbeatSalesPrice)
	}
	if want.CostPrice != nil && !want.CostPrice.Equal(have.CostPrice) {
		out = append(out, RackbeatCostPrice)
	}
	if want.Weight != nil && weightKey(*want.Weight, want.WeightUnit) != weightKey(have.Physical.Weight, have.Physical.WeightUnit) {
		out = append(out, RackbeatWeight)
	}
	return out
}

// OnlyFields keeps in the input only what fields name (plus the number),
// so an update touches nothing else.
func OnlyFields(in rackbeat.ProductInput, fields []string) rackbeat.ProductInput {
	out := rackbeat.ProductInput{Number: in.Number, FieldValues: in.FieldValues, Group: in.Group}
	for _, f := range fields {
		switch f {
		case RackbeatName:
			out.Name = in.Name
		case RackbeatDescription:
			out.Description = in.Description
		case RackbeatBarcode:
			out.Barcode = in.Barcode
		case RackbeatSalesPrice:
			out.SalesPrice = in.SalesPrice
		case RackbeatCostPrice:
			out.CostPrice = in.CostPrice
		case RackbeatWeight:
			out.Weight, out.WeightUnit = in.Weight, in.WeightUnit
		}
	}
	return out
}

func norm(s string) string { return strings.TrimSpace(s) }

// weightKey is a weight in grams as text, so that 0.4 kg and 400 g agree.
func weightKey(v decimal.Decimal, unit string) string {
	if v.IsZero() {
		return "0"
	}
	u, err := ParseWeightUnit(unit)
	if err != nil {
		return v.String() + unit
	}
	g, err := ConvertWeight(sdk.Weight{Value: v, Unit: u}, sdk.Grams)
	if err != nil {
		return v.String() + unit
	}
	return g.Value.Round(3).String()
}

// hashOf hashes field=value lines; a value never contains the separator's
// effect because each is quoted.
func hashOf(kv ...string) string {
	h := sha256.New()
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(h, "%s=%q\n", kv[i], kv[i+1])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// HashChannel fingerprints what the products flow cares about in a channel
// variant (and its product), for a product binding's ChannelHash. Equal
// hashes mean nothing the flow reads has changed since the binding was
// written: a change event with an equal hash is the echo of our own write.
func HashChannel(p sdk.Product, v sdk.Variant) string {
	lines := make([]string, 0, len(p.BOMLines)*2)
	for _, l := range p.BOMLines {
		lines = append(lines, l.SKU+"×"+strconv.FormatInt(l.Quantity, 10))
	}
	return hashOf("title", norm(p.Title), "description", PlainText(p.Description), "category", norm(p.Category),
		"status", p.Status, "variant", norm(v.Title), "sku", v.SKU, "barcode", norm(v.Barcode),
		"price", v.Price.Amount.String(), "cost", v.Cost.Amount.String(),
		"weight", weightKey(v.Weight.Value, string(v.Weight.Unit)), "bom", strings.Join(lines, ","))
}

// HashRackbeat fingerprints a Rackbeat product the same way, for a
// binding's InventoryHash. Custom field values are left out: the flow
// writes the channel ids there itself, and that must not look like an edit.
func HashRackbeat(p rackbeat.Product) string {
	return hashOf("number", p.Number, "name", norm(p.Name), "description", norm(p.Description),
		"barcode", norm(p.Barcode), "sales_price", p.SalesPrice.String(), "cost_price", p.CostPrice.String(),
		"group", strconv.FormatInt(p.Group.Number, 10), "barred", strconv.FormatBool(p.IsBarred),
		"weight", weightKey(p.Physical.Weight, p.Physical.WeightUnit))
}

// HashLot fingerprints a Rackbeat BOM.
func HashLot(l rackbeat.Lot) string {
	lines := make([]string, 0, len(l.Lines))
	for _, x := range l.Lines {
		lines = append(lines, x.ProductID+"×"+x.Quantity.String())
	}
	return hashOf("number", l.Number, "name", norm(l.Name), "description", norm(l.Description),
		"sales_price", l.SalesPrice.String(), "lines", strings.Join(lines, ","))
}
