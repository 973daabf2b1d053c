package check

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	rbsandbox "github.com/shopbridge/shopbridge/sandbox/rackbeat"
	"github.com/shopbridge/shopbridge/sdk"
)

func runner(t *testing.T, prerequisites bool) *Runner {
	t.Helper()
	rb := rbsandbox.New(rbsandbox.Options{Catalog: catalog.Generate(catalog.Config{Products: 5, Seed: 1}), Tokens: []string{"t"}, RequestsPerMinute: -1, Prerequisites: prerequisites})
	t.Cleanup(rb.Close)
	srv := httptest.NewServer(rb)
	t.Cleanup(srv.Close)
	c, err := rackbeat.New(srv.URL+"/api", "t")
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRunner(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func shopboxLink() *config.Link {
	return &config.Link{
		ID: "pos", Connector: "shopbox", ConnectorName: "shopbox",
		Products: config.ProductsSettings{Direction: "both", DefaultGroup: 1, UIDField: 1, VariationField: 2},
		Orders:   config.OrdersSettings{Enabled: true, Employee: 2, PaymentTerms: 3, CustomerGroup: 1, ShippingProduct: "frakt"},
	}
}

func find(fs []Finding, prefix string) *Finding {
	for i := range fs {
		if strings.HasPrefix(fs[i].Name, prefix) {
			return &fs[i]
		}
	}
	return nil
}

func TestCheckMissingShopboxFieldsFailsWithWhatToDo(t *testing.T) {
	fs := runner(t, false).Link(context.Background(), shopboxLink(), nil, sdk.NotFound("connector shopbox is not installed"))
	if !Failed(fs) {
		t.Fatal("a sandbox without the custom fields must fail the check")
	}
	uid := find(fs, "Shopbox UID field")
	if uid == nil || uid.OK || !strings.Contains(uid.Hint, "Shopbox UID felt ID") {
		t.Fatalf("UID field finding: %+v", uid)
	}
	if s := uid.String(); !strings.HasPrefix(s, "✗ ") || !strings.Contains(s, " — ") {
		t.Fatalf("line: %q", s)
	}
	if f := find(fs, "shipping product"); f == nil || f.OK {
		t.Fatalf("shipping product frakt is missing, got %+v", f)
	}
	if f := find(fs, "connector"); f == nil || f.OK || !strings.Contains(f.Detail, "not installed") {
		t.Fatalf("connector finding: %+v", f)
	}
	if f := find(fs, "product group"); f == nil || !f.OK {
		t.Fatalf("group 1 with stock exists: %+v", f)
	}
}

func TestCheckPassesWhenPrerequisitesExist(t *testing.T) {
	r := runner(t, true)
	var uid, variation int
	for _, f := range r.ref.fields {
		switch f.Name {
		case rbsandbox.FieldShopboxUID:
			uid = int(f.ID)
		case rbsandbox.FieldShopboxVariation:
			variation = int(f.ID)
		}
	}
	l := shopboxLink()
	l.Products.UIDField, l.Products.VariationField = uid, variation
	fs := r.Link(context.Background(), l, nil, nil)
	for _, f := range fs {
		if !f.OK && !strings.HasPrefix(f.Name, "connector") {
			t.Errorf("unexpected failure: %s", f)
		}
	}
}

type fakeChannel struct{ locs []sdk.Location }

func (f fakeChannel) Check(context.Context) (sdk.CheckReport, error) { return sdk.CheckReport{}, nil }
func (f fakeChannel) Has(c sdk.Capability) bool                      { return c == sdk.CapLocations }
func (f fakeChannel) ListLocations(context.Context) ([]sdk.Location, error) {
	return f.locs, nil
}

func TestCheckRefusesAMappingToAChannelLocationThatDoesNotExist(t *testing.T) {
	l := shopboxLink()
	l.Stock = config.StockSettings{Enabled: true, DefaultRackbeatLocation: 1,
		Locations: config.StockLocations{Mappings: []config.LocationMapping{{Rackbeat: config.RackbeatLocations{IDs: []int{1}}, Channel: "9999"}}}}
	ch := fakeChannel{locs: []sdk.Location{{ID: "1001", Name: "Hovedlager", Kind: "branch"}}}
	fs := runner(t, true).Link(context.Background(), l, ch, nil)
	f := find(fs, `channel location "9999"`)
	if f == nil || f.OK || !strings.Contains(f.Hint, "1001 (Hovedlager)") {
		t.Fatalf("want a ✗ naming the missing branch and the real ones, got %+v", f)
	}
}
