package config

import (
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/shopspring/decimal"
)

// Config is the whole host configuration after defaults, environment
// overrides and secret references have been applied. Relative paths have been
// made relative to the base directory.
//
// Struct tags drive decoding, defaults and the generated reference:
// key (YAML key), default, enum (values separated by |), min, check (a named
// format) and required.
type Config struct {
	State    State    `key:"state"`
	Server   Server   `key:"server"`
	Plugins  Plugins  `key:"plugins"`
	Rackbeat Rackbeat `key:"rackbeat"`
	Log      Log      `key:"log"`
	Jobs     Jobs     `key:"jobs"`
	Links    []Link   `key:"links"`
}

// Link returns the link with the given id, or nil.
func (c *Config) Link(id string) *Link {
	for i := range c.Links {
		if c.Links[i].ID == id {
			return &c.Links[i]
		}
	}
	return nil
}

// State says where the host keeps its state and job queue.
type State struct {
	Driver string `key:"driver" default:"sqlite" enum:"sqlite|postgres"`
	Path   string `key:"path" default:"./shopbridge.db" check:"path"`
	DSN    Secret `key:"dsn"`
}

// Server is the host's one HTTP port.
type Server struct {
	Listen        string `key:"listen" default:"127.0.0.1:8080" check:"hostport"`
	PublicURL     string `key:"public_url" check:"url"`
	OperatorToken Secret `key:"operator_token"`
	MaxBodyBytes  int64  `key:"max_body_bytes" default:"1048576" min:"1"`
}

// Plugins says where connector binaries and their lock file live.
type Plugins struct {
	Dir  string `key:"dir" default:"./plugins" check:"path"`
	Lock string `key:"lock" default:"./shopbridge.lock" check:"path"`
}

// Rackbeat is the inventory system's API access.
type Rackbeat struct {
	URL               string `key:"url" default:"https://app.rackbeat.com/api" check:"url"`
	Token             Secret `key:"token" required:"true"`
	RequestsPerMinute int    `key:"requests_per_minute" default:"480" min:"1"`
	WebhookToken      Secret `key:"webhook_token"`
}

// Jobs sizes the host's job queue. The defaults suit one host with a few
// links; hosts sharing a PostgreSQL database each run their own workers.
type Jobs struct {
	Workers int `key:"workers" default:"20" min:"1"`
	PerLink int `key:"per_link" default:"6" min:"1"`
	// DeadAfter matters only on PostgreSQL, where it decides how soon the
	// other hosts take over the jobs of a host that stopped answering.
	DeadAfter time.Duration `key:"dead_after" default:"30s"`
}

// Log configures the host's log output.
type Log struct {
	Level  string `key:"level" default:"info" enum:"trace|debug|info|warn|error"`
	Format string `key:"format" default:"auto" enum:"auto|json|text"`
}

// Link pairs Rackbeat with one channel account through one connector.
type Link struct {
	ID string `key:"id" required:"true" check:"linkid"`
	// Connector is "name@constraint" as written, e.g. "shopify@^1.0"; a bare
	// name accepts any version.
	Connector string `key:"connector" required:"true" check:"connector"`
	// ConnectorName and ConnectorConstraint are Connector split at "@";
	// ConnectorConstraint is "" for any version.
	ConnectorName       string `key:"-"`
	ConnectorConstraint string `key:"-"`
	// Settings belong to the connector and are validated against its JSON
	// Schema when the link opens. Values written as secret references are
	// held as Secret; use SettingsJSON to hand them to the connector.
	Settings    map[string]any   `key:"settings"`
	Products    ProductsSettings `key:"products"`
	Orders      OrdersSettings   `key:"orders"`
	Stock       StockSettings    `key:"stock"`
	InitialSync string           `key:"initial_sync" default:"none" enum:"none|channel"`
	Disabled    bool             `key:"disabled"`

	constraint *semver.Constraints
}

// Constraints returns the parsed version constraint, or nil when any
// version of the connector will do.
func (l *Link) Constraints() *semver.Constraints { return l.constraint }

// AcceptsVersion reports whether a connector version satisfies the link's
// constraint.
func (l *Link) AcceptsVersion(v *semver.Version) bool {
	return l.constraint == nil || l.constraint.Check(v)
}

// ProductsSettings is the products flow of one link.
type ProductsSettings struct {
	Direction            string            `key:"direction" default:"off" enum:"inventory|channel|both|off"`
	PricesExcludeVAT     bool              `key:"prices_exclude_vat"`
	VATRate              decimal.Decimal   `key:"vat_rate" default:"0.25"`
	DefaultGroup         int               `key:"default_group" min:"1"`
	Categories           map[string]int    `key:"categories" min:"1"`
	DefaultCategoryGroup int               `key:"default_category_group" min:"1"`
	UIDField             int               `key:"uid_field" min:"1"`
	VariationField       int               `key:"variation_field" min:"1"`
	CreateBOMs           bool              `key:"create_boms"`
	PullEvery            time.Duration     `key:"pull_every" default:"2h"`
	ReconcileEvery       time.Duration     `key:"reconcile_every" default:"6h"`
	Rules                map[string]string `key:"rules"`
}

// OrdersSettings is the orders flow (channel → Rackbeat) of one link.
type OrdersSettings struct {
	Enabled          bool          `key:"enabled" default:"true"`
	Trigger          string        `key:"trigger" default:"paid" enum:"created|paid|fulfilled"`
	State            string        `key:"state" default:"ready_to_ship" enum:"draft|booked|ready_to_ship|shipped|invoiced"`
	Numbering        string        `key:"numbering" default:"rackbeat" enum:"channel|rackbeat"`
	PaymentTerms     int           `key:"payment_terms" min:"1"`
	Language         string        `key:"language" default:"en" check:"language"`
	CustomerGroup    int           `key:"customer_group" min:"1"`
	VATZone          string        `key:"vat_zone" default:"domestic" enum:"domestic|eu|abroad"`
	Currency         string        `key:"currency" default:"DKK" check:"currency"`
	Employee         int           `key:"employee" min:"1"`
	SendConfirmation bool          `key:"send_confirmation" default:"false"`
	ShippingProduct  string        `key:"shipping_product"`
	AddVAT           bool          `key:"add_vat" default:"true"`
	PullEvery        time.Duration `key:"pull_every" default:"15m"`
	Location         int           `key:"location" min:"1"`
}

// StockSettings is the stock flow (Rackbeat → channel) of one link.
type StockSettings struct {
	Enabled                 bool           `key:"enabled" default:"false"`
	Quantity                string         `key:"quantity" default:"available" enum:"available|on_hand"`
	Locations               StockLocations `key:"locations" default:"all"`
	DefaultRackbeatLocation int            `key:"default_rackbeat_location" min:"1"`
	DefaultChannelLocation  string         `key:"default_channel_location"`
	ReconcileEvery          time.Duration  `key:"reconcile_every" default:"1h"`
}
