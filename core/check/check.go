package check

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/sdk"
)

// Inventory is what the checks read from Rackbeat.
type Inventory interface {
	Self(ctx context.Context) (rackbeat.Account, error)
	ProductGroups(ctx context.Context) ([]rackbeat.ProductGroup, error)
	Locations(ctx context.Context) ([]rackbeat.Location, error)
	Fields(ctx context.Context, forKind string) ([]rackbeat.Field, error)
	FindProduct(ctx context.Context, number string) (rackbeat.Product, bool, error)
	Employees(ctx context.Context) ([]rackbeat.Employee, error)
	PaymentTerms(ctx context.Context) ([]rackbeat.PaymentTerms, error)
	CustomerGroups(ctx context.Context) ([]rackbeat.CustomerGroup, error)
}

// Channel is what the checks ask of a link's connector; nil when the link
// could not be opened (the finding says why).
type Channel interface {
	Check(ctx context.Context) (sdk.CheckReport, error)
	Has(c sdk.Capability) bool
	ListLocations(ctx context.Context) ([]sdk.Location, error)
}

// Finding is one line of the report.
type Finding struct {
	Link string // "" for Rackbeat-wide findings
	Name string
	OK   bool
	// Detail says what was found; Hint what to do when not OK.
	Detail string
	Hint   string
}

// String renders "✓ name: detail" or "✗ name: detail — hint".
func (f Finding) String() string {
	mark := "✓"
	if !f.OK {
		mark = "✗"
	}
	s := mark + " " + f.Name
	if f.Detail != "" {
		s += ": " + f.Detail
	}
	if !f.OK && f.Hint != "" {
		s += " — " + f.Hint
	}
	return s
}

// Failed reports whether any finding failed.
func Failed(fs []Finding) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return !f.OK })
}

// Rackbeat checks that the account answers with the configured token.
func Rackbeat(ctx context.Context, inv Inventory) Finding {
	acc, err := inv.Self(ctx)
	if err != nil {
		return Finding{Name: "Rackbeat account", Detail: err.Error(), Hint: "check rackbeat.url and the API token rackbeat.token refers to"}
	}
	return Finding{Name: "Rackbeat account", OK: true, Detail: acc.CompanyName}
}

// reference data read once per run and shared by every link's checks.
type reference struct {
	groups    []rackbeat.ProductGroup
	locations []rackbeat.Location
	fields    []rackbeat.Field
	employees []rackbeat.Employee
	terms     []rackbeat.PaymentTerms
	cgroups   []rackbeat.CustomerGroup
}

// Runner checks links against one Rackbeat account.
type Runner struct {
	inv Inventory
	ref *reference
}

// NewRunner reads Rackbeat's reference data once.
func NewRunner(ctx context.Context, inv Inventory) (*Runner, error) {
	r := &reference{}
	var err error
	if r.groups, err = inv.ProductGroups(ctx); err != nil {
		return nil, fmt.Errorf("read Rackbeat product groups: %w", err)
	}
	if r.locations, err = inv.Locations(ctx); err != nil {
		return nil, fmt.Errorf("read Rackbeat locations: %w", err)
	}
	if r.fields, err = inv.Fields(ctx, "item"); err != nil {
		return nil, fmt.Errorf("read Rackbeat custom fields: %w", err)
	}
	if r.employees, err = inv.Employees(ctx); err != nil {
		return nil, fmt.Errorf("read Rackbeat employees: %w", err)
	}
	if r.terms, err = inv.PaymentTerms(ctx); err != nil {
		return nil, fmt.Errorf("read Rackbeat payment terms: %w", err)
	}
	if r.cgroups, err = inv.CustomerGroups(ctx); err != nil {
		return nil, fmt.Errorf("read Rackbeat customer groups: %w", err)
	}
	return &Runner{inv: inv, ref: r}, nil
}

// Link checks one link's prerequisites. ch may be nil when the link could
// not be opened; openErr then says why.
func (r *Runner) Link(ctx context.Context, l *config.Link, ch Channel, openErr error) []Finding {
	var out []Finding
	add := func(f Finding) { f.Link = l.ID; out = append(out, f) }

	if ch == nil {
		add(Finding{Name: "connector " + l.Connector, Detail: fmt.Sprint(openErr), Hint: "install the connector with `shopbridge plugins install` and check the link's settings"})
	} else {
		rep, err := ch.Check(ctx)
		if err != nil {
			add(Finding{Name: "channel account", Detail: err.Error(), Hint: "check the link's settings (shop address, credentials)"})
		} else {
			for _, it := range rep.Items {
				add(Finding{Name: "channel: " + it.Name, OK: it.OK, Detail: it.Detail, Hint: it.Hint})
			}
		}
	}

	p := l.Products
	if p.Direction == "channel" || p.Direction == "both" || l.InitialSync == "channel" {
		add(r.group("product group for new products (products.default_group)", p.DefaultGroup, true))
	}
	if p.DefaultCategoryGroup > 0 {
		add(r.group("default category group (products.default_category_group)", p.DefaultCategoryGroup, false))
	}
	for cat, g := range p.Categories {
		add(r.group(fmt.Sprintf("group for category %q (products.categories)", cat), g, false))
	}
	if p.UIDField > 0 || p.VariationField > 0 || l.ConnectorName == "shopbox" {
		add(r.field("Shopbox UID field (products.uid_field)", p.UIDField, "Shopbox UID felt ID"))
		add(r.field("Shopbox variation field (products.variation_field)", p.VariationField, "Shopbox variasjonsfelt ID"))
	}

	o := l.Orders
	if o.Enabled {
		add(r.employee(o.Employee))
		add(r.terms(o.PaymentTerms))
		add(r.customerGroup(o.CustomerGroup))
		if o.ShippingProduct != "" {
			add(r.shipping(ctx, o.ShippingProduct))
		}
		if o.Location > 0 {
			add(r.location("order location (orders.location)", o.Location))
		}
	}

	if l.Stock.Enabled || o.Enabled {
		out = append(out, r.locations(ctx, l, ch)...)
	}
	return out
}

func (r *Runner) group(name string, number int, needStock bool) Finding {
	f := Finding{Name: name}
	if number <= 0 {
		f.Detail, f.Hint = "not set", "create a product group (the seeds: number 1, \"Varer m/lagerstrekk\", with stock) and name its number here"
		return f
	}
	i := slices.IndexFunc(r.ref.groups, func(g rackbeat.ProductGroup) bool { return g.Number == int64(number) })
	if i < 0 {
		f.Detail, f.Hint = fmt.Sprintf("product group %d does not exist in Rackbeat", number), "create it under Inventory → Product groups, or correct the number"
		return f
	}
	g := r.ref.groups[i]
	if needStock && !g.HasInventory {
		f.Detail, f.Hint = fmt.Sprintf("product group %d %q has no stock", number, g.Name), "mark \"has inventory\" on the group, or pick a group with stock"
		return f
	}
	f.OK, f.Detail = true, fmt.Sprintf("%d %q", g.Number, g.Name)
	return f
}

func (r *Runner) field(name string, id int, seedName string) Finding {
	f := Finding{Name: name}
	if id <= 0 {
		f.Detail, f.Hint = "not set", fmt.Sprintf("create a custom product field named %q in Rackbeat (a Premium feature) and put its id here", seedName)
		return f
	}
	i := slices.IndexFunc(r.ref.fields, func(x rackbeat.Field) bool { return x.ID == int64(id) })
	if i < 0 {
		hint := fmt.Sprintf("create a custom product field named %q in Rackbeat (a Premium feature) and put its id here", seedName)
		if j := slices.IndexFunc(r.ref.fields, func(x rackbeat.Field) bool { return strings.EqualFold(x.Name, seedName) }); j >= 0 {
			hint = fmt.Sprintf("a field named %q exists with id %d: use that id", seedName, r.ref.fields[j].ID)
		}
		f.Detail, f.Hint = fmt.Sprintf("custom product field %d does not exist", id), hint
		return f
	}
	f.OK, f.Detail = true, fmt.Sprintf("%d %q", id, r.ref.fields[i].Name)
	return f
}

// lookup is one reference-data check: the item whose id (or number)
// matches, found and named, or a failed finding with what to create.
func lookup[T any](name string, items []T, id int, matches func(T, int64) bool, nameOf func(T) string, missing, hint string) Finding {
	f := Finding{Name: name}
	i := slices.IndexFunc(items, func(x T) bool { return matches(x, int64(id)) })
	if i < 0 {
		f.Detail, f.Hint = fmt.Sprintf(missing, id), hint
		return f
	}
	f.OK, f.Detail = true, fmt.Sprintf("%d %q", id, nameOf(items[i]))
	return f
}

func (r *Runner) employee(id int) Finding {
	return lookup("default employee (orders.employee)", r.ref.employees, id,
		func(e rackbeat.Employee, id int64) bool { return e.ID == id || e.Number == id },
		func(e rackbeat.Employee) string { return e.Name },
		"employee %d does not exist", "create one per webshop under Settings → Employees (the seed: \"Shopify # 1\") and put its number here")
}

func (r *Runner) terms(id int) Finding {
	return lookup("payment terms (orders.payment_terms)", r.ref.terms, id,
		func(t rackbeat.PaymentTerms, id int64) bool { return t.ID == id },
		func(t rackbeat.PaymentTerms) string { return t.Name },
		"payment terms %d do not exist", "create terms of type \"paid in cash\" named \"Webshop\" under Settings → Payment terms and put their id here")
}

func (r *Runner) customerGroup(id int) Finding {
	return lookup("customer group for new customers (orders.customer_group)", r.ref.cgroups, id,
		func(g rackbeat.CustomerGroup, id int64) bool { return g.ID == id || g.Number == id },
		func(g rackbeat.CustomerGroup) string { return g.Name },
		"customer group %d does not exist", "create one (the seed: \"Other\") under Sales → Customer groups and put its number here")
}

func (r *Runner) shipping(ctx context.Context, number string) Finding {
	f := Finding{Name: "shipping product (orders.shipping_product)"}
	p, ok, err := r.inv.FindProduct(ctx, number)
	switch {
	case err != nil:
		f.Detail = err.Error()
	case !ok:
		f.Detail, f.Hint = fmt.Sprintf("no product %q", number), fmt.Sprintf("create a product %q in Rackbeat in a product group without stock", number)
	case p.Group.HasInventory:
		f.Detail, f.Hint = fmt.Sprintf("product %q is in group %d %q, which has stock", number, p.Group.Number, p.Group.Name), "move it to a group without stock, or shipping will draw stock"
	default:
		f.OK, f.Detail = true, fmt.Sprintf("%q %s", number, p.Name)
	}
	return f
}

func (r *Runner) location(name string, number int) Finding {
	f := Finding{Name: name}
	i := slices.IndexFunc(r.ref.locations, func(l rackbeat.Location) bool { return l.Number == int64(number) })
	if i < 0 {
		f.Detail, f.Hint = fmt.Sprintf("Rackbeat location %d does not exist", number), "create it under Inventory → Locations, or correct the number"
		return f
	}
	f.OK, f.Detail = true, fmt.Sprintf("%d %q", number, r.ref.locations[i].Name)
	return f
}

// locations checks the location mapping: every Rackbeat location it names
// exists, and every channel location has a Rackbeat location (mapped, or
// the default) — the Shopbox seed's "one location per cash register".
func (r *Runner) locations(ctx context.Context, l *config.Link, ch Channel) []Finding {
	var out []Finding
	st := l.Stock
	seen := map[int]bool{}
	for _, m := range st.Locations.Mappings {
		for _, id := range m.Rackbeat.IDs {
			if !seen[id] {
				seen[id] = true
				f := r.location(fmt.Sprintf("Rackbeat location %d (stock.locations)", id), id)
				f.Link = l.ID
				out = append(out, f)
			}
		}
	}
	if st.DefaultRackbeatLocation > 0 {
		f := r.location("default Rackbeat location (stock.default_rackbeat_location)", st.DefaultRackbeatLocation)
		f.Link = l.ID
		out = append(out, f)
	}
	if ch == nil || !ch.Has(sdk.CapLocations) || st.Locations.All {
		return out
	}
	locs, err := ch.ListLocations(ctx)
	if err != nil {
		return append(out, Finding{Link: l.ID, Name: "channel locations", Detail: err.Error()})
	}
	known := map[string]bool{}
	for _, cl := range locs {
		known[cl.ID] = true
	}
	named := map[string]string{}
	for _, m := range st.Locations.Mappings {
		if m.Channel != "" {
			named[m.Channel] = "stock.locations"
		}
	}
	if st.DefaultChannelLocation != "" {
		named[st.DefaultChannelLocation] = "stock.default_channel_location"
	}
	for id, key := range named {
		if !known[id] {
			out = append(out, Finding{Link: l.ID, Name: fmt.Sprintf("channel location %q (%s)", id, key),
				Detail: "the channel has no such location", Hint: "use one of the ids the channel lists: " + locationIDs(locs)})
		}
	}
	for _, cl := range locs {
		if cl.Kind == "cash_register" {
			continue // registers draw from their branch's mapping
		}
		mapped := slices.ContainsFunc(st.Locations.Mappings, func(m config.LocationMapping) bool { return m.Channel == cl.ID })
		f := Finding{Link: l.ID, Name: fmt.Sprintf("channel location %q (%s)", cl.Name, cl.ID)}
		switch {
		case mapped:
			f.OK, f.Detail = true, "mapped in stock.locations"
		case st.DefaultRackbeatLocation > 0:
			f.OK, f.Detail = true, fmt.Sprintf("uses the default Rackbeat location %d", st.DefaultRackbeatLocation)
		default:
			f.Detail, f.Hint = "no Rackbeat location", fmt.Sprintf("create a Rackbeat location named %q and map it in stock.locations, or set stock.default_rackbeat_location", cl.Name)
		}
		out = append(out, f)
	}
	return out
}

func locationIDs(locs []sdk.Location) string {
	ids := make([]string, 0, len(locs))
	for _, l := range locs {
		ids = append(ids, l.ID+" ("+l.Name+")")
	}
	return strings.Join(ids, ", ")
}
