package shopbox

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
)

func TestPagingWalksEveryProductOnceByNextLinks(t *testing.T) {
	f := start(t, Options{Catalog: catalog.Generate(catalog.Config{Products: 45, Seed: 3})})
	f.login()

	first := f.api("GET", "/api/v3/products", 200, nil)
	pg := first["meta"].(map[string]any)["pagination"].(map[string]any)
	if num(pg["total"]) != 45 || num(pg["per_page"]) != 20 || num(pg["total_pages"]) != 3 || num(pg["count"]) != 20 {
		t.Fatalf("default page: pagination = %v, want total 45, per_page 20, 3 pages", pg)
	}

	seen := map[int64]bool{}
	var order []int64
	u := f.http.URL + "/api/v3/products?" + f.q("per-page", "20").Encode()
	for pages := 0; u != ""; pages++ {
		if pages > 5 {
			t.Fatal("next links do not end")
		}
		parsed, _ := url.Parse(u)
		ans := f.api("GET", parsed.Path, 200, nil, flatten(parsed.Query())...)
		for _, p := range list(ans) {
			uid := num(p["uid"])
			if seen[uid] {
				t.Fatalf("product %d seen twice", uid)
			}
			seen[uid] = true
			order = append(order, uid)
		}
		links := ans["meta"].(map[string]any)["pagination"].(map[string]any)["links"].(map[string]any)
		next, _ := links["next"].(string)
		u = next
	}
	if len(seen) != 45 {
		t.Fatalf("walked %d products, want 45", len(seen))
	}
	for i := 1; i < len(order); i++ {
		if order[i] <= order[i-1] {
			t.Fatal("products are not in uid order")
		}
	}

	last := f.api("GET", "/api/v3/products", 200, nil, "page", "3")
	lp := last["meta"].(map[string]any)["pagination"].(map[string]any)
	links := lp["links"].(map[string]any)
	if num(lp["count"]) != 5 || links["next"] != nil || links["previous"] == nil {
		t.Errorf("last page: %v, want 5 items, no next, a previous", lp)
	}
	past := f.api("GET", "/api/v3/products", 200, nil, "page", "9")
	if len(list(past)) != 0 {
		t.Error("a page past the end should be empty")
	}
	big := f.api("GET", "/api/v3/products", 200, nil, "per-page", "500")
	if n := num(big["meta"].(map[string]any)["pagination"].(map[string]any)["per_page"]); n != 100 {
		t.Errorf("per-page 500: per_page = %d, want clamped to 100", n)
	}
	if status, ans := f.do("GET", "/api/v3/products", f.q("page", "x"), nil); status != 400 {
		t.Errorf("page=x: status %d, want 400", status)
	} else {
		errorShape(t, 400, ans)
	}
}

func flatten(v url.Values) []string {
	var out []string
	for k, vs := range v {
		out = append(out, k, vs[0])
	}
	return out
}

func TestCreateOrUpdateRoundTripKeepsUIDs(t *testing.T) {
	f := start(t, Options{TokenTTL: 24 * time.Hour})
	f.login()

	tag := data(f.api("POST", "/api/v3/tags", 201, map[string]any{"name": "Krus"}))
	tagUID := num(tag["uid"])
	vt := data(f.api("POST", "/api/v3/variance-type/create-or-update", 201, map[string]any{
		"uid": nil, "name": "Farge", "values": []any{map[string]any{"uid": nil, "name": "Rød"}, map[string]any{"uid": nil, "name": "Blå"}},
	}))
	vals := vt["values"].([]any)
	red, blue := num(vals[0].(map[string]any)["uid"]), num(vals[1].(map[string]any)["uid"])

	created := data(f.api("POST", "/api/v3/products/create-or-update", 201, map[string]any{
		"uid": nil, "name": "Mug", "tag": tagUID, "selling_price": 12500, "stock_price": 4000, "code": "5701234",
		"sku_code": "SKU-1", "inventory_on_variants": 1, "integration_number": "SKU-1",
		"variants": []any{
			map[string]any{"uid": 0, "selling_price": 12500, "variance_value": []int64{red}, "barcode": nil, "sku_code": "SKU-1-RED"},
			map[string]any{"uid": 0, "selling_price": 13000, "variance_value": []int64{blue}, "barcode": "5709", "sku_code": "SKU-1-BLUE"},
		},
	}))
	uid := num(created["uid"])
	pvs := created["product_variances"].([]any)
	if uid <= 0 || len(pvs) != 2 {
		t.Fatalf("create answer: uid %d, %d variances: %v", uid, len(pvs), created)
	}
	redUID := num(pvs[0].(map[string]any)["uid"])
	blueUID := num(pvs[1].(map[string]any)["uid"])
	for _, pv := range pvs {
		m := pv.(map[string]any)
		for _, k := range []string{"uid", "sku_code", "selling_price", "barcode", "variance_value"} {
			if _, ok := m[k]; !ok {
				t.Errorf("variance lacks %q: %v", k, m)
			}
		}
	}

	got := data(f.api("GET", "/api/v3/products/"+strconv.FormatInt(uid, 10), 200, nil, "with", "product_variances,tag0"))
	if got["name"] != "Mug" || num(got["selling_price"]) != 12500 || got["tag0"].(map[string]any)["name"] != "Krus" {
		t.Errorf("read back: %v", got)
	}
	plain := data(f.api("GET", "/api/v3/products/"+strconv.FormatInt(uid, 10), 200, nil))
	if _, ok := plain["product_variances"]; ok {
		t.Error("product_variances should appear only when asked for")
	}

	f.clock.Advance(time.Hour)
	since := strconv.FormatInt(f.clock.Now().Unix(), 10)
	updated := data(f.api("POST", "/api/v3/products/create-or-update", 200, map[string]any{
		"uid": uid, "name": "Mug XL",
		"variants": []any{
			map[string]any{"uid": blueUID, "selling_price": 14000},
			map[string]any{"uid": 0, "selling_price": 12500, "sku_code": "SKU-1-GREEN"},
		},
	}))
	if num(updated["uid"]) != uid || updated["name"] != "Mug XL" || num(updated["selling_price"]) != 12500 {
		t.Errorf("update answer: %v", updated)
	}
	byUID := map[int64]map[string]any{}
	for _, pv := range updated["product_variances"].([]any) {
		byUID[num(pv.(map[string]any)["uid"])] = pv.(map[string]any)
	}
	if len(byUID) != 3 || byUID[redUID]["sku_code"] != "SKU-1-RED" || num(byUID[blueUID]["selling_price"]) != 14000 {
		t.Errorf("after update the variances are %v: want red unchanged, blue at 14000 and a new green", byUID)
	}

	found := list(f.api("GET", "/api/v3/products", 200, nil, "sku_code", "SKU-1-GREEN"))
	if len(found) != 1 || num(found[0]["uid"]) != uid {
		t.Errorf("sku_code filter found %v", found)
	}
	changed := list(f.api("GET", "/api/v3/products", 200, nil, "updated_since", since, "per-page", "100"))
	if len(changed) != 1 || num(changed[0]["uid"]) != uid {
		t.Errorf("updated_since found %d products, want only the updated one", len(changed))
	}

	status, ans := f.do("POST", "/api/v3/products/create-or-update", f.q(), map[string]any{
		"uid": uid, "variants": []any{map[string]any{"uid": 999999, "selling_price": 1}},
	})
	if status != 422 {
		t.Errorf("a foreign variant uid: status %d, want 422", status)
	} else {
		errorShape(t, 422, ans)
	}
	if status, _ := f.do("POST", "/api/v3/products/create-or-update", f.q(), map[string]any{"uid": 123456789, "name": "x"}); status != 404 {
		t.Errorf("update of an unknown uid: status %d, want 404", status)
	}
	if status, _ := f.do("POST", "/api/v3/products/create-or-update", f.q(), map[string]any{"uid": nil, "sku_code": "X"}); status != 422 {
		t.Errorf("create without a name: status %d, want 422", status)
	}
}

func TestPricesAreOreIncludingVATExactly(t *testing.T) {
	cases := []struct {
		excl string
		vat  int
		ore  int64
	}{
		{"100.00", 25, 12500},
		{"100", 25, 12500},
		{"0.01", 25, 1},   // 1.25 øre
		{"0.02", 25, 3},   // 2.5 øre rounds away from zero
		{"-0.02", 25, -3}, // and so do negative amounts
		{"199.99", 25, 24999},
		{"19.999", 25, 2500}, // 2499.875 øre
		{"80.00", 0, 8000},
		{"1234567.89", 25, 154320986},
	}
	for _, c := range cases {
		got, err := OreInclVAT(c.excl, c.vat)
		if err != nil || got != c.ore {
			t.Errorf("OreInclVAT(%q, %d) = %d, %v; want %d", c.excl, c.vat, got, err, c.ore)
		}
	}
	if got := DecimalExclVAT(12500, 25); got != "100.00" {
		t.Errorf("DecimalExclVAT(12500, 25) = %q, want 100.00", got)
	}
	for _, bad := range []string{"", "abc", "1.2.3", "1.-5", "1e3"} {
		if _, err := OreInclVAT(bad, 25); err == nil {
			t.Errorf("OreInclVAT(%q) should fail", bad)
		}
	}

	// A catalogue price of 100.00 excl. VAT is 12500 øre on the wire, and
	// 12500 øre converts back to 100.00.
	cat := &catalog.Catalog{
		Locations: []catalog.Location{{Number: 1, Name: "Butik"}},
		Products: []catalog.Product{{Number: "SKU-1", Name: "Mug", Category: "Kopper", SalesPrice: "100.00", CostPrice: "40.00",
			Variants: []catalog.Variant{{SKU: "SKU-1", Title: "Default Title", Barcode: "5701234567890", Stock: map[int]int{1: 5}}}}},
	}
	f := start(t, Options{Catalog: cat})
	f.login()
	p := list(f.api("GET", "/api/v3/products", 200, nil, "sku_code", "SKU-1"))[0]
	if num(p["selling_price"]) != 12500 || num(p["stock_price"]) != 4000 {
		t.Errorf("selling_price %v stock_price %v, want 12500 and 4000", p["selling_price"], p["stock_price"])
	}
	if got := DecimalExclVAT(num(p["selling_price"]), 25); got != "100.00" {
		t.Errorf("back to excl. VAT: %s, want 100.00", got)
	}
	if p["code"] != "5701234567890" || num(p["inventory_on_variants"]) != 0 {
		t.Errorf("a single-variant product should be a simple product with its barcode as code: %v", p)
	}
}

func TestCatalogueSeedsBranchesTagsAndStock(t *testing.T) {
	cat := catalog.Generate(catalog.Config{Products: 20, MinVariants: 1, MaxVariants: 3, Locations: 3, Seed: 11})
	f := start(t, Options{Catalog: cat})
	f.login()

	branches := list(f.api("GET", "/api/v3/branches", 200, nil, "client", "1"))
	if len(branches) != 3 {
		t.Fatalf("%d branches, want one per location (3)", len(branches))
	}
	for i, b := range branches {
		if b["name"] != cat.Locations[i].Name {
			t.Errorf("branch %d is %v, want %s", i, b["name"], cat.Locations[i].Name)
		}
		one := data(f.api("GET", "/api/v3/branches/"+strconv.FormatInt(num(b["uid"]), 10), 200, nil))
		regs := one["cash_registers"].([]any)
		if len(regs) < 1 || len(regs) > 2 {
			t.Errorf("branch %v has %d cash registers, want 1 or 2", b["name"], len(regs))
		}
	}
	tags := list(f.api("GET", "/api/v3/tags", 200, nil))
	names := map[string]bool{}
	for _, tg := range tags {
		names[tg["name"].(string)] = true
	}
	for _, p := range cat.Products {
		if !names[p.Category] {
			t.Errorf("no tag for category %s", p.Category)
		}
	}

	// Every catalogue stock row is an inventory row at the matching branch.
	for bi, b := range branches {
		loc := cat.Locations[bi].Number
		rows := map[string]int64{}
		for page := 1; ; page++ {
			ans := f.api("GET", "/api/v3/product-inventories", 200, nil, "branch", strconv.FormatInt(num(b["uid"]), 10), "per-page", "100", "page", strconv.Itoa(page))
			for _, r := range list(ans) {
				rows[r["sku_code"].(string)] = num(r["quantity"])
			}
			if ans["meta"].(map[string]any)["pagination"].(map[string]any)["links"].(map[string]any)["next"] == nil {
				break
			}
		}
		if len(rows) != cat.VariantCount() {
			t.Errorf("branch %v: %d inventory rows, want %d", b["name"], len(rows), cat.VariantCount())
		}
		for _, p := range cat.Products {
			for _, v := range p.Variants {
				if rows[v.SKU] != int64(v.Stock[loc]) {
					t.Errorf("branch %v SKU %s: %d, want %d", b["name"], v.SKU, rows[v.SKU], v.Stock[loc])
				}
			}
		}
	}
}

func TestInventoryWriteSetsOneBranchAndRecordsNote(t *testing.T) {
	f := start(t, Options{})
	f.login()
	branches := f.srv.Branches()
	var multi ProductWithVariances
	for _, p := range f.srv.Products() {
		if len(p.ProductVariances) > 1 {
			multi = p
			break
		}
	}
	v := multi.ProductVariances[1]
	other := f.srv.Stock(v.SKUCode, branches[1].UID)

	row := data(f.api("POST", "/api/v3/product-inventories", 200, map[string]any{
		"branch": branches[0].UID, "product": multi.UID, "product_variance": v.UID, "quantity": 17, "note": "idem-key-1",
	}))
	if num(row["quantity"]) != 17 || row["sku_code"] != v.SKUCode {
		t.Errorf("answer row: %v", row)
	}
	if got := f.srv.Stock(v.SKUCode, branches[0].UID); got != 17 {
		t.Errorf("stock at branch 0 = %d, want 17", got)
	}
	if got := f.srv.Stock(v.SKUCode, branches[1].UID); got != other {
		t.Errorf("stock at branch 1 changed to %d, want %d", got, other)
	}
	rows := list(f.api("GET", "/api/v3/product-inventories", 200, nil, "branch", strconv.Itoa(branches[0].UID), "sku_code", v.SKUCode))
	if len(rows) != 1 || num(rows[0]["quantity"]) != 17 || num(rows[0]["product_variance"]) != int64(v.UID) {
		t.Errorf("read back: %v", rows)
	}
	writes := f.srv.InventoryWrites()
	if len(writes) != 1 || writes[0].Note != "idem-key-1" || writes[0].Quantity != 17 {
		t.Errorf("InventoryWrites = %+v", writes)
	}

	status, ans := f.do("POST", "/api/v3/product-inventories", f.q(), map[string]any{
		"branch": branches[0].UID, "product": multi.UID, "quantity": 3,
	})
	if status != 422 {
		t.Errorf("a product with variances written without a variance: status %d, want 422", status)
	} else {
		errorShape(t, 422, ans)
	}
	if status, _ := f.do("GET", "/api/v3/product-inventories", f.q("branch", "1"), nil); status != 404 {
		t.Errorf("unknown branch: status %d, want 404", status)
	}
	exp := list(f.api("GET", "/api/v3/product-inventories", 200, nil, "branch", strconv.Itoa(branches[0].UID), "expand", "product0", "per-page", "1"))
	if p0, ok := exp[0]["product0"].(map[string]any); !ok || num(p0["uid"]) != num(exp[0]["product"]) {
		t.Errorf("expand=product0: %v", exp[0])
	}
}

func TestBOMProductDrawsComponentStock(t *testing.T) {
	f := start(t, Options{})
	f.login()
	ps := f.srv.Products()
	a, b := skuOf(ps[0]), skuOf(ps[1])
	br := f.srv.Branches()[0]
	beforeA, beforeB := f.srv.Stock(a, br.UID), f.srv.Stock(b, br.UID)

	kit := data(f.api("POST", "/api/v3/products/create-or-update", 201, map[string]any{
		"uid": nil, "name": "Gavesett", "sku_code": "KIT-1", "selling_price": 29900,
		"is_bom": true, "bom_lines": []any{map[string]any{"sku_code": a, "quantity": 2}, map[string]any{"sku_code": b, "quantity": 1}},
	}))
	if kit["is_bom"] != true || len(kit["bom_lines"].([]any)) != 2 {
		t.Fatalf("BOM answer: %v", kit)
	}
	if _, err := f.srv.PlaceSale(Sale{CashRegister: br.CashRegisters[0].UID, Items: []SaleItem{{SKU: "KIT-1", Quantity: 3}}}); err != nil {
		t.Fatal(err)
	}
	if got := f.srv.Stock(a, br.UID); got != beforeA-6 {
		t.Errorf("component %s: %d, want %d", a, got, beforeA-6)
	}
	if got := f.srv.Stock(b, br.UID); got != beforeB-3 {
		t.Errorf("component %s: %d, want %d", b, got, beforeB-3)
	}
	if status, _ := f.do("POST", "/api/v3/products/create-or-update", f.q(), map[string]any{
		"name": "Broken kit", "is_bom": true, "bom_lines": []any{map[string]any{"sku_code": "NOPE", "quantity": 1}},
	}); status != 422 {
		t.Errorf("BOM with an unknown SKU: status %d, want 422", status)
	}
}

func skuOf(p ProductWithVariances) string {
	if len(p.ProductVariances) > 0 {
		return p.ProductVariances[0].SKUCode
	}
	return p.SKUCode
}

func TestInventoryRowsFollowTheProductsUnits(t *testing.T) {
	f := start(t, Options{})
	f.login()
	br := f.srv.Branches()[0]
	rowsOf := func(uid int) []map[string]any {
		var out []map[string]any
		for page := 1; ; page++ {
			ans := f.api("GET", "/api/v3/product-inventories", 200, nil, "branch", strconv.Itoa(br.UID), "per-page", "100", "page", strconv.Itoa(page))
			for _, r := range list(ans) {
				if num(r["product"]) == int64(uid) {
					out = append(out, r)
				}
			}
			if len(list(ans)) < 100 {
				return out
			}
		}
	}
	p := data(f.api("POST", "/api/v3/products/create-or-update", 201, map[string]any{"name": "Enkel", "sku_code": "SIMPLE-1", "selling_price": 5000}))
	uid := int(num(p["uid"]))
	if rows := rowsOf(uid); len(rows) != 1 || rows[0]["product_variance"] != nil || num(rows[0]["quantity"]) != 0 {
		t.Fatalf("a new simple product has rows %v, want one product-level row at 0", rows)
	}
	f.api("POST", "/api/v3/products/create-or-update", 200, map[string]any{"uid": uid, "variants": []any{
		map[string]any{"uid": 0, "sku_code": "SIMPLE-1-A"}, map[string]any{"uid": 0, "sku_code": "SIMPLE-1-B"},
	}})
	rows := rowsOf(uid)
	if len(rows) != 2 || rows[0]["product_variance"] == nil || rows[1]["sku_code"] != "SIMPLE-1-B" {
		t.Errorf("after gaining variances the rows are %v, want one per variance", rows)
	}
	if err := f.srv.DeleteProduct(uid); err != nil {
		t.Fatal(err)
	}
	if rows := rowsOf(uid); len(rows) != 0 {
		t.Errorf("a deleted product still lists %d rows at its branch", len(rows))
	}
}
