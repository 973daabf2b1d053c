package sdk

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-hclog"
)

// Connector is what a connector binary serves. One value serves every link
// the host opens on this connector version.
type Connector interface {
	// Describe says what the connector is. It is called before any link is
	// open and must not do I/O.
	Describe() Description
	// OpenLink validates the link's settings and prepares what the link
	// needs. A settings error is an Invalid *Error naming the key. The
	// returned Link must implement the optional interface of every
	// capability the Description declares.
	OpenLink(ctx context.Context, req OpenRequest) (Link, error)
}

// Description is a connector's answer to Describe.
type Description struct {
	Name          string // lower-case; the binary is shopbridge-connector-<name>
	Version       string // semver, e.g. "1.2.0"
	ProtocolMinor uint32 // additions to protocol 1 this connector knows of
	DisplayName   string
	Summary       string
	Capabilities  []Capability
	// SettingsSchema is the JSON Schema of the link settings. The host
	// shows it to operators; the conformance kit checks that OpenLink
	// rejects settings that break it.
	SettingsSchema json.RawMessage
	// SecretSettings are the top-level settings keys holding secrets. The
	// host insists they are references (${ENV}, file:) in the config and
	// never shows their values.
	SecretSettings []string
	// WebhookTopics are the topics EnsureWebhooks subscribes by default.
	WebhookTopics []string
}

// Has reports whether the description declares capability c.
func (d Description) Has(c Capability) bool {
	for _, have := range d.Capabilities {
		if have == c {
			return true
		}
	}
	return false
}

// Capability names a part of the protocol a connector implements.
type Capability string

// Capabilities and the interface each one requires of a Link.
const (
	CapProductsRead  Capability = "products.read"  // ProductReader
	CapProductsWrite Capability = "products.write" // ProductWriter
	CapOrdersRead    Capability = "orders.read"    // OrderReader
	CapStockRead     Capability = "stock.read"     // StockReader
	CapStockWrite    Capability = "stock.write"    // StockWriter
	CapWebhooks      Capability = "webhooks"       // WebhookHandler
	CapLocations     Capability = "locations"      // LocationLister
	CapCategories    Capability = "categories"     // CategoryLister
	CapAuthorize     Capability = "authorize"      // Authorizer
	CapBulk          Capability = "bulk"           // ReadRequest.AllowBulk is honoured
)

// OpenRequest carries what a link is opened with.
type OpenRequest struct {
	LinkID      string
	Settings    json.RawMessage
	Credentials *Credentials // stored by the host after an authorization; nil if none
	// Logger reaches the host's log with the connector's and the link's
	// names. Never log a secret.
	Logger hclog.Logger
}

// Link is one open pairing of the host with one channel account.
type Link interface {
	// Account is a human name for the channel account, e.g. the shop domain.
	Account() string
	// Check reaches the channel and reports what it found.
	Check(ctx context.Context) (CheckReport, error)
	// Close releases the link's resources.
	Close(ctx context.Context) error
}

// CheckReport lists what Check verified.
type CheckReport struct {
	Account string
	Items   []CheckItem
}

// CheckItem is one thing checked.
type CheckItem struct {
	Name   string
	OK     bool
	Detail string // what was found
	Hint   string // what to do when not OK
}

// Location is a place that holds stock in the channel.
type Location struct {
	ID        string
	Name      string
	Kind      string // "location", "branch", "cash_register"
	ParentID  string
	IsDefault bool
}

// Category is a channel's product category.
type Category struct {
	ID       string
	Name     string
	ParentID string
}

// ReadRequest asks for a stream of pages.
type ReadRequest struct {
	Cursor    string   // resume after this cursor; empty starts at the beginning
	IDs       []string // read only these objects
	SKUs      []string // or only the products with these SKUs
	PageSize  int      // a hint
	AllowBulk bool     // the connector may use the channel's bulk export
}

// Page is one page of a read. Cursor resumes after it: the host commits a
// page and its cursor together, so a connector must only hand out a cursor
// once every record before it is in this or an earlier page.
type Page[T any] struct {
	Items         []T
	Cursor        string
	Last          bool
	TotalEstimate int64 // for progress; 0 when unknown
}

// Pages of the three streams.
type (
	ProductPage = Page[Product]
	OrderPage   = Page[Order]
	StockPage   = Page[StockLevel]
)

// LocationLister lists the channel's stock locations.
type LocationLister interface {
	ListLocations(ctx context.Context) ([]Location, error)
}

// CategoryLister lists the channel's product categories.
type CategoryLister interface {
	ListCategories(ctx context.Context) ([]Category, error)
}

// ProductReader reads products. emit is called once per page, in order; if
// it returns an error the read must stop and return that error.
type ProductReader interface {
	ReadProducts(ctx context.Context, req ReadRequest, emit func(ProductPage) error) error
}

// ProductWriter creates and updates products, one result per write.
type ProductWriter interface {
	WriteProducts(ctx context.Context, writes []ProductWrite) ([]ProductWriteResult, error)
}

// OrderReader reads orders.
type OrderReader interface {
	ReadOrders(ctx context.Context, req ReadRequest, emit func(OrderPage) error) error
}

// StockReader reads stock levels.
type StockReader interface {
	ReadStock(ctx context.Context, req StockReadRequest, emit func(StockPage) error) error
}

// StockWriter sets stock levels, one result per row.
type StockWriter interface {
	WriteStock(ctx context.Context, req StockWriteRequest) ([]StockWriteResult, error)
}

// WebhookHandler subscribes to and verifies the channel's notifications.
type WebhookHandler interface {
	// EnsureWebhooks subscribes the topics to callbackURL; subscribing twice
	// does no harm. Empty topics means the Description's WebhookTopics.
	EnsureWebhooks(ctx context.Context, callbackURL string, topics []string) ([]WebhookSubscription, error)
	// HandleWebhook verifies a delivery and normalises it into events. A
	// bad signature is an Unauthenticated *Error; a body it cannot read is
	// Invalid.
	HandleWebhook(ctx context.Context, w Webhook) (WebhookResult, error)
}

// WebhookSubscription is one subscribed topic.
type WebhookSubscription struct {
	Topic   string
	ID      string
	Created bool // false when it already existed
}

// Webhook is one incoming delivery, as received.
type Webhook struct {
	Header http.Header
	Body   []byte
}

// WebhookResult is what a delivery meant.
type WebhookResult struct {
	DeliveryID string // the channel's delivery id; the host drops repeats
	Events     []Event
}

// Event is a normalised notification.
type Event struct {
	Type       string // one of the Event* constants
	ID         string // the object's channel id
	SKU        string
	OccurredAt time.Time
}

// Event types.
const (
	EventOrderCreated   = "order.created"
	EventOrderPaid      = "order.paid"
	EventOrderUpdated   = "order.updated"
	EventOrderFulfilled = "order.fulfilled"
	EventOrderCancelled = "order.cancelled"
	EventProductCreated = "product.created"
	EventProductUpdated = "product.updated"
	EventProductDeleted = "product.deleted"
	EventStockUpdated   = "stock.updated"
)

// Authorizer installs a link through an OAuth-style grant: the operator
// opens the URL StartAuthorization returns, approves, and the channel
// redirects to the host, which calls CompleteAuthorization with the
// callback's query. The host stores the credentials encrypted and passes
// them to OpenLink; the connector never persists them.
type Authorizer interface {
	StartAuthorization(ctx context.Context, redirectURL, state string) (string, error)
	CompleteAuthorization(ctx context.Context, redirectURL string, query url.Values) (Credentials, error)
	RefreshAuthorization(ctx context.Context, c Credentials) (Credentials, error)
}

// Credentials are what an authorization grants.
type Credentials struct {
	AccessToken      string
	RefreshToken     string
	ExpiresAt        time.Time
	RefreshExpiresAt time.Time
	Scope            string
	Extra            map[string]string
}

// String never shows the tokens.
func (c Credentials) String() string { return "[credentials redacted]" }

// GoString never shows the tokens.
func (c Credentials) GoString() string { return c.String() }
