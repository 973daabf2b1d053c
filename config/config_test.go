package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Secret values used throughout the tests; no error or printout may contain them.
var testEnv = map[string]string{
	"RACKBEAT_TOKEN":        "rb-secret-0001",
	"SHOPIFY_TOKEN":         "shpat-secret-0002",
	"SHOPIFY_CLIENT_SECRET": "shpss-secret-0003",
	"SHOPBOX_PASSWORD":      "sbx-secret-0004",
	"DATABASE_URL":          "postgres://u:pg-secret-0005@db/x",
}

func lookupIn(m map[string]string) Option {
	return WithEnv(func(k string) (string, bool) { v, ok := m[k]; return v, ok })
}

func withEnv(extra map[string]string) Option {
	m := map[string]string{}
	for k, v := range testEnv {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return lookupIn(m)
}

func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for name, v := range testEnv {
		if strings.Contains(s, v) {
			t.Errorf("%s leaks the value of %s:\n%s", what, name, s)
		}
	}
	for _, v := range []string{"rb_live_abcdef123", "literal-token-value"} {
		if strings.Contains(s, v) {
			t.Errorf("%s leaks a literal secret %q:\n%s", what, v, s)
		}
	}
}

const minimal = `
rackbeat:
  token: ${RACKBEAT_TOKEN}
links:
  - id: webshop
    connector: shopify@^1.0
    settings: {shop: example.myshopify.com, access_token: "${SHOPIFY_TOKEN}"}
    orders: {payment_terms: 3, customer_group: 1, employee: 2}
`

func mustParse(t *testing.T, y string, opts ...Option) *Config {
	t.Helper()
	if len(opts) == 0 {
		opts = []Option{withEnv(nil)}
	}
	c, err := Parse([]byte(y), opts...)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func mustFail(t *testing.T, y string, opts ...Option) Errors {
	t.Helper()
	if len(opts) == 0 {
		opts = []Option{withEnv(nil)}
	}
	_, err := Parse([]byte(y), opts...)
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("want *Errors, got %v", err)
	}
	assertNoSecrets(t, "error", err.Error())
	return *errs
}

func hasError(errs Errors, path, frag string) bool {
	for _, e := range errs {
		if e.Path == path && strings.Contains(e.Msg, frag) {
			return true
		}
	}
	return false
}

func TestBadConfigsNameTheKey(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) < 40 {
		t.Fatalf("want at least 40 bad configs, have %d", len(files))
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(string(b), "\n")
			want, ok := strings.CutPrefix(first, "# want: ")
			if !ok {
				t.Fatalf("first line must be `# want: <path> :: <message fragment>`, got %q", first)
			}
			path, frag, _ := strings.Cut(want, " :: ")
			errs := mustFail(t, string(b))
			if !hasError(errs, path, frag) {
				t.Errorf("want an error at %s containing %q; got:\n%v", path, frag, errs)
			}
		})
	}
}

func TestExamplesLoad(t *testing.T) {
	files, _ := filepath.Glob("examples/*.yaml")
	if len(files) < 3 {
		t.Fatalf("want the three examples, have %v", files)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f, withEnv(nil))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(c.Links) == 0 {
				t.Fatal("example has no links")
			}
			// Relative paths resolve against the example's folder, so the
			// host finds them wherever it is started from.
			if !filepath.IsAbs(c.State.Path) || !filepath.IsAbs(c.Plugins.Dir) {
				t.Errorf("state.path %q and plugins.dir %q must come back absolute", c.State.Path, c.Plugins.Dir)
			}
		})
	}
}

func TestExampleSettingsArrive(t *testing.T) {
	c, err := Load("examples/shopbox.yaml", withEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	l := c.Link("butikk")
	if l == nil {
		t.Fatal("link butikk missing")
	}
	p := l.Products
	if p.Direction != "both" || !p.CreateBOMs || p.UIDField != 11 || p.VariationField != 12 ||
		p.Categories["Klær"] != 2 || p.DefaultCategoryGroup != 1 || p.PullEvery != 2*time.Hour {
		t.Errorf("products settings lost: %+v", p)
	}
	if l.InitialSync != "channel" || !l.Orders.AddVAT || l.Orders.Currency != "NOK" || l.Orders.Language != "nb" {
		t.Errorf("link settings lost: %+v", l)
	}
	s := l.Stock
	if s.Locations.All || len(s.Locations.Mappings) != 2 || s.Locations.Mappings[1].Channel != "102" ||
		s.Locations.Mappings[1].Rackbeat.IDs[0] != 2 || s.DefaultRackbeatLocation != 1 || s.DefaultChannelLocation != "101" {
		t.Errorf("stock settings lost: %+v", s)
	}

	c, err = Load("examples/shopify.yaml", withEnv(nil))
	if err != nil {
		t.Fatal(err)
	}
	o := c.Links[0].Orders
	if o.Numbering != "channel" || o.State != "ready_to_ship" || o.Currency != "SEK" || o.ShippingProduct != "frakt" ||
		o.SendConfirmation || o.PaymentTerms != 3 || o.Employee != 2 || o.CustomerGroup != 1 || o.VATZone != "domestic" {
		t.Errorf("orders settings lost: %+v", o)
	}
	if !c.Links[0].Stock.Locations.All || !c.Links[0].Products.PricesExcludeVAT || c.Links[0].Products.VATRate.String() != "0.25" {
		t.Errorf("shopify settings lost: %+v", c.Links[0])
	}
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, minimal)
	checks := map[string][2]any{
		"state.driver":                 {c.State.Driver, "sqlite"},
		"state.path":                   {c.State.Path, "shopbridge.db"},
		"server.listen":                {c.Server.Listen, "127.0.0.1:8080"},
		"server.max_body_bytes":        {c.Server.MaxBodyBytes, int64(1 << 20)},
		"plugins.dir":                  {c.Plugins.Dir, "plugins"},
		"plugins.lock":                 {c.Plugins.Lock, "shopbridge.lock"},
		"rackbeat.url":                 {c.Rackbeat.URL, "https://app.rackbeat.com/api"},
		"rackbeat.requests_per_minute": {c.Rackbeat.RequestsPerMinute, 480},
		"log.level":                    {c.Log.Level, "info"},
		"log.format":                   {c.Log.Format, "auto"},
		"products.direction":           {c.Links[0].Products.Direction, "off"},
		"products.vat_rate":            {c.Links[0].Products.VATRate.String(), "0.25"},
		"products.pull_every":          {c.Links[0].Products.PullEvery, 2 * time.Hour},
		"products.reconcile_every":     {c.Links[0].Products.ReconcileEvery, 6 * time.Hour},
		"orders.enabled":               {c.Links[0].Orders.Enabled, true},
		"orders.trigger":               {c.Links[0].Orders.Trigger, "paid"},
		"orders.state":                 {c.Links[0].Orders.State, "ready_to_ship"},
		"orders.numbering":             {c.Links[0].Orders.Numbering, "rackbeat"},
		"orders.language":              {c.Links[0].Orders.Language, "en"},
		"orders.vat_zone":              {c.Links[0].Orders.VATZone, "domestic"},
		"orders.currency":              {c.Links[0].Orders.Currency, "DKK"},
		"orders.pull_every":            {c.Links[0].Orders.PullEvery, 15 * time.Minute},
		"stock.enabled":                {c.Links[0].Stock.Enabled, false},
		"stock.quantity":               {c.Links[0].Stock.Quantity, "available"},
		"stock.locations all":          {c.Links[0].Stock.Locations.All, true},
		"stock.reconcile_every":        {c.Links[0].Stock.ReconcileEvery, time.Hour},
		"initial_sync":                 {c.Links[0].InitialSync, "none"},
	}
	for k, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %v, want %v", k, v[0], v[1])
		}
	}
	if c.Rackbeat.Token.Value() != testEnv["RACKBEAT_TOKEN"] || c.Rackbeat.Token.Ref() != "${RACKBEAT_TOKEN}" {
		t.Errorf("token not resolved: ref %q", c.Rackbeat.Token.Ref())
	}
	if !c.Server.OperatorToken.IsZero() {
		t.Error("unset operator_token should be zero")
	}
}

func TestAllErrorsAreCollected(t *testing.T) {
	errs := mustFail(t, `
rackbeat: {token: rb_live_abcdef123, rate: 3}
log: {level: loud}
links:
  - id: a
    connector: shopify
    orders: {numbering: shop}
    stock: {quantity: lots}
`)
	for _, w := range [][2]string{
		{"rackbeat.token", "reference"},
		{"rackbeat.rate", "unknown key"},
		{"log.level", "must be one of"},
		{"links[0].orders.numbering", `must be one of channel, rackbeat (got "shop")`},
		{"links[0].stock.quantity", "must be one of"},
		{"links[0].orders.payment_terms", "required"},
		{"links[0].orders.customer_group", "required"},
		{"links[0].orders.employee", "required"},
	} {
		if !hasError(errs, w[0], w[1]) {
			t.Errorf("missing error %s: %s", w[0], w[1])
		}
	}
	if n := len(strings.Split(errs.Error(), "\n")); n != len(errs) {
		t.Errorf("Error() has %d lines for %d errors", n, len(errs))
	}
}

func TestUnknownKeysInSettingsAreTheConnectorsBusiness(t *testing.T) {
	c := mustParse(t, strings.Replace(minimal, "settings: {", "settings: {anything_goes: {deep: [1, 2]}, ", 1))
	if _, ok := c.Links[0].Settings["anything_goes"]; !ok {
		t.Error("settings key dropped")
	}
}

func TestLiteralSecretRejectedWithHowTo(t *testing.T) {
	errs := mustFail(t, strings.Replace(minimal, "${RACKBEAT_TOKEN}", "literal-token-value", 1))
	if !hasError(errs, "rackbeat.token", `write "${RACKBEAT_TOKEN}" and set RACKBEAT_TOKEN`) ||
		!hasError(errs, "rackbeat.token", "file:/path/to/secret") {
		t.Errorf("want a how-to, got %v", errs)
	}
	errs = mustFail(t, strings.Replace(minimal, "server:", "", 1)+"server: {operator_token: literal-token-value}\n")
	if !hasError(errs, "server.operator_token", "SERVER_OPERATOR_TOKEN") {
		t.Errorf("got %v", errs)
	}
}

func TestSecretFromFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	y := strings.Replace(minimal, "${RACKBEAT_TOKEN}", "file:token", 1)
	c := mustParse(t, y, withEnv(nil), WithBaseDir(dir))
	if c.Rackbeat.Token.Value() != "file-secret" || c.Rackbeat.Token.Ref() != "file:token" {
		t.Errorf("got ref %q", c.Rackbeat.Token.Ref())
	}
	if err := os.WriteFile(filepath.Join(dir, "cfg.yaml"), []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(filepath.Join(dir, "cfg.yaml"), withEnv(nil)); err != nil {
		t.Errorf("Load resolves file: against the config's folder: %v", err)
	}
	// Unreadable: the error names the key and the file.
	errs := mustFail(t, strings.Replace(minimal, "${RACKBEAT_TOKEN}", "file:missing", 1), withEnv(nil), WithBaseDir(dir))
	if !hasError(errs, "rackbeat.token", filepath.Join(dir, "missing")) {
		t.Errorf("got %v", errs)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	y := `
state: {driver: postgres, dsn: "${DATABASE_URL}"}
server: {operator_token: "${SHOPBOX_PASSWORD}"}
rackbeat: {token: "${RACKBEAT_TOKEN}", webhook_token: "${SHOPIFY_CLIENT_SECRET}"}
links:
  - id: webshop
    connector: shopify
    settings: {shop: x, access_token: "${SHOPIFY_TOKEN}", nested: {list: ["${RACKBEAT_TOKEN}"]}}
    orders: {enabled: false}
`
	c := mustParse(t, y)
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s", c.Rackbeat.Token),
		fmt.Sprintf("%q %x %d", c.Rackbeat.Token, c.Rackbeat.Token, c.Rackbeat.Token),
		fmt.Sprint(*c), string(j), fmt.Sprintf("%v", c.Links[0].RedactedSettings()),
	} {
		assertNoSecrets(t, "printout", out)
		if !strings.Contains(out, "[redacted]") && !strings.Contains(out, "${") {
			t.Errorf("expected a redaction in %q", out)
		}
	}
	s, err := c.Links[0].SettingsJSON()
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	_ = json.Unmarshal(s, &got)
	if got["access_token"] != testEnv["SHOPIFY_TOKEN"] || got["shop"] != "x" {
		t.Errorf("SettingsJSON must carry plaintext for the connector: %s", s)
	}
	if r := c.Links[0].RedactedSettings(); r["access_token"] != "${SHOPIFY_TOKEN}" {
		t.Errorf("RedactedSettings: %v", r)
	}
	if got := strings.Join(c.Links[0].SecretSettings(), ","); got != "access_token,nested.list[0]" {
		t.Errorf("SecretSettings = %s", got)
	}
	if c.State.DSN.Value() != testEnv["DATABASE_URL"] {
		t.Error("dsn not resolved")
	}
}

func TestEnvOverrides(t *testing.T) {
	y := minimal + `    stock: {locations: [{rackbeat: [1], channel: "1"}]}
`
	c := mustParse(t, y, withEnv(map[string]string{
		"SHOPBRIDGE_SERVER__LISTEN":                   "0.0.0.0:9090",
		"SHOPBRIDGE_LINKS__0__ORDERS__STATE":          "booked",
		"SHOPBRIDGE_LINKS__0__ORDERS__PAYMENT_TERMS":  "7",
		"SHOPBRIDGE_LINKS__0__STOCK__ENABLED":         "true",
		"SHOPBRIDGE_LINKS__0__STOCK__LOCATIONS":       `[{rackbeat: all, channel: "77"}]`,
		"SHOPBRIDGE_LINKS__0__SETTINGS__SHOP":         "other.myshopify.com",
		"SHOPBRIDGE_LINKS__0__PRODUCTS__PULL_EVERY":   "30m",
		"SHOPBRIDGE_RACKBEAT__WEBHOOK_TOKEN":          "hook-secret-in-env",
		"SHOPBRIDGE_LINKS__0__SETTINGS__ACCESS_TOKEN": "${SHOPBOX_PASSWORD}",
	}))
	l := c.Links[0]
	if c.Server.Listen != "0.0.0.0:9090" || l.Orders.State != "booked" || l.Orders.PaymentTerms != 7 || !l.Stock.Enabled ||
		l.Products.PullEvery != 30*time.Minute || l.Settings["shop"] != "other.myshopify.com" {
		t.Errorf("overrides not applied: %+v", c)
	}
	if m := l.Stock.Locations.Mappings; len(m) != 1 || !m[0].Rackbeat.All || m[0].Channel != "77" {
		t.Errorf("locations override: %+v", l.Stock.Locations)
	}
	// A secret set in the environment is a reference to that variable.
	if c.Rackbeat.WebhookToken.Value() != "hook-secret-in-env" || c.Rackbeat.WebhookToken.Ref() != "${SHOPBRIDGE_RACKBEAT__WEBHOOK_TOKEN}" {
		t.Errorf("webhook token from env: ref %q", c.Rackbeat.WebhookToken.Ref())
	}
	if r := l.RedactedSettings()["access_token"]; r != "${SHOPBOX_PASSWORD}" {
		t.Errorf("settings ref from env: %v", r)
	}

	errs := mustFail(t, minimal, withEnv(map[string]string{
		"SHOPBRIDGE_LINKS__0__ORDERS__NUMBERING": "shop",
		"SHOPBRIDGE_LINKS__0__ORDERS__EMPLOYEE":  "two",
	}))
	if !hasError(errs, "links[0].orders.numbering", "(set by SHOPBRIDGE_LINKS__0__ORDERS__NUMBERING)") ||
		!hasError(errs, "links[0].orders.employee", "whole number") {
		t.Errorf("env errors: %v", errs)
	}
}

func TestEnvOverridesFromProcessEnvironment(t *testing.T) {
	for k, v := range testEnv {
		t.Setenv(k, v)
	}
	t.Setenv("SHOPBRIDGE_LOG__LEVEL", "debug")
	t.Setenv("SHOPBRIDGE_TEST_POSTGRES_DSN", "postgres://elsewhere") // not an override: ignored
	c, err := Parse([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != "debug" {
		t.Errorf("log.level = %s", c.Log.Level)
	}
	t.Setenv("SHOPBRIDGE_SERVER__LISTN", "0.0.0.0:1")
	t.Setenv("SHOPBRIDGE_LINKS__3__ID", "x")
	_, err = Parse([]byte(minimal))
	var errs *Errors
	if !errors.As(err, &errs) || !hasError(*errs, "server.listn", "SHOPBRIDGE_SERVER__LISTN") || !hasError(*errs, "links[3]", "declares 1 links") {
		t.Errorf("want unknown-key and no-such-link errors, got %v", err)
	}
}

func TestEnvName(t *testing.T) {
	if got := EnvName("links[0].orders.state"); got != "SHOPBRIDGE_LINKS__0__ORDERS__STATE" {
		t.Error(got)
	}
	if got := EnvName("server.public_url"); got != "SHOPBRIDGE_SERVER__PUBLIC_URL" {
		t.Error(got)
	}
}

func TestConnectorConstraint(t *testing.T) {
	c := mustParse(t, minimal+"  - id: pos\n    connector: shopbox\n    orders: {enabled: false}\n")
	l := c.Links[0]
	if l.ConnectorName != "shopify" || l.ConnectorConstraint != "^1.0" {
		t.Errorf("split: %q %q", l.ConnectorName, l.ConnectorConstraint)
	}
	if !l.AcceptsVersion(semver.MustParse("1.4.2")) || l.AcceptsVersion(semver.MustParse("2.0.0")) {
		t.Error("constraint ^1.0 misapplied")
	}
	if p := c.Links[1]; p.ConnectorName != "shopbox" || p.ConnectorConstraint != "" || !p.AcceptsVersion(semver.MustParse("9.9.9")) {
		t.Errorf("bare name must accept any version: %+v", p)
	}
}

func TestRuleChecker(t *testing.T) {
	y := strings.Replace(minimal, "    orders:", "    products: {rules: {title: 'name + 1', \"variants.price\": 'price * 1.25'}}\n    orders:", 1)
	var seen []string
	_, err := Parse([]byte(y), withEnv(nil), WithRuleChecker(func(path, expr string) error {
		seen = append(seen, path)
		if strings.Contains(expr, "name + 1") {
			return errors.New("1:6: found no matching overload for '_+_' applied to '(string, int)'")
		}
		return nil
	}))
	var errs *Errors
	if !errors.As(err, &errs) || !hasError(*errs, "links[0].products.rules.title", "1:6: found no matching overload") {
		t.Fatalf("got %v", err)
	}
	if len(seen) != 2 || seen[1] != `links[0].products.rules["variants.price"]` {
		t.Errorf("checker saw %v", seen)
	}
}

func TestFileLevelProblems(t *testing.T) {
	errs := mustFail(t, "links: [\n")
	if errs[0].Path != "" || !strings.Contains(errs[0].Msg, "invalid YAML") {
		t.Errorf("got %v", errs)
	}
	errs = mustFail(t, "- a\n- b\n")
	if !strings.Contains(errs.Error(), "mapping") {
		t.Errorf("got %v", errs)
	}
	errs = mustFail(t, "rackbeat: {token: x}\nrackbeat: {token: y}\n")
	if !strings.Contains(errs.Error(), "already defined") {
		t.Errorf("duplicate keys must fail: %v", errs)
	}
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	var e *Errors
	if err == nil || errors.As(err, &e) {
		t.Errorf("a missing file is not a validation error: %v", err)
	}
}

var update = os.Getenv("UPDATE_REFERENCE") != ""

func TestReferenceComplete(t *testing.T) {
	used := map[string]bool{}
	for _, k := range Reference() {
		used[k.Path] = true
		if k.Doc == "" {
			t.Errorf("%s has no doc", k.Path)
		}
		if k.Type == "" {
			t.Errorf("%s has no type", k.Path)
		}
	}
	for p := range docs {
		if !used[p] {
			t.Errorf("docs has %s, which is not a key", p)
		}
	}
}

func TestReferenceDocUpToDate(t *testing.T) {
	want := ReferenceMarkdown()
	if *updateFlag || update {
		if err := os.WriteFile("REFERENCE.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("REFERENCE.md")
	if err != nil || string(got) != want {
		t.Fatal("config/REFERENCE.md is stale: run `go generate ./config` (go test ./config -run TestReferenceDocUpToDate -update)")
	}
}
