package shopbox

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/plugins/shopbox/api"
	"github.com/shopbridge/shopbridge/sdk"
)

// Name is the connector's name; the binary is shopbridge-connector-shopbox.
const Name = "shopbox"

// Push events of Shopbox, the default webhook topics.
const (
	TopicBasketCreated  = "basket.created"
	TopicBasketCanceled = "basket.canceled"
)

// Options tune a Connector; the zero value is what the binary uses.
type Options struct {
	// HTTP replaces each link's HTTP client.
	HTTP *http.Client
	// Backoff is the first retry pause of the API client (default 300 ms);
	// tests shorten it.
	Backoff time.Duration
	// Attempts is how often an idempotent request is tried (default 4).
	Attempts int
}

// Connector serves Shopbox links.
type Connector struct {
	opts Options
}

// New returns the connector the binary serves.
func New() *Connector { return &Connector{} }

// NewWithOptions returns a connector with tuned options, for tests.
func NewWithOptions(o Options) *Connector { return &Connector{opts: o} }

// Describe says what the connector is.
func (c *Connector) Describe() sdk.Description {
	return sdk.Description{
		Name:          Name,
		Version:       Version,
		ProtocolMinor: 0,
		DisplayName:   "Shopbox",
		Summary:       "Shopbox POS and webshop (REST API v3): products with variants and BOMs, stock per branch, sales with cash register and branch, basket pushes.",
		Capabilities: []sdk.Capability{
			sdk.CapProductsRead, sdk.CapProductsWrite, sdk.CapOrdersRead, sdk.CapStockRead, sdk.CapStockWrite,
			sdk.CapWebhooks, sdk.CapLocations, sdk.CapCategories,
		},
		SettingsSchema: json.RawMessage(SettingsSchema),
		SecretSettings: append([]string(nil), secretSettings...),
		WebhookTopics:  []string{TopicBasketCreated, TopicBasketCanceled},
	}
}

// OpenLink validates the settings and prepares the link's API client. It
// does no I/O: the first call logs in, so a host can open links while
// Shopbox is unreachable.
func (c *Connector) OpenLink(_ context.Context, req sdk.OpenRequest) (sdk.Link, error) {
	s, err := ParseSettings(req.Settings)
	if err != nil {
		return nil, err
	}
	log := req.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	client, err := api.New(api.Config{
		BaseURL: s.BaseURL, Email: s.Email, Password: s.Password, APIToken: s.APIToken,
		ClientID: s.ClientID, HTTP: c.opts.HTTP, Attempts: c.opts.Attempts, Backoff: c.opts.Backoff,
		UserAgent: "shopbridge-connector-shopbox/" + Version, Logger: log,
	})
	if err != nil {
		return nil, sdk.Invalid("base_url", "%v", err)
	}
	return newLink(req.LinkID, s, client, log), nil
}
