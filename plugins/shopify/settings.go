package shopify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"regexp"
	"strings"

	"github.com/shopbridge/shopbridge/sdk"
)

// APIVersion is the only Admin API version the connector speaks.
const APIVersion = "2026-10"

// settingsSchema is the JSON Schema of a link's settings.
const settingsSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "additionalProperties": false,
  "required": ["shop"],
  "properties": {
    "shop":           {"type": "string", "minLength": 1, "description": "the shop's myshopify domain, e.g. example.myshopify.com (a bare name gets .myshopify.com)"},
    "access_token":   {"type": "string", "minLength": 1, "x-secret": true, "description": "Admin API access token; optional when the link is installed through shopbridge connect or uses the client-credentials grant"},
    "client_id":      {"type": "string", "minLength": 1, "description": "the app's client id, for the OAuth install and the client-credentials grant"},
    "client_secret":  {"type": "string", "minLength": 1, "x-secret": true, "description": "the app's client secret: the key of webhook signatures and of the OAuth install"},
    "grant":          {"type": "string", "enum": ["authorization_code", "client_credentials"], "description": "how the link gets its token when access_token is not set; default authorization_code (shopbridge connect)"},
    "scopes":         {"type": "string", "description": "the access scopes the OAuth install asks for, comma-separated"},
    "api_version":    {"type": "string", "enum": ["2026-10"], "default": "2026-10", "description": "the Admin API version; pinned"},
    "plan":           {"type": "string", "enum": ["standard", "advanced", "plus", "enterprise"], "description": "the shop's plan, which fixes the rate limit; default: learned from the API's throttleStatus"},
    "restore_rate":   {"type": "number", "exclusiveMinimum": 0, "description": "cost points restored per second, instead of plan"},
    "quantity":       {"type": "string", "enum": ["available", "on_hand"], "default": "available", "description": "which inventory quantity stock writes set"},
    "location_id":    {"type": "string", "minLength": 1, "description": "the Shopify location stock is written to and read from; default the shop's primary location"},
    "bulk_threshold": {"type": "integer", "minimum": 0, "default": 250, "description": "catalogues with more products than this are read with a bulk operation when the host allows it (a paged read costs about 20 cost points per product of three variants, so 250 products already take 50 s of a standard plan's bucket, while a bulk export costs 10); 0 never"},
    "overlap_seconds":{"type": "integer", "minimum": 0, "default": 300, "description": "how far back an updated_at cursor reads again, for updates committed out of order"},
    "base_url":       {"type": "string", "format": "uri", "description": "override of https://{shop}, for the sandbox and tests"}
  }
}`

// secretSettings are the settings keys holding secrets.
var secretSettings = []string{"access_token", "client_secret"}

// plans are the documented restore rates per second; the bucket holds 20 ×.
var plans = map[string]float64{"standard": 100, "advanced": 200, "plus": 1000, "enterprise": 2000}

// Settings are a link's settings.
type Settings struct {
	Shop           string   `json:"shop"`
	AccessToken    string   `json:"access_token"`
	ClientID       string   `json:"client_id"`
	ClientSecret   string   `json:"client_secret"`
	Grant          string   `json:"grant"`
	Scopes         string   `json:"scopes"`
	APIVersion     string   `json:"api_version"`
	Plan           string   `json:"plan"`
	RestoreRate    *float64 `json:"restore_rate"`
	Quantity       string   `json:"quantity"`
	LocationID     string   `json:"location_id"`
	BulkThreshold  *int     `json:"bulk_threshold"`
	OverlapSeconds *int     `json:"overlap_seconds"`
	BaseURL        string   `json:"base_url"`
}

// String never shows the secrets.
func (s Settings) String() string { return "shopify settings for " + s.Shop }

// GoString never shows the secrets.
func (s Settings) GoString() string { return s.String() }

var (
	shopName   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	shopDomain = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
	numericID  = regexp.MustCompile(`^[0-9]+$`)
)

// defaultScopes are what the connector needs: products, inventory,
// locations, orders (all of them, not only the last 60 days).
const defaultScopes = "read_products,write_products,read_inventory,write_inventory,read_locations,read_orders,read_all_orders"

// parseSettings decodes and validates raw. Every error is an sdk.Invalid
// naming the key at fault, and never shows a secret's value.
func parseSettings(raw json.RawMessage) (Settings, error) {
	var s Settings
	if len(bytes.TrimSpace(raw)) == 0 {
		return s, sdk.Invalid("shop", "is required")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return s, sdk.Invalid(te.Field, "must be of type %s, not %s", te.Type.String(), te.Value)
		}
		if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
			key := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
			return s, sdk.Invalid(key, "is not a setting of the Shopify connector")
		}
		return s, sdk.Invalid("settings", "are not a JSON object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return s, sdk.Invalid("settings", "have trailing data after the JSON object")
	}
	shop := strings.ToLower(strings.TrimSpace(s.Shop))
	shop = strings.TrimPrefix(strings.TrimPrefix(shop, "https://"), "http://")
	shop = strings.TrimSuffix(shop, "/")
	shop = strings.TrimSuffix(shop, "/admin")
	if shop == "" {
		return s, sdk.Invalid("shop", "is required: the shop's domain, e.g. example.myshopify.com")
	}
	if shopName.MatchString(shop) {
		shop += ".myshopify.com"
	}
	if !shopDomain.MatchString(shop) {
		return s, sdk.Invalid("shop", "%q is not a shop domain such as example.myshopify.com", s.Shop)
	}
	s.Shop = shop
	if s.APIVersion == "" {
		s.APIVersion = APIVersion
	}
	if s.APIVersion != APIVersion {
		return s, sdk.Invalid("api_version", "must be %s, the version this connector is built and tested for", APIVersion)
	}
	switch s.Grant {
	case "", "authorization_code":
		s.Grant = "authorization_code"
	case "client_credentials":
		if s.ClientID == "" {
			return s, sdk.Invalid("client_id", "is required for the client_credentials grant")
		}
		if s.ClientSecret == "" {
			return s, sdk.Invalid("client_secret", "is required for the client_credentials grant")
		}
	default:
		return s, sdk.Invalid("grant", "must be authorization_code or client_credentials")
	}
	if s.Plan != "" {
		if _, ok := plans[s.Plan]; !ok {
			return s, sdk.Invalid("plan", "must be one of standard, advanced, plus, enterprise")
		}
	}
	if s.RestoreRate != nil && *s.RestoreRate <= 0 {
		return s, sdk.Invalid("restore_rate", "must be a positive number of points per second")
	}
	switch s.Quantity {
	case "":
		s.Quantity = string(sdk.QuantityAvailable)
	case string(sdk.QuantityAvailable), string(sdk.QuantityOnHand):
	default:
		return s, sdk.Invalid("quantity", "must be available or on_hand")
	}
	if s.LocationID != "" {
		id, ok := normaliseGID(s.LocationID, "Location")
		if !ok {
			return s, sdk.Invalid("location_id", "%q is neither a location id nor a gid://shopify/Location/… id", s.LocationID)
		}
		s.LocationID = id
	}
	if s.BulkThreshold == nil {
		n := 250
		s.BulkThreshold = &n
	} else if *s.BulkThreshold < 0 {
		return s, sdk.Invalid("bulk_threshold", "must not be negative")
	}
	if s.OverlapSeconds == nil {
		n := 300
		s.OverlapSeconds = &n
	} else if *s.OverlapSeconds < 0 {
		return s, sdk.Invalid("overlap_seconds", "must not be negative")
	}
	if s.BaseURL != "" {
		u, err := url.Parse(s.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return s, sdk.Invalid("base_url", "must be an http(s) URL such as https://example.myshopify.com")
		}
		s.BaseURL = strings.TrimSuffix(s.BaseURL, "/")
	}
	if s.Scopes == "" {
		s.Scopes = defaultScopes
	}
	return s, nil
}

// base is the shop's URL: https://{shop} unless base_url overrides it.
func (s Settings) base() string {
	if s.BaseURL != "" {
		return s.BaseURL
	}
	return "https://" + s.Shop
}

// endpoint is the Admin GraphQL endpoint of the pinned version.
func (s Settings) endpoint() string { return s.base() + "/admin/api/" + s.APIVersion + "/graphql.json" }

// normaliseGID accepts a gid of kind or a bare number and returns the gid.
func normaliseGID(s, kind string) (string, bool) {
	s = strings.TrimSpace(s)
	if numericID.MatchString(s) {
		return "gid://shopify/" + kind + "/" + s, true
	}
	prefix := "gid://shopify/" + kind + "/"
	if strings.HasPrefix(s, prefix) && len(s) > len(prefix) {
		return s, true
	}
	return "", false
}
