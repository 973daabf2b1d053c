package schema

import (
	"strings"
	"testing"
)

func TestLoadHasTheAdminTypes(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if s.Query == nil || s.Query.Name != "QueryRoot" || s.Mutation == nil || s.Mutation.Name != "Mutation" {
		t.Fatalf("root types: %+v %+v", s.Query, s.Mutation)
	}
	for _, name := range []string{"Product", "ProductVariant", "InventoryItem", "InventoryLevel", "Order", "MoneyBag", "ProductSetInput"} {
		if s.Types[name] == nil {
			t.Errorf("type %s missing", name)
		}
	}
	if s.Directives["idempotent"] == nil {
		t.Error("the @idempotent directive is missing")
	}
	if len(s.PossibleTypes["Node"]) < 50 {
		t.Errorf("Node has only %d implementations", len(s.PossibleTypes["Node"]))
	}
}

func TestValidateAcceptsRealDocuments(t *testing.T) {
	docs := []string{
		`{ shop { name currencyCode } }`,
		`query($after: String) { products(first: 50, after: $after, sortKey: UPDATED_AT, query: "updated_at:>'2026-01-01T00:00:00Z'") {
			pageInfo { hasNextPage endCursor }
			edges { cursor node { id title descriptionHtml productType vendor status tags updatedAt
				variants(first: 100) { nodes { id sku barcode price compareAtPrice title
					inventoryItem { id sku tracked unitCost { amount currencyCode } measurement { weight { value unit } }
						inventoryLevels(first: 10) { nodes { id location { id name } quantities(names: ["available", "on_hand", "committed"]) { name quantity } } } } } } } } } }`,
		`mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) @idempotent(key: "k1") {
			inventoryAdjustmentGroup { id changes { name delta quantityAfterChange } } userErrors { field message code } } }`,
		`query { node(id: "gid://shopify/BulkOperation/1") { __typename ... on BulkOperation { id status url objectCount } } }`,
	}
	for _, d := range docs {
		if err := Validate(d); err != nil {
			t.Errorf("valid document rejected: %v\n%s", err, d)
		}
	}
}

func TestValidateRejectsFieldTheSchemaLacks(t *testing.T) {
	err := Validate(`{ products(first: 1) { nodes { id weight } } }`)
	if err == nil {
		t.Fatal("a Product.weight field (removed from the real API) was accepted")
	}
	if !strings.Contains(err.Error(), `Cannot query field "weight" on type "Product"`) {
		t.Fatalf("unexpected message: %v", err)
	}
	if err := Validate(`{ products(first: 1) { nodes { id } } } }`); err == nil {
		t.Fatal("a syntax error was accepted")
	}
	if err := Validate(`mutation { inventorySetQuantities(input: {name: "available", reason: "correction", quantities: [{inventoryItemId: "x", locationId: "y"}]}) { userErrors { code } } }`); err == nil {
		t.Fatal("a missing required input field (quantity) was accepted")
	}
}
