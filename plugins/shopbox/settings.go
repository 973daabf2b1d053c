package shopbox

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/plugins/shopbox/api"
	"github.com/shopbridge/shopbridge/sdk"
)

// SettingsSchema is the JSON Schema of a link's settings.
const SettingsSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "Shopbox link settings",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "email":       {"type": "string", "minLength": 3, "pattern": "^[^@\\s]+@[^@\\s]+$", "description": "the Shopbox account's login e-mail (the seed's installation step)"},
    "password":    {"type": "string", "minLength": 1, "description": "the Shopbox account's password", "x-secret": true},
    "api_token":   {"type": "string", "minLength": 1, "description": "an API token from the Shopbox dashboard, instead of email and password", "x-secret": true},
    "client_id":   {"type": "integer", "minimum": 1, "description": "the Shopbox shop (client) to act for; required when the account has several shops"},
    "vat_rate":    {"type": "string", "pattern": "^(0|1)(\\.[0-9]+)?$", "default": "0.25", "description": "VAT rate as a decimal fraction; Shopbox prices include it"},
    "currency":    {"type": "string", "pattern": "^[A-Z]{3}$", "default": "NOK", "description": "ISO 4217 currency of the shop's prices"},
    "push_secret": {"type": "string", "minLength": 1, "description": "the secret Shopbox signs basket pushes with (X-Shopbox-Signature)", "x-secret": true},
    "base_url":    {"type": "string", "pattern": "^https?://", "default": "https://api.shopbox.com/api/v3/", "description": "the API's base URL; change it only for a sandbox"},
    "page_size":   {"type": "integer", "minimum": 1, "maximum": 100, "default": 100, "description": "records per API page"}
  },
  "anyOf": [
    {"required": ["email", "password"]},
    {"required": ["api_token"]}
  ]
}`

// secretSettings are the keys whose values are secrets.
var secretSettings = []string{"password", "api_token", "push_secret"}

// Settings are a link's settings, validated.
type Settings struct {
	Email      string
	Password   string
	APIToken   string
	ClientID   int
	VATRate    decimal.Decimal
	Currency   string
	PushSecret string
	BaseURL    string
	PageSize   int
}

// String never shows a secret.
func (s Settings) String() string {
	return "shopbox account=" + s.Email + " client=" + strconv.Itoa(s.ClientID) + " base_url=" + s.BaseURL
}

// GoString never shows a secret.
func (s Settings) GoString() string { return s.String() }

var (
	emailRe    = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ParseSettings decodes and validates settings; every error is an
// sdk.Invalid naming the key at fault.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	s := Settings{VATRate: decimal.RequireFromString("0.25"), Currency: "NOK", BaseURL: api.DefaultBaseURL, PageSize: api.MaxPerPage}
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return s, sdk.Invalid("settings", "must be a JSON object with the Shopbox link settings")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "email", "password", "api_token", "client_id", "vat_rate", "currency", "push_secret", "base_url", "page_size":
		default:
			return s, sdk.Invalid(k, "is not a setting of the Shopbox connector (known: email, password, api_token, client_id, vat_rate, currency, push_secret, base_url, page_size)")
		}
	}
	str := func(key string, dst *string) error {
		v, ok := m[key]
		if !ok || string(v) == "null" {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return sdk.Invalid(key, "must be a string")
		}
		if strings.TrimSpace(*dst) == "" {
			return sdk.Invalid(key, "must not be empty")
		}
		return nil
	}
	num := func(key string, dst *int, lo, hi int) error {
		v, ok := m[key]
		if !ok || string(v) == "null" {
			return nil
		}
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return sdk.Invalid(key, "must be an integer")
		}
		if n < lo || n > hi {
			return sdk.Invalid(key, "must be between %d and %d", lo, hi)
		}
		*dst = n
		return nil
	}
	var vat string
	for _, err := range []error{
		str("email", &s.Email), str("password", &s.Password), str("api_token", &s.APIToken),
		num("client_id", &s.ClientID, 1, 1<<31-1), str("vat_rate", &vat), str("currency", &s.Currency),
		str("push_secret", &s.PushSecret), str("base_url", &s.BaseURL), num("page_size", &s.PageSize, 1, api.MaxPerPage),
	} {
		if err != nil {
			return s, err
		}
	}
	if s.Email != "" && !emailRe.MatchString(s.Email) {
		return s, sdk.Invalid("email", "%q is not an e-mail address", s.Email)
	}
	if s.APIToken == "" {
		switch {
		case s.Email == "" && s.Password == "":
			return s, sdk.Invalid("email", "is required: set email and password of the Shopbox account, or api_token")
		case s.Email == "":
			return s, sdk.Invalid("email", "is required with password")
		case s.Password == "":
			return s, sdk.Invalid("password", "is required with email")
		}
	}
	if vat != "" {
		d, err := decimal.NewFromString(vat)
		if err != nil || strings.ContainsAny(vat, "eE") {
			return s, sdk.Invalid("vat_rate", "%q is not a decimal fraction such as \"0.25\"", vat)
		}
		if d.IsNegative() || d.GreaterThan(decimal.NewFromInt(1)) {
			return s, sdk.Invalid("vat_rate", "%s must be a fraction between 0 and 1 (25 %% is \"0.25\")", vat)
		}
		s.VATRate = d
	}
	if !currencyRe.MatchString(s.Currency) {
		return s, sdk.Invalid("currency", "%q is not an ISO 4217 code such as \"NOK\"", s.Currency)
	}
	u, err := url.Parse(s.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, sdk.Invalid("base_url", "%q is not an absolute http(s) URL", s.BaseURL)
	}
	return s, nil
}
