package graphql

import (
	"embed"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Document is one GraphQL document the connector sends: an operation with
// the fragments it uses.
type Document struct {
	Name string
	Text string
}

//go:embed documents/*.graphql
var files embed.FS

var (
	fragmentDef = regexp.MustCompile(`(?m)^fragment (\w+) on `)
	spread      = regexp.MustCompile(`\.\.\.(\w+)`)
	// fragments is initialised before the documents below, which use it:
	// package variables are initialised in dependency order.
	fragments = parseFragments()
)

func parseFragments() map[string]string {
	out := map[string]string{}
	raw, err := files.ReadFile("documents/fragments.graphql")
	if err != nil {
		panic(err)
	}
	text := string(raw)
	locs := fragmentDef.FindAllStringSubmatchIndex(text, -1)
	for i, l := range locs {
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		out[text[l[2]:l[3]]] = strings.TrimSpace(text[l[0]:end]) + "\n"
	}
	return out
}

// withFragments appends every fragment op uses, directly or through other
// fragments, in a stable order.
func withFragments(op string) string {
	need := map[string]bool{}
	var walk func(string)
	walk = func(s string) {
		for _, m := range spread.FindAllStringSubmatch(s, -1) {
			name := m[1]
			if f, ok := fragments[name]; ok && !need[name] {
				need[name] = true
				walk(f)
			}
		}
	}
	walk(op)
	names := make([]string, 0, len(need))
	for n := range need {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(strings.TrimSpace(op))
	b.WriteString("\n")
	for _, n := range names {
		b.WriteString("\n")
		b.WriteString(fragments[n])
	}
	return b.String()
}

func load(file, name string) Document {
	raw, err := files.ReadFile("documents/" + file)
	if err != nil {
		panic(fmt.Sprintf("graphql: embedded document %s is missing: %v", file, err))
	}
	return Document{Name: name, Text: withFragments(string(raw))}
}

// The documents the connector sends. Every one is validated against the
// real Admin schema by TestDocumentsAreValid.
var (
	Shop             = load("shop.graphql", "Shop")
	AccessScopes     = load("access_scopes.graphql", "AccessScopes")
	PrimaryLocation  = load("primary_location.graphql", "PrimaryLocation")
	Locations        = load("locations.graphql", "Locations")
	ProductTypes     = load("product_types.graphql", "ProductTypes")
	ProductTypesScan = load("product_types_scan.graphql", "ProductTypesScan")
	Products         = load("products.graphql", "Products")
	ProductsByID     = load("products_by_id.graphql", "ProductsByID")
	ProductVariants  = load("product_variants.graphql", "ProductVariants")
	ProductCreate    = load("product_create.graphql", "ProductCreate")
	ProductUpdate    = load("product_update.graphql", "ProductUpdate")
	VariantsUpdate   = load("variants_update.graphql", "VariantsUpdate")
	VariantsCreate   = load("variants_create.graphql", "VariantsCreate")
	InventorySet     = load("inventory_set.graphql", "InventorySet")
	InventoryLevels  = load("inventory_levels.graphql", "InventoryLevels")
	Stock            = load("stock.graphql", "Stock")
	Orders           = load("orders.graphql", "Orders")
	OrdersByID       = load("orders_by_id.graphql", "OrdersByID")
	OrderLines       = load("order_lines.graphql", "OrderLines")
	Webhooks         = load("webhooks.graphql", "Webhooks")
	WebhookCreate    = load("webhook_create.graphql", "WebhookCreate")
	BulkRun          = load("bulk_run.graphql", "BulkRun")
	BulkPoll         = load("bulk_poll.graphql", "BulkPoll")
	ProductsCount    = load("products_count.graphql", "ProductsCount")

	// bulkProducts is the query a bulk export runs; QUERY is replaced by
	// the search filter.
	bulkProducts = load("bulk_products.graphql", "BulkProducts")
)

// All lists every fixed document, for the schema test.
func All() []Document {
	return []Document{Shop, AccessScopes, PrimaryLocation, Locations, ProductTypes, ProductTypesScan, Products,
		ProductsByID, ProductVariants, ProductCreate, ProductUpdate, VariantsUpdate, VariantsCreate, InventorySet,
		InventoryLevels, Stock, Orders, OrdersByID, OrderLines, Webhooks, WebhookCreate, BulkRun, BulkPoll, ProductsCount,
		BulkProductsQuery(`updated_at:<='2026-01-01T00:00:00Z'`), VariantsBySKU(1), VariantsBySKU(3)}
}

// BulkProductsQuery is the bulk export of the products matching a search
// filter. Bulk queries take no variables, so the filter is a string literal.
func BulkProductsQuery(filter string) Document {
	return Document{Name: "BulkProducts", Text: strings.Replace(bulkProducts.Text, "QUERY", escapeString(filter), 1)}
}

// escapeString escapes s for a GraphQL string literal.
func escapeString(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

// VariantsBySKU looks up n SKUs in one request, one aliased productVariants
// search per SKU (variables $q0…$q{n-1}), because a search per SKU is exact
// where an OR of many is not reliably supported. Each alias asks for two
// matches so that a duplicated SKU is noticed.
func VariantsBySKU(n int) Document {
	var b strings.Builder
	b.WriteString("query VariantsBySKU(")
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$q%d: String!", i)
	}
	b.WriteString(") {\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  v%d: productVariants(first: 2, query: $q%d) {\n    nodes {\n      ...VariantRef\n    }\n  }\n", i, i)
	}
	b.WriteString("}\n")
	return Document{Name: "VariantsBySKU", Text: withFragments(b.String())}
}

// SKUCost is the requested cost of one alias of VariantsBySKU: a
// connection of two variants, each with its product and inventory item.
const SKUCost = 2 + 2*3
