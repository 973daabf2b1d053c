package shopify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func call(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func TestControlAPI(t *testing.T) {
	f := newFixture(t, nil)
	base := f.ts.URL + "/_sandbox"
	sku := f.cat.Products[4].Variants[0].SKU
	loc := f.cat.Locations[1].Name

	if code, q := call(t, "POST", base+"/inventory", `{"sku":"`+sku+`","location":"`+loc+`","quantity":12}`); code != 200 || q["available"] != float64(12) {
		t.Fatalf("set level: %d %v", code, q)
	}
	code, o := call(t, "POST", base+"/orders", `{"lines":[{"sku":"`+sku+`","quantity":2}],"location":"`+loc+`","email":"k@example.se"}`)
	if code != 201 || o["financial_status"] != "PENDING" {
		t.Fatalf("place order: %d %v", code, o)
	}
	idStr := strings.TrimPrefix(o["id"].(string), "gid://shopify/Order/")
	if code, q := call(t, "GET", base+"/inventory?"+url.Values{"sku": {sku}, "location": {loc}}.Encode(), ""); code != 200 || q["available"] != float64(10) || q["committed"] != float64(2) {
		t.Fatalf("level after order: %d %v", code, q)
	}
	for _, action := range []string{"pay", "fulfill"} {
		if code, o := call(t, "POST", base+"/orders/"+idStr+"/"+action, ""); code != 200 {
			t.Fatalf("%s: %d %v", action, code, o)
		}
	}
	if code, o := call(t, "POST", base+"/orders/"+idStr+"/cancel", ""); code != 200 || o["financial_status"] != "REFUNDED" {
		t.Fatalf("cancel: %d %v", code, o)
	}
	if code, _ := call(t, "POST", base+"/orders/999/pay", ""); code != 404 {
		t.Fatalf("paying an unknown order: %d", code)
	}
	if code, p := call(t, "POST", base+"/products", `{"sku":"`+sku+`","title":"Edited","price":"10"}`); code != 200 || p["id"] == nil {
		t.Fatalf("edit product: %d %v", code, p)
	}
	if code, st := call(t, "GET", base+"/state", ""); code != 200 || st["plan"] != "standard" || len(st["orders"].([]any)) != 1 {
		t.Fatalf("state: %d", code)
	}
	if code, th := call(t, "GET", base+"/throttled", ""); code != 200 || th["throttled"] != float64(0) {
		t.Fatalf("throttled: %d %v", code, th)
	}
}

func TestFaultsHitTheAPIButNeverTheControlAPI(t *testing.T) {
	f := newFixture(t, nil)
	if code, _ := call(t, "PUT", f.ts.URL+"/_sandbox/faults", `{"rules":[{"path":"/","error_rate":1}]}`); code != 200 {
		t.Fatalf("set faults: %d", code)
	}
	a := f.gql(t, `{ shop { name } }`, nil)
	if a.Status < 500 {
		t.Fatalf("a faulted GraphQL call answered %d", a.Status)
	}
	if code, _ := call(t, "GET", f.ts.URL+"/_sandbox/state", ""); code != 200 {
		t.Fatalf("the control API was faulted: %d", code)
	}
	call(t, "DELETE", f.ts.URL+"/_sandbox/faults", "")
	f.gql(t, `{ shop { name } }`, nil).ok(t)
}
