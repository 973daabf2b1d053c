package shopify

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestAuthAndVersion(t *testing.T) {
	f := newFixture(t, nil)
	if a := gqlAt(t, f.ts.URL, "wrong", `{ shop { name } }`, nil); a.Status != http.StatusUnauthorized {
		t.Fatalf("a wrong token got %d", a.Status)
	}
	resp, err := http.Post(f.ts.URL+"/admin/api/2024-01/graphql.json", "application/json", strings.NewReader(`{"query":"{ shop { name } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another API version got %d, want 404", resp.StatusCode)
	}
	a := f.gql(t, `{ shop { name currencyCode } }`, nil).ok(t)
	if path(a.Data, "shop", "name") != "demo" || path(a.Data, "shop", "currencyCode") != "SEK" {
		t.Fatalf("shop: %s", a.raw)
	}
}

func TestUnknownFieldIsRejectedLikeShopify(t *testing.T) {
	f := newFixture(t, nil)
	a := f.gql(t, `{ products(first: 1) { nodes { id title weight } } }`, nil)
	if a.Data != nil || len(a.Errors) != 1 {
		t.Fatalf("want one error and no data: %s", a.raw)
	}
	if a.Errors[0].Extensions["code"] != "undefinedField" || !strings.Contains(a.Errors[0].Message, `"weight"`) {
		t.Fatalf("error: %s", a.raw)
	}
	// A bad variable is refused too.
	a = f.gql(t, `query($n: Int!) { products(first: $n) { nodes { id } } }`, map[string]any{"n": "many"})
	if a.Data != nil || len(a.Errors) == 0 {
		t.Fatalf("a bad variable was accepted: %s", a.raw)
	}
}

func TestFragmentsAliasesVariablesAndTypename(t *testing.T) {
	f := newFixture(t, nil)
	a := f.gql(t, `query Q($first: Int!, $skip: Boolean!) {
		a: products(first: $first) { nodes { ...P } }
		b: products(first: 1, reverse: true) { nodes { __typename id @skip(if: $skip) ... on Product { handle } } }
	}
	fragment P on Product { id t: title }`, map[string]any{"first": 2, "skip": true}).ok(t)
	if path(a.Data, "a", "nodes", 1, "t") == nil || path(a.Data, "a", "nodes", 0, "id") == nil {
		t.Fatalf("fragment/alias: %s", a.raw)
	}
	n := path(a.Data, "b", "nodes", 0).(map[string]any)
	if n["__typename"] != "Product" || n["handle"] == nil || n["id"] != nil {
		t.Fatalf("typename/skip/inline fragment: %s", a.raw)
	}
	id := path(a.Data, "a", "nodes", 0, "id").(string)
	a = f.gql(t, `query($id: ID!) { node(id: $id) { __typename ... on Product { id title } } product(id: $id) { id } }`, map[string]any{"id": id}).ok(t)
	if path(a.Data, "node", "__typename") != "Product" || path(a.Data, "product", "id") != id {
		t.Fatalf("node: %s", a.raw)
	}
}

func TestConnectionsNeedFirstOrLast(t *testing.T) {
	f := newFixture(t, nil)
	a := f.gql(t, `{ products { nodes { id } } }`, nil)
	if len(a.Errors) == 0 || !strings.Contains(a.Errors[0].Message, "first or last") {
		t.Fatalf("want the first-or-last error: %s", a.raw)
	}
	a = f.gql(t, `{ products(first: 251) { nodes { id } } }`, nil)
	if len(a.Errors) == 0 {
		t.Fatalf("first: 251 was accepted: %s", a.raw)
	}
}

func TestPagingWithUpdatedAtQuery(t *testing.T) {
	f := newFixture(t, nil)
	bound := f.clock.Now()
	f.clock.Advance(10 * 1e9)
	// Change five products, one second apart, in an order unlike their ids.
	var changed []string
	for _, i := range []int{7, 2, 9, 4, 0} {
		f.clock.Advance(1e9)
		id, err := f.s.EditProduct(ProductEdit{SKU: f.cat.Products[i].Variants[0].SKU, Title: fmt.Sprintf("Changed %d", i)})
		if err != nil {
			t.Fatal(err)
		}
		changed = append(changed, id)
	}
	upper := f.clock.Now()
	f.clock.Advance(1e9)
	if _, err := f.s.EditProduct(ProductEdit{SKU: f.cat.Products[5].Variants[0].SKU, Title: "after the bound"}); err != nil {
		t.Fatal(err)
	}
	q := fmt.Sprintf("updated_at:>'%s' AND updated_at:<='%s'", bound.Format("2006-01-02T15:04:05Z"), upper.Format("2006-01-02T15:04:05Z"))
	var got []string
	var after any
	pages := 0
	for {
		a := f.gql(t, `query($q: String!, $after: String) { products(first: 2, after: $after, query: $q, sortKey: UPDATED_AT) {
			pageInfo { hasNextPage endCursor } edges { cursor node { id updatedAt } } } }`, map[string]any{"q": q, "after": after}).ok(t)
		pages++
		for _, e := range path(a.Data, "products", "edges").([]any) {
			got = append(got, path(e, "node", "id").(string))
		}
		if path(a.Data, "products", "pageInfo", "hasNextPage") != true {
			break
		}
		after = path(a.Data, "products", "pageInfo", "endCursor")
	}
	if fmt.Sprint(got) != fmt.Sprint(changed) || pages != 3 {
		t.Fatalf("paged %d pages %v, want the five changed products in update order %v", pages, got, changed)
	}
	// sku: and id: filters.
	sku := f.cat.Products[3].Variants[0].SKU
	a := f.gql(t, `query($q: String!) { productVariants(first: 5, query: $q) { nodes { sku product { id } } } }`, map[string]any{"q": "sku:" + sku}).ok(t)
	if n := path(a.Data, "productVariants", "nodes").([]any); len(n) != 1 || path(n[0], "sku") != sku {
		t.Fatalf("sku filter: %s", a.raw)
	}
}

func TestBulkOperationJSONL(t *testing.T) {
	f := newFixture(t, nil)
	a := f.gql(t, `mutation($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message code } } }`,
		map[string]any{"q": `{ products { edges { node { id title variants { edges { node { id sku } } } } } } }`}).ok(t)
	id := path(a.Data, "bulkOperationRunQuery", "bulkOperation", "id").(string)
	a = f.gql(t, `query($id: ID!) { node(id: $id) { ... on BulkOperation { status url objectCount } } }`, map[string]any{"id": id}).ok(t)
	if path(a.Data, "node", "status") != "COMPLETED" {
		t.Fatalf("bulk: %s", a.raw)
	}
	resp, err := http.Get(path(a.Data, "node", "url").(string))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lines []map[string]any
	dec := jsonLines(t, resp)
	lines = dec
	variants := 0
	for _, p := range f.cat.Products {
		variants += len(p.Variants)
	}
	if len(lines) != len(f.cat.Products)+variants || fmt.Sprint(path(a.Data, "node", "objectCount")) != fmt.Sprint(len(lines)) {
		t.Fatalf("got %d lines, want %d", len(lines), len(f.cat.Products)+variants)
	}
	parent := ""
	for _, l := range lines {
		if strings.Contains(l["id"].(string), "/Product/") {
			parent = l["id"].(string)
			if _, has := l["__parentId"]; has {
				t.Fatalf("a product line has a parent: %v", l)
			}
		} else if l["__parentId"] != parent {
			t.Fatalf("variant line %v does not follow its product %s", l, parent)
		}
	}
}

func TestAccessScopesAndProductTypes(t *testing.T) {
	f := newFixture(t, nil)
	a := f.gql(t, `{ currentAppInstallation { accessScopes { handle } } productTypes(first: 50) { nodes } }`, nil).ok(t)
	if !strings.Contains(string(a.raw), `"write_inventory"`) {
		t.Fatalf("access scopes: %s", a.raw)
	}
	types := map[string]bool{}
	for _, p := range f.cat.Products {
		types[p.Category] = true
	}
	if n := len(path(a.Data, "productTypes", "nodes").([]any)); n != len(types) {
		t.Fatalf("%d product types, want %d: %s", n, len(types), a.raw)
	}
}

func TestSchemaIntrospection(t *testing.T) {
	f := newFixture(t, nil)
	a := f.gql(t, `{ __schema { queryType { name } types { name } } }`, nil).ok(t)
	if path(a.Data, "__schema", "queryType", "name") != "QueryRoot" || len(path(a.Data, "__schema", "types").([]any)) < 3000 {
		t.Fatalf("introspection: %.300s", a.raw)
	}
}
