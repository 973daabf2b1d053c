package rackbeat

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

const hookToken = "0123456789abcdef0123456789abcdef"

func hookHeader(token string) http.Header {
	h := http.Header{}
	if token != "" {
		h.Set(HeaderWebhookToken, token)
	}
	h.Set(HeaderWebhookEvent, "product.updated")
	h.Set(HeaderAccountID, "42")
	return h
}

func TestParseWebhookGoodToken(t *testing.T) {
	body := []byte(`{"key":"SKU/1","key_name":"number","event":"product.updated","old_key":"SKU-1","new_key":"SKU/1","changed":["number"],"data":{"number":"SKU/1"}}`)
	ev, err := ParseWebhook(hookHeader(hookToken), body, hookToken)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Name != "product.updated" || ev.Key != "SKU/1" || ev.KeyName != "number" || ev.OldKey != "SKU-1" ||
		ev.NewKey != "SKU/1" || ev.AccountID != "42" || string(ev.Data) != `{"number":"SKU/1"}` {
		t.Fatalf("%+v", ev)
	}
}

func TestParseWebhookNumericKey(t *testing.T) {
	h := hookHeader(hookToken)
	h.Set(HeaderWebhookEvent, "order.created")
	ev, err := ParseWebhook(h, []byte(`{"key":1042,"key_name":"number","event":"order.created"}`), hookToken)
	if err != nil || ev.Key != "1042" {
		t.Fatalf("%+v %v", ev, err)
	}
}

func TestParseWebhookBadTokens(t *testing.T) {
	body := []byte(`{"key":"A","event":"product.updated"}`)
	if _, err := ParseWebhook(hookHeader(""), body, hookToken); !errors.Is(err, ErrTokenMissing) {
		t.Fatalf("missing: %v", err)
	}
	for _, bad := range []string{"x", hookToken + "0", strings.ToUpper(hookToken)} {
		_, err := ParseWebhook(hookHeader(bad), body, hookToken)
		if !errors.Is(err, ErrTokenMismatch) {
			t.Fatalf("%q: %v", bad, err)
		}
		if strings.Contains(err.Error(), hookToken) || strings.Contains(err.Error(), bad) {
			t.Fatalf("error names a token: %v", err)
		}
	}
	if _, err := ParseWebhook(hookHeader(hookToken), body, ""); err == nil {
		t.Fatal("no configured token must refuse everything")
	}
}

func TestParseWebhookBadBodies(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"key":`, `{"event":"product.created"}`, `{"event":{"x":1}}`} {
		if _, err := ParseWebhook(hookHeader(hookToken), []byte(body), hookToken); err == nil {
			t.Errorf("%q accepted", body)
		}
	}
	noEvent := hookHeader(hookToken)
	noEvent.Del(HeaderWebhookEvent)
	if _, err := ParseWebhook(noEvent, []byte(`{"key":"A"}`), hookToken); err == nil {
		t.Error("an event without a name in body or header accepted")
	}
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"key":"SKU-1","key_name":"number","event":"product.updated","data":{}}`), hookToken, "product.updated")
	f.Add([]byte(`{"key":1,"event":"order.created","data":null}`), hookToken, "")
	f.Add([]byte(`{"key":"A"}`), "wrong", "inventory.changed")
	f.Add([]byte(`nul`), hookToken, "")
	f.Fuzz(func(t *testing.T, body []byte, token, event string) {
		h := http.Header{}
		h.Set(HeaderWebhookToken, token)
		h.Set(HeaderWebhookEvent, event)
		ev, err := ParseWebhook(h, body, hookToken)
		if err != nil {
			if strings.Contains(err.Error(), hookToken) {
				t.Fatalf("error carries the configured token: %v", err)
			}
			// A wrong token is refused before the body is looked at.
			if token != hookToken && !errors.Is(err, ErrTokenMissing) && !errors.Is(err, ErrTokenMismatch) {
				t.Fatalf("token %q refused for another reason: %v", token, err)
			}
			return
		}
		if token != hookToken {
			t.Fatalf("accepted token %q", token)
		}
		if ev.Name == "" {
			t.Fatal("accepted an event without a name")
		}
	})
}
