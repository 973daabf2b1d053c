package shopify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
)

// FuzzHandleWebhook feeds the webhook parser arbitrary bodies and topics,
// signed with the link's secret (so the fuzzer gets past the HMAC) or with
// whatever signature it makes up. It must never panic; a refusal is always
// unauthenticated or invalid, never an unclassified error; an accepted
// delivery of a known topic yields one event that names its object.
func FuzzHandleWebhook(f *testing.F) {
	const secret = "fuzz-client-secret"
	l := &link{settings: Settings{ClientSecret: secret, Shop: "demo.myshopify.com"}}
	seeds := []struct {
		topic, body string
	}{
		{"orders/create", `{"id":5000000001,"admin_graphql_api_id":"gid://shopify/Order/5000000001","updated_at":"2026-01-02T10:00:00+01:00"}`},
		{"orders/paid", `{"id":5000000001}`},
		{"products/update", `{"id":7,"title":"Mug"}`},
		{"inventory_levels/update", `{"inventory_item_id":42,"location_id":1,"available":3}`},
		{"inventory_levels/update", `{"location_id":1}`},
		{"orders/create", `{"name":"#1001"}`},
		{"orders/create", `not json`},
		{"orders/create", ``},
		{"orders/create", `{"id":{"$gt":""}}`},
		{"orders/create", `{"id":1e400}`},
		{"app/uninstalled", `{}`},
	}
	for _, s := range seeds {
		f.Add(s.topic, []byte(s.body), true, "")
	}
	f.Add("orders/create", []byte(`{"id":1}`), false, "bm90IGEgc2lnbmF0dXJl")
	f.Fuzz(func(t *testing.T, topic string, body []byte, sign bool, rawSig string) {
		h := http.Header{}
		h.Set("X-Shopify-Topic", topic)
		h.Set("X-Shopify-Shop-Domain", "demo.myshopify.com")
		h.Set("X-Shopify-Webhook-Id", "fuzz")
		sig := rawSig
		if sign {
			sig = sign64(secret, body)
		}
		h.Set("X-Shopify-Hmac-Sha256", sig)
		res, err := l.HandleWebhook(context.Background(), sdk.Webhook{Header: h, Body: body})
		if err != nil {
			c := sdk.ClassOf(err)
			if c != sdk.ClassUnauthenticated && c != sdk.ClassInvalid {
				t.Fatalf("refusal of class %q: %v", c, err)
			}
			if !sign && sig != sign64(secret, body) && c != sdk.ClassUnauthenticated {
				t.Fatalf("an unsigned delivery got past the signature: %v", err)
			}
			return
		}
		if !sign && sig != sign64(secret, body) {
			t.Fatalf("a delivery with a made-up signature was accepted: %+v", res)
		}
		_, known := topicEvents[topic]
		if known != (len(res.Events) == 1) || len(res.Events) > 1 {
			t.Fatalf("topic %q (known %v) gave %d events", topic, known, len(res.Events))
		}
		for _, e := range res.Events {
			if e.Type == "" || e.ID == "" {
				t.Fatalf("an event without type or object: %+v", e)
			}
		}
	})
}

// sign64 is the X-Shopify-Hmac-Sha256 value of body under secret.
func sign64(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
