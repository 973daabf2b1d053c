package testconnector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/shopbridge/shopbridge/sdk"
)

// Version is the semver the connector reports; set it with -ldflags.
var Version = "0.0.0-dev"

// Protocol is the protocol version the connector advertises; set it with
// -ldflags to build a binary that a protocol-1 host must refuse.
var Protocol = "1"

// Broken lists faults to build in, separated by commas, so that the
// conformance kit's own test can show it catches them: "cursor" (a resumed
// read repeats an item), "idempotency" (replayed stock writes apply again),
// "signature" (webhooks are not verified), "settings" (shop is not
// required). Empty in every real use.
var Broken = ""

func broken(fault string) bool {
	for _, f := range strings.Split(Broken, ",") {
		if f == fault {
			return true
		}
	}
	return false
}

// Name is the connector's name.
const Name = "test"

// ServeOptions returns the sdk.Serve options the build-time knobs ask for.
func ServeOptions() []sdk.ServeOption {
	if p, err := strconv.Atoi(Protocol); err == nil && p != sdk.ProtocolVersion {
		return []sdk.ServeOption{sdk.WithProtocolVersion(p)}
	}
	return nil
}

// SettingsSchema is the JSON Schema of a link's settings.
const SettingsSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["shop", "token"],
  "properties": {
    "shop":          {"type": "string", "minLength": 1, "description": "the shop's name; links naming the same shop share one channel"},
    "token":         {"type": "string", "minLength": 1, "description": "API token; also the key of the webhook HMAC", "x-secret": true},
    "products":      {"type": "integer", "minimum": 0, "maximum": 10000, "default": 12, "description": "products generated in the channel"},
    "orders":        {"type": "integer", "minimum": 0, "maximum": 10000, "default": 5, "description": "orders generated in the channel"},
    "locations":     {"type": "integer", "minimum": 1, "maximum": 10, "default": 2, "description": "stock locations in the channel"},
    "page_delay_ms": {"type": "integer", "minimum": 0, "maximum": 60000, "default": 0, "description": "pause before each page of a read, to test calls in flight"}
  }
}`

// Settings are a link's settings.
type Settings struct {
	Shop        string `json:"shop"`
	Token       string `json:"token"`
	Products    int    `json:"products"`
	Orders      int    `json:"orders"`
	Locations   int    `json:"locations"`
	PageDelayMS int    `json:"page_delay_ms"`
}

// Connector serves links on in-memory channels.
type Connector struct {
	mu       sync.Mutex
	channels map[string]*channel // by shop
}

// New returns a connector with no channels yet.
func New() *Connector { return &Connector{channels: map[string]*channel{}} }

// Describe says what the connector is.
func (c *Connector) Describe() sdk.Description {
	return sdk.Description{
		Name:        Name,
		Version:     Version,
		DisplayName: "Test channel",
		Summary:     "An in-memory channel for shopbridge's own tests.",
		Capabilities: []sdk.Capability{
			sdk.CapProductsRead, sdk.CapProductsWrite, sdk.CapOrdersRead, sdk.CapStockRead, sdk.CapStockWrite,
			sdk.CapWebhooks, sdk.CapLocations, sdk.CapCategories, sdk.CapAuthorize, sdk.CapBulk,
		},
		SettingsSchema: json.RawMessage(SettingsSchema),
		SecretSettings: []string{"token"},
		WebhookTopics:  []string{"orders/create", "orders/paid", "products/update", "inventory_levels/update"},
	}
}

// OpenLink checks the settings as the schema says, naming the key at
// fault, and attaches the link to its shop's channel.
func (c *Connector) OpenLink(_ context.Context, req sdk.OpenRequest) (sdk.Link, error) {
	s, err := ParseSettings(req.Settings)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	ch := c.channels[s.Shop]
	if ch == nil {
		ch = newChannel(s)
		c.channels[s.Shop] = ch
	}
	c.mu.Unlock()
	if req.Logger != nil {
		req.Logger.Info("link opened", "shop", s.Shop, "products", len(ch.products))
	}
	return &link{id: req.LinkID, settings: s, ch: ch, creds: req.Credentials}, nil
}

// ParseSettings decodes and validates settings; every error is an
// sdk.Invalid naming the key.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	s := Settings{Products: 12, Orders: 5, Locations: 2}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return s, sdk.Invalid("settings", "must be a JSON object: %v", err)
	}
	str := func(key string, dst *string, required bool) error {
		v, ok := m[key]
		if !ok || string(v) == "null" {
			if required {
				return sdk.Invalid(key, "is required")
			}
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return sdk.Invalid(key, "must be a string")
		}
		if *dst == "" {
			return sdk.Invalid(key, "must not be empty")
		}
		return nil
	}
	num := func(key string, dst *int, min, max int) error {
		v, ok := m[key]
		if !ok {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var n json.Number
		if err := dec.Decode(&n); err != nil {
			return sdk.Invalid(key, "must be an integer")
		}
		i, err := strconv.Atoi(n.String())
		if err != nil {
			return sdk.Invalid(key, "must be an integer")
		}
		if i < min || i > max {
			return sdk.Invalid(key, "must be between %d and %d", min, max)
		}
		*dst = i
		return nil
	}
	for k := range m {
		switch k {
		case "shop", "token", "products", "orders", "locations", "page_delay_ms":
		default:
			return s, sdk.Invalid(k, "is not a setting of the test connector")
		}
	}
	for _, err := range []error{
		str("shop", &s.Shop, !broken("settings")),
		str("token", &s.Token, true),
		num("products", &s.Products, 0, 10000),
		num("orders", &s.Orders, 0, 10000),
		num("locations", &s.Locations, 1, 10),
		num("page_delay_ms", &s.PageDelayMS, 0, 60000),
	} {
		if err != nil {
			return s, err
		}
	}
	return s, nil
}

func (s Settings) String() string { return fmt.Sprintf("shop=%s", s.Shop) }
