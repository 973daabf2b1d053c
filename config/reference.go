package config

import (
	"fmt"
	"reflect"
	"strings"
)

// KeyDoc documents one configuration key for the generated reference.
type KeyDoc struct {
	Path    string // e.g. "links[].orders.state"
	Type    string // e.g. "one of draft|booked|…", "secret reference", "duration"
	Default string // "" when the key has no default
	Doc     string // what it does
	Seed    string // the seed setting it implements, or "" for host settings
}

type keyText struct{ doc, seed string }

// docs holds the text for every key; a test fails when a key lacks one.
var docs = map[string]keyText{
	"state":        {"Where the host keeps its state (bindings, cursors, quarantine) and its job queue.", ""},
	"state.driver": {"sqlite: one local file, no server. postgres: several hosts share one database.", ""},
	"state.path":   {"The SQLite file (driver sqlite). Relative to the config file's directory.", ""},
	"state.dsn":    {"PostgreSQL connection string (driver postgres), as a reference such as \"${DATABASE_URL}\"; required for postgres.", ""},

	"server":                {"The host's one HTTP port: webhooks in, /metrics, /healthz, /readyz, the status page.", ""},
	"server.listen":         {"Address to listen on.", ""},
	"server.public_url":     {"The URL the channels and Rackbeat reach this host at; webhook callbacks are registered under it (…/hooks/<link>).", ""},
	"server.operator_token": {"Token that unlocks the status page's actions (retry, drop); without it the page is read-only.", ""},
	"server.max_body_bytes": {"Largest webhook body accepted, in bytes; larger requests are refused.", ""},

	"jobs":            {"The host's job queue: how many jobs run at once.", ""},
	"jobs.workers":    {"Jobs this host runs at once, over all links. A reconciliation or an initial sync holds one for minutes.", ""},
	"jobs.per_link":   {"Jobs of one link this host runs at once, so one busy link cannot take every worker; its order imports still run beside a long reconciliation.", ""},
	"jobs.dead_after": {"PostgreSQL only: how long a host may miss its heartbeat before the other hosts take over the jobs it was running (a host that cannot write its heartbeat for half of it stops its own jobs). Long enough that a pause or a short database restart does not look like death; SQLite ignores it.", ""},

	"plugins":      {"Where connector binaries live.", ""},
	"plugins.dir":  {"Folder of connector binaries (shopbridge-connector-<name>_v<semver>).", ""},
	"plugins.lock": {"Lock file with the sha256 of every installed connector binary; a binary that does not match is never run.", ""},

	"rackbeat":                     {"The Rackbeat (inventory system) account.", ""},
	"rackbeat.url":                 {"Rackbeat API base URL.", ""},
	"rackbeat.token":               {"Rackbeat API token (bearer).", "Rackbeat app installation (both seeds)"},
	"rackbeat.requests_per_minute": {"Client-side request limit toward Rackbeat.", ""},
	"rackbeat.webhook_token":       {"Token Rackbeat sends in the Rackbeat-Webhook-Token header; webhooks without it are refused.", ""},

	"log":        {"Log output.", ""},
	"log.level":  {"Least severe level written.", ""},
	"log.format": {"json, text, or auto (text on a terminal, json otherwise).", ""},

	"links":                {"One entry per channel account (a Shopify store, a Shopbox account).", "Shopify: \"Lägg till ny\" (one per webshop)"},
	"links[].id":           {"Stable id of the link; used in URLs, the state and the CLI. Do not change it once the link has run.", ""},
	"links[].connector":    {"Connector and version constraint, e.g. shopify@^1.0 or shopbox@~1.2; a bare name takes any installed version.", "Shopify: \"Installera\" the Shopify app; Shopbox: \"Installer\" the Shopbox Webshop app"},
	"links[].settings":     {"Connector-owned settings (shop, credentials…), checked against the connector's JSON Schema when the link opens. String values may be \"${NAME}\" or \"file:…\" references.", "Shopify: webshop address; Shopbox: \"E-mail og Kodeord\""},
	"links[].disabled":     {"Keep the link configured but do not run it.", ""},
	"links[].initial_sync": {"Once, at installation: channel copies the channel's products and stock into Rackbeat; none skips it. It can run only once per link.", "Shopbox: \"Initial Sync\" (\"Shopbox -> Rackbeat\" = channel, \"do not sync\" = none)"},

	"links[].products":                        {"The products flow.", ""},
	"links[].products.direction":              {"Where products are created and edited: inventory (Rackbeat → channel), channel (channel → Rackbeat), both, or off.", "Shopify: \"Synkroniseringsprioritet\"; Shopbox: \"Løpende synkronisering av produkter\""},
	"links[].products.prices_exclude_vat":     {"Rackbeat sales prices exclude VAT: multiply by 1 + vat_rate toward the channel and divide on the way back.", "Shopify: \"Försäljningspriser i Rackbeat är exkl. moms\""},
	"links[].products.vat_rate":               {"VAT rate as a fraction, used with prices_exclude_vat (the seed's factor 1.25).", "Shopify: \"multipliceras med 1,25\""},
	"links[].products.default_group":          {"Rackbeat product group for new products coming from the channel; required when direction is channel or both.", "Shopify: \"Standard varugrupp\"; Shopbox: varegruppe 1 \"Varer m/lagerstrekk\""},
	"links[].products.categories":             {"Channel category → Rackbeat product group number.", "Shopbox: \"Kategorier\""},
	"links[].products.default_category_group": {"Rackbeat product group for channel categories missing from categories.", "Shopbox: \"Standard Shopbox-gruppe\""},
	"links[].products.uid_field":              {"Id of the Rackbeat custom product field that holds the channel product UID.", "Shopbox: \"Shopbox UID felt ID\""},
	"links[].products.variation_field":        {"Id of the Rackbeat custom product field that holds the channel variation id.", "Shopbox: \"Shopbox variasjons felt ID\""},
	"links[].products.create_boms":            {"Create Rackbeat BOM products (strukturvarer) in the channel; only with direction inventory or both.", "Shopbox: \"Opprett strukturvarer fra Rackbeat i Shopbox\""},
	"links[].products.pull_every":             {"How often channel → Rackbeat product changes are pulled.", "Shopbox: \"hver andre time (2 timer)\""},
	"links[].products.reconcile_every":        {"How often a full comparison finds drift that webhooks missed.", ""},
	"links[].products.rules":                  {"Target field → CEL expression overriding the default field mapping; type-checked when the config loads.", "Shopify: the \"Synkroniserade fält\" tables (the defaults)"},

	"links[].orders":                   {"The orders flow (channel → Rackbeat, each order exactly once).", "Shopbox: \"Integrasjonen er nå installert og du er klar til å motta ordre\""},
	"links[].orders.enabled":           {"Import channel orders into Rackbeat.", ""},
	"links[].orders.trigger":           {"Channel order state that triggers the import.", ""},
	"links[].orders.state":             {"State of the order created in Rackbeat; ready_to_ship shows it to warehouse staff at once.", "Shopify: \"Status för order\" (recommended \"Ready to ship\")"},
	"links[].orders.numbering":         {"channel keeps the channel's order number; rackbeat assigns Rackbeat's own (no clashes between channels).", "Shopify: \"Ordernummer\""},
	"links[].orders.payment_terms":     {"Rackbeat payment terms id for imported orders; required when orders are enabled.", "Shopify: \"Betalningsvillkor\""},
	"links[].orders.language":          {"Order language.", "Shopify: \"Språk\" (recommended English)"},
	"links[].orders.customer_group":    {"Rackbeat customer group for new customers (customers match on e-mail first); required when orders are enabled.", "Shopify: \"Kundgrupp\""},
	"links[].orders.vat_zone":          {"VAT zone for new customers.", "Shopify: \"Moms zon\" (recommended \"Inrikes\" = domestic)"},
	"links[].orders.currency":          {"Currency for new customers (ISO 4217).", "Shopify: \"Valuta\" (recommended SEK)"},
	"links[].orders.employee":          {"Rackbeat employee set on imported orders; required when orders are enabled.", "Shopify: \"Standard anställd\""},
	"links[].orders.send_confirmation": {"Have Rackbeat e-mail an order confirmation to the customer.", "Shopify: \"Inställningar för e-post\""},
	"links[].orders.shipping_product":  {"Rackbeat product number that carries shipping as an order line.", "Shopify: \"Fraktprodukt\" (e.g. \"frakt\")"},
	"links[].orders.add_vat":           {"Register imported orders with VAT (the default); false registers them without VAT, at the amounts paid, in a VAT-free zone.", "Shopbox: \"Tilføy moms\""},
	"links[].orders.pull_every":        {"Safety-net pull of orders whose webhook never came.", ""},
	"links[].orders.location":          {"Rackbeat location imported orders draw stock from; empty for Rackbeat's default.", ""},

	"links[].stock":                           {"The stock flow (Rackbeat → channel).", ""},
	"links[].stock.enabled":                   {"Push Rackbeat stock levels to the channel.", "Shopify: \"Synkronisera lagerstatus från Rackbeat till Shopify\""},
	"links[].stock.quantity":                  {"Which Rackbeat quantity is pushed: available (\"in stock\") or on_hand.", "Shopify: \"Endast statusen 'I lager' synkroniseras\""},
	"links[].stock.locations":                 {"\"all\" sums every Rackbeat location into the channel; or a list mapping Rackbeat locations to channel locations.", "Shopify: \"Huvudlager\" (recommended \"Alla\"); Shopbox: \"Lokasjoner\""},
	"links[].stock.locations[].rackbeat":      {"\"all\" or a list of Rackbeat location numbers feeding this channel location.", "Shopbox: one Rackbeat location per cash register"},
	"links[].stock.locations[].channel":       {"Channel location id (Shopify location, Shopbox branch/cash-register location).", "Shopbox: \"Lokasjoner\""},
	"links[].stock.default_rackbeat_location": {"Rackbeat location used when a channel location has no mapping.", "Shopbox: \"Hovedlager i Rackbeat\""},
	"links[].stock.default_channel_location":  {"Channel location used when a Rackbeat location has no mapping.", "Shopbox: \"Hovedlager i Shopbox\""},
	"links[].stock.reconcile_every":           {"How often channel stock is compared with Rackbeat's and corrected.", ""},
}

// Reference lists every configuration key with its type, default, meaning
// and seed setting, in file order; docs/ generates the config reference
// from it.
func Reference() []KeyDoc {
	var out []KeyDoc
	add := func(path, typ, def string) {
		t := docs[path]
		out = append(out, KeyDoc{Path: path, Type: typ, Default: def, Doc: t.doc, Seed: t.seed})
	}
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			key := f.Tag.Get("key")
			if key == "" || key == "-" {
				continue
			}
			p := key
			if prefix != "" {
				p = prefix + "." + key
			}
			def := f.Tag.Get("default")
			switch {
			case isPlainStruct(f.Type):
				add(p, "section", "")
				walk(p, f.Type)
			case f.Type.Kind() == reflect.Slice:
				add(p, "list", "")
				walk(p+"[]", f.Type.Elem())
			case f.Type == stockLocationsType:
				add(p, `"all" or list of {rackbeat, channel}`, def)
				add(p+"[].rackbeat", `"all" or list of int`, "")
				add(p+"[].channel", "string", "")
			default:
				add(p, typeName(f), def)
			}
		}
	}
	walk("", reflect.TypeOf(Config{}))
	return out
}

func typeName(f reflect.StructField) string {
	req := ""
	if f.Tag.Get("required") == "true" {
		req = ", required"
	}
	if e := f.Tag.Get("enum"); e != "" {
		return "one of " + e + req
	}
	switch f.Tag.Get("check") {
	case "url":
		return "URL" + req
	case "hostport":
		return "host:port" + req
	case "path":
		return "path" + req
	case "linkid":
		return "id [a-z0-9][a-z0-9_-]*" + req
	case "connector":
		return "name[@semver constraint]" + req
	case "language":
		return "one of " + strings.Join(languages, "|") + req
	case "currency":
		return "ISO 4217 code" + req
	}
	switch t := f.Type; {
	case t == secretType:
		return "secret reference" + req
	case t == durationType:
		return "duration" + req
	case t == decimalType:
		return "decimal string" + req
	case t == anyMapType:
		return "map (connector-owned)"
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Int:
		return "map of string to int"
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.String:
		return "map of field to CEL expression"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() == reflect.Int, t.Kind() == reflect.Int64:
		if m := f.Tag.Get("min"); m != "" {
			return fmt.Sprintf("int ≥ %s", m) + req
		}
		return "int" + req
	}
	return f.Type.String() + req
}

// ReferenceMarkdown renders Reference as the Markdown table in REFERENCE.md.
func ReferenceMarkdown() string {
	var b strings.Builder
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("Generated from `config.Reference()` by `go generate ./config` (or `go test ./config -run TestReferenceDocUpToDate -update`); do not edit by hand.\n\n")
	b.WriteString("Every key can be overridden by an environment variable: `SHOPBRIDGE_` + the key path in upper case with `__` between levels and list indices as numbers, e.g. `SHOPBRIDGE_SERVER__LISTEN`, `SHOPBRIDGE_LINKS__0__ORDERS__STATE`. ")
	b.WriteString("Secret keys take a reference, never the value: `\"${NAME}\"` (environment variable) or `\"file:/path/to/secret\"` (one trailing newline trimmed).\n\n")
	b.WriteString("| key | type | default | what it does | seed setting |\n|---|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, k := range Reference() {
		def := k.Default
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", k.Path, cell(k.Type), cell(def), cell(k.Doc), cell(k.Seed))
	}
	return b.String()
}
