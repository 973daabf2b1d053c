package config

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"github.com/shopspring/decimal"
)

// validate checks what depends on more than one key, after decoding.
func (d *decoder) validate(c *Config) {
	switch c.State.Driver {
	case "postgres":
		if c.State.DSN.IsZero() && !d.hasErrorAt("state.dsn") {
			d.errf("state.dsn", "is required when state.driver is postgres: write dsn: \"${DATABASE_URL}\"")
		}
	case "sqlite":
		if !c.State.DSN.IsZero() {
			d.errf("state.dsn", "is only used when state.driver is postgres; remove it or set driver: postgres")
		}
	}

	seen := map[string]int{}
	for i := range c.Links {
		l := &c.Links[i]
		p := fmt.Sprintf("links[%d]", i)
		if l.ID != "" {
			if j, dup := seen[l.ID]; dup {
				d.errf(p+".id", "duplicate link id %q (also links[%d].id): every link needs its own id", l.ID, j)
			} else {
				seen[l.ID] = i
			}
		}
		d.splitConnector(l)
		d.validateProducts(p+".products", &l.Products)
		d.validateOrders(p+".orders", &l.Orders)
	}
}

func (d *decoder) hasErrorAt(path string) bool {
	for _, e := range d.errs {
		if e.Path == path {
			return true
		}
	}
	return false
}

func (d *decoder) splitConnector(l *Link) {
	name, constraint, found := strings.Cut(l.Connector, "@")
	l.ConnectorName = name
	if !found {
		return
	}
	l.ConnectorConstraint = constraint
	if c, err := semver.NewConstraint(constraint); err == nil {
		l.constraint = c
	}
}

var one = decimal.NewFromInt(1)

func (d *decoder) validateProducts(p string, s *ProductsSettings) {
	if s.VATRate.IsNegative() || s.VATRate.GreaterThanOrEqual(one) {
		d.errf(p+".vat_rate", "must be a fraction from 0 up to 1, e.g. \"0.25\" for 25 %% VAT (got %q)", s.VATRate.String())
	}
	if (s.Direction == "channel" || s.Direction == "both") && s.DefaultGroup == 0 && !d.hasErrorAt(p+".default_group") {
		d.errf(p+".default_group", "is required when direction is %s: new channel products need a Rackbeat product group (the seed's \"Standard varugrupp\")", s.Direction)
	}
	if s.CreateBOMs && s.Direction != "inventory" && s.Direction != "both" {
		d.errf(p+".create_boms", "only applies when direction is inventory or both (direction is %s): remove it or change the direction", s.Direction)
	}
	if (s.UIDField == 0) != (s.VariationField == 0) && !d.hasErrorAt(p+".uid_field") && !d.hasErrorAt(p+".variation_field") {
		missing := "uid_field"
		if s.VariationField == 0 {
			missing = "variation_field"
		}
		d.errf(p+"."+missing, "is required when the other Shopbox custom field is set: give both uid_field and variation_field")
	}
	if s.UIDField != 0 && s.UIDField == s.VariationField {
		d.errf(p+".variation_field", "must differ from uid_field (both are %d): the product UID and the variation id need separate custom fields", s.UIDField)
	}
	if d.opts.ruleChecker != nil {
		for _, target := range sortedKeys(s.Rules) {
			rp := joinKey(p+".rules", target)
			if err := d.opts.ruleChecker(rp, s.Rules[target]); err != nil {
				d.errf(rp, "%s", err.Error())
			}
		}
	}
}

func (d *decoder) validateOrders(p string, s *OrdersSettings) {
	if !s.Enabled {
		return
	}
	required := []struct {
		key  string
		zero bool
		why  string
	}{
		{"payment_terms", s.PaymentTerms == 0, "Rackbeat needs payment terms on every order (the seed's \"Betalningsvillkor\")"},
		{"customer_group", s.CustomerGroup == 0, "new customers need a Rackbeat customer group (the seed's \"Kundgrupp\")"},
		{"employee", s.Employee == 0, "Rackbeat needs an employee on every order (the seed's \"Standard anställd\")"},
	}
	for _, r := range required {
		if r.zero && !d.hasErrorAt(p+"."+r.key) {
			d.errf(p+"."+r.key, "is required when orders are enabled: %s", r.why)
		}
	}
}
