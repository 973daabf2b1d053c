package shopify

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/shopbridge/shopbridge/plugins/shopify/graphql"
	"github.com/shopbridge/shopbridge/sdk"
)

// Connector is the Shopify connector; one value serves every link.
type Connector struct {
	clock graphql.Clock
	http  *http.Client
}

// Option changes a Connector; the binary uses none.
type Option func(*Connector)

// WithClock replaces the wall clock of pacing and retries (tests share a
// fake clock with the sandbox).
func WithClock(c graphql.Clock) Option { return func(k *Connector) { k.clock = c } }

// WithHTTPClient replaces the HTTP client.
func WithHTTPClient(h *http.Client) Option { return func(k *Connector) { k.http = h } }

// New returns the connector.
func New(opts ...Option) *Connector {
	c := &Connector{clock: graphql.RealClock{}, http: &http.Client{Timeout: 2 * time.Minute}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WebhookTopics are the topics EnsureWebhooks subscribes by default.
var WebhookTopics = []string{"orders/create", "orders/paid", "orders/updated", "orders/cancelled", "products/update", "inventory_levels/update"}

// Describe says what the connector is.
func (c *Connector) Describe() sdk.Description {
	return sdk.Description{
		Name:          "shopify",
		Version:       Version,
		DisplayName:   "Shopify",
		Summary:       "Shopify stores through the Admin GraphQL API " + APIVersion + ": products, orders, stock, webhooks and the OAuth app install.",
		ProtocolMinor: 0,
		Capabilities: []sdk.Capability{
			sdk.CapProductsRead, sdk.CapProductsWrite, sdk.CapOrdersRead, sdk.CapStockRead, sdk.CapStockWrite,
			sdk.CapWebhooks, sdk.CapLocations, sdk.CapCategories, sdk.CapAuthorize, sdk.CapBulk, sdk.CapRateLimit,
		},
		SettingsSchema: json.RawMessage(settingsSchema),
		SecretSettings: append([]string(nil), secretSettings...),
		WebhookTopics:  append([]string(nil), WebhookTopics...),
	}
}

// OpenLink validates the settings and prepares the link's client. It does
// no I/O: a link without a token can still be opened, to be installed
// through the Authorizer.
func (c *Connector) OpenLink(_ context.Context, req sdk.OpenRequest) (sdk.Link, error) {
	s, err := parseSettings(req.Settings)
	if err != nil {
		return nil, err
	}
	log := req.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	l := &link{
		id:       req.LinkID,
		settings: s,
		log:      log,
		clock:    c.clock,
		http:     c.http,
		skus:     map[string]variantRef{},
		applied:  map[string]string{},
	}
	l.tokens = &tokenSource{settings: s, http: c.http, clock: c.clock}
	if req.Credentials != nil {
		creds := *req.Credentials
		l.tokens.creds = &creds
	}
	var rate, size float64
	if s.RestoreRate != nil {
		rate = *s.RestoreRate
	} else if s.Plan != "" {
		rate = plans[s.Plan]
	}
	if rate > 0 {
		size = 20 * rate
	}
	l.gql = graphql.New(graphql.Options{
		Endpoint: s.endpoint(),
		Token:    l.tokens.token,
		HTTP:     c.http,
		Pacer:    graphql.NewPacer(c.clock, rate, size),
		Clock:    c.clock,
		Logger:   log.Named("graphql"),
	})
	return l, nil
}

// link is one open Shopify store.
type link struct {
	id       string
	settings Settings
	log      hclog.Logger
	clock    graphql.Clock
	http     *http.Client
	gql      *graphql.Client
	tokens   *tokenSource

	mu       sync.Mutex
	location string                // resolved stock location gid
	currency string                // the shop's currency
	skus     map[string]variantRef // SKU → variant, product and inventory item
	applied  map[string]string     // idempotency key → adjustment group id, to tell replays
}

// variantRef is what the connector caches about a SKU.
type variantRef struct {
	VariantID, ProductID, InventoryItemID string
}

var (
	_ sdk.ProductReader  = (*link)(nil)
	_ sdk.ProductWriter  = (*link)(nil)
	_ sdk.OrderReader    = (*link)(nil)
	_ sdk.StockReader    = (*link)(nil)
	_ sdk.StockWriter    = (*link)(nil)
	_ sdk.WebhookHandler = (*link)(nil)
	_ sdk.LocationLister = (*link)(nil)
	_ sdk.CategoryLister = (*link)(nil)
	_ sdk.Authorizer     = (*link)(nil)
)

// Account is the shop's domain.
func (l *link) Account() string { return l.settings.Shop }

// Close releases nothing: the link holds no connection of its own.
func (l *link) Close(context.Context) error { return nil }

// Client returns the link's GraphQL client (for tests and metrics).
func (l *link) Client() *graphql.Client { return l.gql }
