package shopbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
)

// FuzzHandleWebhook feeds the push parser arbitrary bodies and events,
// signed with push_secret or with a made-up signature. It must never
// panic; a refusal is unauthenticated or invalid; an accepted push of a
// known event yields one event naming the basket.
func FuzzHandleWebhook(f *testing.F) {
	const secret = "fuzz-push-secret"
	l := &Link{s: Settings{PushSecret: secret}}
	for _, s := range []struct{ event, body string }{
		{TopicBasketCreated, `{"uid":123,"creation_time":1738334934,"updated_time":1738334934}`},
		{TopicBasketCanceled, `{"uid":"123","updated_time":1738334999}`},
		{TopicBasketCreated, `{"uid":null}`},
		{TopicBasketCreated, `{"uid":{"a":1}}`},
		{TopicBasketCreated, `{"uid":1,"creation_time":"yesterday"}`},
		{TopicBasketCreated, `{"uid":1,"creation_time":-9223372036854775808}`},
		{"basket.unknown", `{"uid":1}`},
		{TopicBasketCreated, `[]`},
		{TopicBasketCreated, ``},
	} {
		f.Add(s.event, []byte(s.body), true, "")
	}
	f.Add(TopicBasketCreated, []byte(`{"uid":1}`), false, "sha256=00")
	f.Fuzz(func(t *testing.T, event string, body []byte, sign bool, rawSig string) {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		good := "sha256=" + hex.EncodeToString(mac.Sum(nil))
		sig := rawSig
		if sign {
			sig = good
		}
		h := http.Header{}
		h.Set("X-Shopbox-Event", event)
		h.Set("X-Shopbox-Signature", sig)
		res, err := l.HandleWebhook(context.Background(), sdk.Webhook{Header: h, Body: body})
		forged := !sign && !hmac.Equal([]byte(sig), []byte(good))
		if err != nil {
			c := sdk.ClassOf(err)
			if c != sdk.ClassUnauthenticated && c != sdk.ClassInvalid {
				t.Fatalf("refusal of class %q: %v", c, err)
			}
			if forged && c != sdk.ClassUnauthenticated {
				t.Fatalf("a forged push got past the signature: %v", err)
			}
			return
		}
		if forged {
			t.Fatalf("a push with a made-up signature was accepted: %+v", res)
		}
		known := event == TopicBasketCreated || event == TopicBasketCanceled
		if known != (len(res.Events) == 1) || len(res.Events) > 1 {
			t.Fatalf("event %q (known %v) gave %d events", event, known, len(res.Events))
		}
		for _, e := range res.Events {
			if e.Type == "" || e.ID == "" {
				t.Fatalf("an event without type or basket: %+v", e)
			}
		}
		if res.DeliveryID == "" {
			t.Fatalf("an accepted push without a delivery id")
		}
	})
}
