package shopbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/plugins/shopbox"
	"github.com/shopbridge/shopbridge/sandbox/catalog"
	sandbox "github.com/shopbridge/shopbridge/sandbox/shopbox"
	"github.com/shopbridge/shopbridge/sdk"
)

const (
	testEmail    = "kasse@butikk.test"
	testPassword = "hemmelig-passord-42"
	testSecret   = "push-secret-for-tests"
)

// env is a sandbox on a loopback port and the settings that reach it.
type env struct {
	t   *testing.T
	sb  *sandbox.Server
	srv *httptest.Server
	url string
}

// startSandbox runs the Shopbox sandbox in-process with a small catalogue
// (or the one given).
func startSandbox(t testing.TB, opts sandbox.Options, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	if opts.Catalog == nil {
		opts.Catalog = catalog.Generate(catalog.Config{Products: 20, MinVariants: 1, MaxVariants: 3, Locations: 2, Seed: 5})
	}
	if opts.Email == "" {
		opts.Email, opts.Password = testEmail, testPassword
	}
	if opts.PushSecret == "" {
		opts.PushSecret = testSecret
	}
	if opts.PushBackoff == 0 {
		opts.PushBackoff = time.Millisecond
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = -1
	}
	sb := sandbox.New(opts)
	var h http.Handler = sb
	if wrap != nil {
		h = wrap(sb)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		sb.Close()
	})
	tt, _ := t.(*testing.T)
	return &env{t: tt, sb: sb, srv: srv, url: srv.URL + "/api/v3/"}
}

// settings returns link settings for the sandbox, with overrides.
func (e *env) settings(over map[string]any) json.RawMessage {
	m := map[string]any{
		"email": testEmail, "password": testPassword, "base_url": e.url,
		"push_secret": testSecret, "currency": "DKK", "page_size": 5, "client_id": 1,
	}
	for k, v := range over {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// open opens a link on the sandbox with short retry pauses.
func (e *env) open(t testing.TB, over map[string]any) *shopbox.Link {
	t.Helper()
	c := shopbox.NewWithOptions(shopbox.Options{Backoff: time.Millisecond})
	l, err := c.OpenLink(context.Background(), sdk.OpenRequest{LinkID: "test", Settings: e.settings(over)})
	if err != nil {
		t.Fatalf("OpenLink: %v", err)
	}
	return l.(*shopbox.Link)
}

func readAllProducts(t testing.TB, l *shopbox.Link, req sdk.ReadRequest) ([]sdk.Product, []sdk.ProductPage) {
	t.Helper()
	var all []sdk.Product
	var pages []sdk.ProductPage
	err := l.ReadProducts(context.Background(), req, func(p sdk.ProductPage) error {
		all = append(all, p.Items...)
		pages = append(pages, p)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadProducts: %v", err)
	}
	return all, pages
}

func readAllOrders(t testing.TB, l *shopbox.Link, cursor string) ([]sdk.Order, string) {
	t.Helper()
	var all []sdk.Order
	var last string
	err := l.ReadOrders(context.Background(), sdk.ReadRequest{Cursor: cursor}, func(p sdk.OrderPage) error {
		all = append(all, p.Items...)
		last = p.Cursor
		return nil
	})
	if err != nil {
		t.Fatalf("ReadOrders: %v", err)
	}
	return all, last
}

func findVariant(ps []sdk.Product, sku string) (sdk.Product, sdk.Variant, bool) {
	for _, p := range ps {
		for _, v := range p.Variants {
			if v.SKU == sku {
				return p, v, true
			}
		}
	}
	return sdk.Product{}, sdk.Variant{}, false
}

// unitSKU is the SKU of the i-th unit that holds stock in the sandbox: a
// product without variances, or a product's first variance.
func unitSKU(sb *sandbox.Server, i int) string {
	ps := sb.Products()
	p := ps[i%len(ps)]
	if len(p.ProductVariances) > 0 {
		return p.ProductVariances[0].SKUCode
	}
	return p.SKUCode
}
