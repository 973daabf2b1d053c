package conformance

import (
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/sdk"
)

// Option supplies what the kit cannot derive from the connector.
type Option func(*options)

type options struct {
	sign        func(body []byte) http.Header
	webhookBody []byte
	callbackURL string
	stockRows   []sdk.StockLevel
	quantity    sdk.QuantityName
	product     func(sku string) sdk.Product
	links       int
	pageSize    int
	timeout     time.Duration
	logger      hclog.Logger
}

func defaults() options {
	return options{
		webhookBody: []byte(`{"conformance": true}`),
		callbackURL: "https://conformance.invalid/hooks/conformance",
		links:       20,
		pageSize:    3,
		timeout:     time.Minute,
		product: func(sku string) sdk.Product {
			return sdk.Product{
				Title: "Conformance " + sku, Description: "Written by the shopbridge conformance kit.", Status: "active",
				Variants: []sdk.Variant{{SKU: sku, Title: "Default", Price: sdk.MustMoney("10.00", "DKK")}},
			}
		},
	}
}

// WithSignedWebhook gives the kit a way to make a delivery the channel
// would send: sign returns the headers (signature, delivery id, topic…) of
// a genuine delivery of body. With it the kit checks that a genuine
// delivery is accepted and that the same headers on a changed body are
// refused; without it only the unsigned delivery is checked.
func WithSignedWebhook(sign func(body []byte) http.Header) Option {
	return func(o *options) { o.sign = sign }
}

// WithWebhookBody sets the body of the deliveries the kit makes; it should
// be one the connector turns into events. The default is a small JSON
// object.
func WithWebhookBody(body []byte) Option { return func(o *options) { o.webhookBody = body } }

// WithCallbackURL sets the URL EnsureWebhooks subscribes; the default is
// on the reserved .invalid domain.
func WithCallbackURL(u string) Option { return func(o *options) { o.callbackURL = u } }

// WithStockRows names the stock levels the write checks may change (SKU or
// variant id, location, a quantity to start from). By default the kit takes
// the first levels a stock read returns; a connector without stock.read
// must supply them.
func WithStockRows(rows ...sdk.StockLevel) Option {
	return func(o *options) { o.stockRows = rows }
}

// WithQuantity sets the quantity name stock reads and writes use.
func WithQuantity(q sdk.QuantityName) Option { return func(o *options) { o.quantity = q } }

// WithProduct makes the product the write checks create, given a fresh
// SKU; use it when the channel needs more than a title, one variant and a
// price in DKK.
func WithProduct(make func(sku string) sdk.Product) Option {
	return func(o *options) { o.product = make }
}

// WithLinks sets how many links the many-links check opens at once
// (default 20).
func WithLinks(n int) Option { return func(o *options) { o.links = n } }

// WithPageSize sets the page size the read checks ask for (default 3); keep
// it small enough that the channel's data spans several pages.
func WithPageSize(n int) Option { return func(o *options) { o.pageSize = n } }

// WithTimeout bounds each call to the connector (default one minute).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithLogger receives the connector's log lines; by default warnings and
// errors go to the test log.
func WithLogger(l hclog.Logger) Option { return func(o *options) { o.logger = l } }
