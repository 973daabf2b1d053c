package shopbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/sdk"
)

// topicAliases lets the host name the push events by their sdk names.
var topicAliases = map[string]string{
	TopicBasketCreated:      TopicBasketCreated,
	TopicBasketCanceled:     TopicBasketCanceled,
	sdk.EventOrderCreated:   TopicBasketCreated,
	sdk.EventOrderCancelled: TopicBasketCanceled,
}

// EnsureWebhooks registers callbackURL for each topic unless it already is.
// Polling ReadOrders works without it; pushes only make orders arrive sooner.
func (l *Link) EnsureWebhooks(ctx context.Context, callbackURL string, topics []string) ([]sdk.WebhookSubscription, error) {
	if len(topics) == 0 {
		topics = []string{TopicBasketCreated, TopicBasketCanceled}
	}
	events := make([]string, len(topics))
	for i, t := range topics {
		ev, ok := topicAliases[t]
		if !ok {
			return nil, sdk.Invalid("topics", "%q is not a Shopbox push event (%s or %s)", t, TopicBasketCreated, TopicBasketCanceled)
		}
		events[i] = ev
	}
	have, err := l.c.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.WebhookSubscription, 0, len(topics))
	for i, ev := range events {
		sub := sdk.WebhookSubscription{Topic: topics[i]}
		for _, wh := range have {
			if wh.Event == ev && wh.URL == callbackURL {
				sub.ID = strconv.Itoa(wh.UID)
			}
		}
		if sub.ID == "" {
			wh, err := l.c.CreateWebhook(ctx, ev, callbackURL)
			if err != nil {
				return out, err
			}
			have = append(have, wh)
			sub.ID, sub.Created = strconv.Itoa(wh.UID), true
		}
		out = append(out, sub)
	}
	return out, nil
}

// HandleWebhook verifies a push: X-Shopbox-Signature must be "sha256=" and
// the hex HMAC-SHA256 of the raw body keyed with push_secret, compared in
// constant time. A basket.created push becomes order.created, a
// basket.canceled push order.cancelled, both with the basket uid.
func (l *Link) HandleWebhook(_ context.Context, w sdk.Webhook) (sdk.WebhookResult, error) {
	if l.s.PushSecret == "" {
		return sdk.WebhookResult{}, sdk.Unauthenticated("a Shopbox push cannot be verified: set push_secret on the link to the secret Shopbox signs pushes with")
	}
	sig, ok := strings.CutPrefix(header(w.Header, "X-Shopbox-Signature"), "sha256=")
	got, err := hex.DecodeString(sig)
	if !ok || err != nil || len(got) != sha256.Size {
		return sdk.WebhookResult{}, sdk.Unauthenticated("the push carries no valid X-Shopbox-Signature: refused")
	}
	mac := hmac.New(sha256.New, []byte(l.s.PushSecret))
	mac.Write(w.Body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return sdk.WebhookResult{}, sdk.Unauthenticated("the push signature does not match push_secret: refused (not sent by Shopbox, or push_secret is wrong)")
	}
	var b struct {
		UID          json.Number `json:"uid"`
		CreationTime int64       `json:"creation_time"`
		UpdatedTime  int64       `json:"updated_time"`
	}
	if err := json.Unmarshal(w.Body, &b); err != nil || b.UID == "" {
		return sdk.WebhookResult{}, sdk.Invalid("body", "the push body is not a Shopbox basket")
	}
	event := header(w.Header, "X-Shopbox-Event")
	res := sdk.WebhookResult{DeliveryID: header(w.Header, "X-Shopbox-Delivery")}
	if res.DeliveryID == "" {
		res.DeliveryID = event + ":" + b.UID.String() + ":" + strconv.FormatInt(b.UpdatedTime, 10)
	}
	switch event {
	case TopicBasketCreated:
		res.Events = []sdk.Event{{Type: sdk.EventOrderCreated, ID: b.UID.String(), OccurredAt: time.Unix(b.CreationTime, 0).UTC()}}
	case TopicBasketCanceled:
		res.Events = []sdk.Event{{Type: sdk.EventOrderCancelled, ID: b.UID.String(), OccurredAt: time.Unix(b.UpdatedTime, 0).UTC()}}
	}
	return res, nil
}

// header reads a header whatever the case its name arrived in.
func header(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}
