package shopify

import (
	"fmt"
	"testing"
)

const setQuantities = `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) @idempotent(key: "%s") {
	inventoryAdjustmentGroup { id reason changes { name delta quantityAfterChange } }
	userErrors { field message code } } }`

// ids finds the inventory item of sku and the id of the first location.
func ids(t *testing.T, f *fixture, sku string) (item, loc string) {
	t.Helper()
	a := f.gql(t, `query($q: String!) { productVariants(first: 1, query: $q) { nodes { inventoryItem { id
		inventoryLevels(first: 5) { nodes { location { id name } } } } } } }`, map[string]any{"q": "sku:" + sku}).ok(t)
	item = path(a.Data, "productVariants", "nodes", 0, "inventoryItem", "id").(string)
	loc = path(a.Data, "productVariants", "nodes", 0, "inventoryItem", "inventoryLevels", "nodes", 0, "location", "id").(string)
	return item, loc
}

func row(item, loc string, qty int, from any) map[string]any {
	return map[string]any{"inventoryItemId": item, "locationId": loc, "quantity": qty, "changeFromQuantity": from}
}

func setInput(name string, rows ...map[string]any) map[string]any {
	list := make([]any, len(rows))
	for i, r := range rows {
		list[i] = r
	}
	return map[string]any{"input": map[string]any{"name": name, "reason": "correction", "quantities": list}}
}

func userErrorCode(a *answer) any {
	return path(a.Data, "inventorySetQuantities", "userErrors", 0, "code")
}

func TestInventorySetQuantities(t *testing.T) {
	f := newFixture(t, nil)
	sku := f.cat.Products[0].Variants[0].SKU
	item, loc := ids(t, f, sku)
	locName := f.cat.Locations[0].Name
	before, _ := f.s.Level(sku, locName)

	// Applied when changeFromQuantity matches.
	a := f.gql(t, fmt.Sprintf(setQuantities, "k1"), setInput("available", row(item, loc, 40, before.Available))).ok(t)
	if userErrorCode(a) != nil {
		t.Fatalf("a fresh write was refused: %s", a.raw)
	}
	group := path(a.Data, "inventorySetQuantities", "inventoryAdjustmentGroup", "id")
	if q, _ := f.s.Level(sku, locName); q.Available != 40 || q.OnHand != before.OnHand+40-before.Available {
		t.Fatalf("after setting available to 40: %+v (before %+v)", q, before)
	}

	// The same key and input replays the first answer and applies nothing.
	if err := f.s.SetLevel(sku, locName, "available", 7); err != nil {
		t.Fatal(err)
	}
	a = f.gql(t, fmt.Sprintf(setQuantities, "k1"), setInput("available", row(item, loc, 40, before.Available))).ok(t)
	if path(a.Data, "inventorySetQuantities", "inventoryAdjustmentGroup", "id") != group {
		t.Fatalf("a replay gave another adjustment group: %s", a.raw)
	}
	if q, _ := f.s.Level(sku, locName); q.Available != 7 {
		t.Fatalf("a replay was applied again: available %d, want 7", q.Available)
	}

	// The same key with other input is a mismatch.
	a = f.gql(t, fmt.Sprintf(setQuantities, "k1"), setInput("available", row(item, loc, 41, 7))).ok(t)
	if userErrorCode(a) != "IDEMPOTENCY_KEY_PARAMETER_MISMATCH" {
		t.Fatalf("want IDEMPOTENCY_KEY_PARAMETER_MISMATCH: %s", a.raw)
	}

	// A stale changeFromQuantity is refused and nothing moves.
	a = f.gql(t, fmt.Sprintf(setQuantities, "k2"), setInput("available", row(item, loc, 50, 40))).ok(t)
	if userErrorCode(a) != "CHANGE_FROM_QUANTITY_STALE" || path(a.Data, "inventorySetQuantities", "inventoryAdjustmentGroup") != nil {
		t.Fatalf("want CHANGE_FROM_QUANTITY_STALE: %s", a.raw)
	}
	if q, _ := f.s.Level(sku, locName); q.Available != 7 {
		t.Fatalf("a stale write moved stock: %+v", q)
	}
	// The refused key can be retried with the right number.
	a = f.gql(t, fmt.Sprintf(setQuantities, "k2"), setInput("available", row(item, loc, 50, 7))).ok(t)
	if userErrorCode(a) != nil {
		t.Fatalf("retry after stale: %s", a.raw)
	}

	// changeFromQuantity must be present; an explicit null skips the check.
	missing := row(item, loc, 60, nil)
	delete(missing, "changeFromQuantity")
	a = f.gql(t, fmt.Sprintf(setQuantities, "k3"), setInput("available", missing)).ok(t)
	if userErrorCode(a) == nil {
		t.Fatalf("a row without changeFromQuantity was accepted: %s", a.raw)
	}
	a = f.gql(t, fmt.Sprintf(setQuantities, "k4"), setInput("available", row(item, loc, 60, nil))).ok(t)
	if userErrorCode(a) != nil {
		t.Fatalf("an explicit null changeFromQuantity was refused: %s", a.raw)
	}

	// on_hand moves available by the same delta.
	q, _ := f.s.Level(sku, locName)
	f.gql(t, fmt.Sprintf(setQuantities, "k5"), setInput("on_hand", row(item, loc, q.OnHand+5, q.OnHand))).ok(t)
	if after, _ := f.s.Level(sku, locName); after.OnHand != q.OnHand+5 || after.Available != q.Available+5 {
		t.Fatalf("on_hand write: %+v -> %+v", q, after)
	}

	// The key is required as of 2026-04, and at most 250 rows go in one call.
	a = f.gql(t, `mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }`,
		setInput("available", row(item, loc, 1, nil)))
	if len(a.Errors) == 0 {
		t.Fatalf("a write without @idempotent was accepted: %s", a.raw)
	}
	rows := make([]map[string]any, 251)
	for i := range rows {
		rows[i] = row(item, loc, 1, nil)
	}
	a = f.gql(t, fmt.Sprintf(setQuantities, "k6"), setInput("available", rows...))
	if len(a.Errors) == 0 || a.Errors[0].Extensions["code"] != "MAX_INPUT_SIZE_EXCEEDED" {
		t.Fatalf("251 rows: %s", a.raw)
	}
	a = f.gql(t, fmt.Sprintf(setQuantities, "k7"), setInput("available", row("gid://shopify/InventoryItem/1", loc, 1, nil))).ok(t)
	if userErrorCode(a) != "INVALID_INVENTORY_ITEM" {
		t.Fatalf("unknown item: %s", a.raw)
	}
}

func TestProductWrites(t *testing.T) {
	f := newFixture(t, nil)
	a := f.gql(t, `mutation($in: ProductSetInput!) { productSet(input: $in, synchronous: true) {
		product { id title productType variants(first: 5) { nodes { id sku price barcode inventoryItem { id sku unitCost { amount } measurement { weight { value unit } } } } } }
		userErrors { field message code } } }`, map[string]any{"in": map[string]any{
		"title": "Kaffekopp", "descriptionHtml": "<p>Stor</p>", "productType": "Kopper", "status": "ACTIVE",
		"productOptions": []any{map[string]any{"name": "Title", "values": []any{map[string]any{"name": "Default Title"}}}},
		"variants": []any{map[string]any{
			"optionValues": []any{map[string]any{"optionName": "Title", "name": "Default Title"}},
			"price":        "249.90", "barcode": "7310000000001",
			"inventoryItem": map[string]any{"sku": "KOPP-1", "cost": "80.10", "tracked": true,
				"measurement": map[string]any{"weight": map[string]any{"value": 0.35, "unit": "KILOGRAMS"}}},
		}},
	}}).ok(t)
	v := path(a.Data, "productSet", "product", "variants", "nodes", 0)
	if path(v, "sku") != "KOPP-1" || path(v, "price") != "249.90" || path(v, "inventoryItem", "unitCost", "amount") != "80.10" ||
		path(v, "inventoryItem", "measurement", "weight", "unit") != "KILOGRAMS" {
		t.Fatalf("productSet: %s", a.raw)
	}
	pid := path(a.Data, "productSet", "product", "id").(string)
	vid := path(v, "id").(string)
	a = f.gql(t, `mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkUpdate(productId: $p, variants: $v) {
		productVariants { id price } userErrors { field message code } } }`,
		map[string]any{"p": pid, "v": []any{map[string]any{"id": vid, "price": "199.00"}}}).ok(t)
	if path(a.Data, "productVariantsBulkUpdate", "productVariants", 0, "price") != "199.00" {
		t.Fatalf("bulk update: %s", a.raw)
	}
	a = f.gql(t, `mutation($p: ID!, $v: [ProductVariantsBulkInput!]!) { productVariantsBulkCreate(productId: $p, variants: $v, strategy: REMOVE_STANDALONE_VARIANT) {
		product { variants(first: 5) { nodes { sku title } } } userErrors { field message code } } }`,
		map[string]any{"p": pid, "v": []any{
			map[string]any{"optionValues": []any{map[string]any{"optionName": "Title", "name": "Blå"}}, "price": "1.00", "inventoryItem": map[string]any{"sku": "KOPP-BLUE"}},
			map[string]any{"optionValues": []any{map[string]any{"optionName": "Title", "name": "Röd"}}, "price": "1.00", "inventoryItem": map[string]any{"sku": "KOPP-RED"}},
		}}).ok(t)
	if n := path(a.Data, "productVariantsBulkCreate", "product", "variants", "nodes").([]any); len(n) != 2 || path(n[1], "sku") != "KOPP-RED" {
		t.Fatalf("bulk create: %s", a.raw)
	}
	a = f.gql(t, `mutation($p: ProductUpdateInput!) { productUpdate(product: $p) { product { title } userErrors { message } } }`,
		map[string]any{"p": map[string]any{"id": pid, "title": "Kaffekopp XL"}}).ok(t)
	if path(a.Data, "productUpdate", "product", "title") != "Kaffekopp XL" {
		t.Fatalf("productUpdate: %s", a.raw)
	}
}
