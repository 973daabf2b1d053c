package rackbeat

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestErrorMessageNamesOperationObjectAndField(t *testing.T) {
	msg, fields := decodeErrorBody([]byte(`{"message":"The given data was invalid.","errors":{"lines.0.item_id":["the selected item is invalid"]}}`))
	e := &Error{Op: `create order for "Shopify #1042"`, Status: 422, Class: classify(422, fields), Message: msg, Fields: fields}
	want := `rackbeat: create order for "Shopify #1042": 422 lines.0.item_id: the selected item is invalid`
	if e.Error() != want {
		t.Fatalf("got  %s\nwant %s", e.Error(), want)
	}
	var target *Error
	if !errors.As(error(e), &target) || target.Class != Invalid {
		t.Fatalf("errors.As or class wrong: %+v", target)
	}
}

func TestErrorClasses(t *testing.T) {
	taken := map[string][]string{"number": {"The number has already been taken."}}
	cases := []struct {
		status int
		fields map[string][]string
		want   Class
	}{
		{401, nil, Unauthenticated}, {403, nil, Unauthenticated}, {404, nil, NotFound},
		{409, nil, Conflict}, {422, taken, Conflict}, {422, nil, Invalid}, {400, nil, Invalid},
		{429, nil, RateLimited}, {500, nil, Retryable}, {502, nil, Retryable}, {503, nil, Retryable}, {408, nil, Retryable},
	}
	for _, c := range cases {
		if got := classify(c.status, c.fields); got != c.want {
			t.Errorf("status %d: got %s, want %s", c.status, got, c.want)
		}
	}
}

func TestDecodeErrorBodyToleratesShapes(t *testing.T) {
	for body, want := range map[string]string{
		`{"message":"x","errors":{"a":"single"}}`: "a: single",
		`{"error":"Unauthenticated."}`:            "Unauthenticated.",
		`<html>Bad gateway</html>`:                "<html>Bad gateway</html>",
		`{"message":"m","errors":[]}`:             "m",
	} {
		msg, fields := decodeErrorBody([]byte(body))
		e := &Error{Message: msg, Fields: fields}
		if e.detail() != want {
			t.Errorf("%s: got %q, want %q", body, e.detail(), want)
		}
	}
}

func TestDecodePageReadsMetaAsNumbersOrStrings(t *testing.T) {
	var raw map[string]json.RawMessage
	_ = json.Unmarshal([]byte(`{"products":[{"number":"A/1","sales_price":0.30000000000000004}],"total":"150","pages":8,"limit":20,"page":1}`), &raw)
	p, err := decodePage[Product](raw, "products")
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 150 || p.Pages != 8 || p.Limit != 20 || p.Page != 1 || p.Last() {
		t.Fatalf("meta wrong: %+v", p)
	}
	if got := p.Items[0].SalesPrice.String(); got != "0.30000000000000004" {
		t.Fatalf("price not exact: %s", got)
	}
	if _, err := decodePage[Product](map[string]json.RawMessage{"total": json.RawMessage("1")}, "products"); err == nil {
		t.Fatal("a page without a list must be an error")
	}
}

func TestPageLastWithoutPageCount(t *testing.T) {
	if !(Page[int]{Items: []int{1}, Limit: 2}).Last() {
		t.Fatal("a short page is the last")
	}
	if (Page[int]{Items: []int{1, 2}, Limit: 2}).Last() {
		t.Fatal("a full page without a count may have a successor")
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if d := retryAfter("3", now); d != 3*time.Second {
		t.Fatalf("seconds: %s", d)
	}
	if d := retryAfter(now.Add(5*time.Second).Format(http.TimeFormat), now); d != 5*time.Second {
		t.Fatalf("date: %s", d)
	}
	if d := retryAfter("soon", now); d != 0 {
		t.Fatalf("garbage: %s", d)
	}
}

func TestInputsWriteMoneyAsExactNumbers(t *testing.T) {
	price := decimal.RequireFromString("0.1").Add(decimal.RequireFromString("0.2"))
	cost := decimal.RequireFromString("12.3456789")
	b, err := json.Marshal(ProductInput{Number: "A/1", Name: "n", Group: 1, SalesPrice: &price, CostPrice: &cost})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, `"sales_price":0.3,`) || !strings.Contains(s, `"cost_price":12.3456789`) {
		t.Fatalf("money not written exactly as numbers: %s", s)
	}
	lp := decimal.RequireFromString("99.95")
	b, _ = json.Marshal(OrderInput{Heading: "h", Lines: []OrderLineInput{{ItemID: "X", Quantity: decimal.NewFromInt(2), LinePrice: &lp}}})
	if !strings.Contains(string(b), `"quantity":2,`) || !strings.Contains(string(b), `"line_price":99.95`) || !strings.Contains(string(b), `"number":null`) {
		t.Fatalf("order line: %s", b)
	}
}

func TestFlexibleScalars(t *testing.T) {
	var fv []FieldValue
	if err := json.Unmarshal([]byte(`[{"field_id":"7","value":123456},{"field_id":8,"value":"x"},{"field_id":9,"value":null}]`), &fv); err != nil {
		t.Fatal(err)
	}
	if fv[0].FieldID != 7 || fv[0].Value != "123456" || fv[1].Value != "x" || fv[2].Value != "" {
		t.Fatalf("%+v", fv)
	}
	var p Product
	if err := json.Unmarshal([]byte(`{"group":1,"created_at":"2026-01-02 10:00:00","updated_at":null}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Group.Number != 1 || p.CreatedAt.Year() != 2026 {
		t.Fatalf("%+v", p)
	}
}

func TestNewRejectsBadSettingsWithoutTheToken(t *testing.T) {
	const secret = "tok-SECRET-123"
	for _, base := range []string{"", "app.rackbeat.com/api", "ftp://x", "https://x/api?token=" + "q"} {
		_, err := New(base, secret)
		if err == nil {
			t.Fatalf("%q accepted", base)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("token leaked: %v", err)
		}
	}
	if _, err := New("https://app.rackbeat.com/api", " "); err == nil {
		t.Fatal("empty token accepted")
	}
}
