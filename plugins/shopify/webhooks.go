package shopify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/plugins/shopify/graphql"
	"github.com/shopbridge/shopbridge/sdk"
)

// topicEnum turns a header topic (orders/create) into the GraphQL enum
// (ORDERS_CREATE).
func topicEnum(t string) string { return strings.ToUpper(strings.ReplaceAll(t, "/", "_")) }

// EnsureWebhooks subscribes each topic to callbackURL unless a subscription
// of the topic to that URL exists already.
func (l *link) EnsureWebhooks(ctx context.Context, callbackURL string, topics []string) ([]sdk.WebhookSubscription, error) {
	if len(topics) == 0 {
		topics = WebhookTopics
	}
	have := map[string]string{} // enum topic → id, for this URL
	var after any
	for {
		var resp struct {
			WebhookSubscriptions struct {
				Nodes []struct {
					ID    string `json:"id"`
					Topic string `json:"topic"`
					URI   string `json:"uri"`
				} `json:"nodes"`
				PageInfo pageInfo `json:"pageInfo"`
			} `json:"webhookSubscriptions"`
		}
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.Webhooks, Variables: map[string]any{"first": 100, "after": after}, Cost: 102}, &resp); err != nil {
			return nil, err
		}
		for _, n := range resp.WebhookSubscriptions.Nodes {
			if n.URI == callbackURL {
				have[n.Topic] = n.ID
			}
		}
		if !resp.WebhookSubscriptions.PageInfo.HasNextPage {
			break
		}
		after = resp.WebhookSubscriptions.PageInfo.after()
	}
	out := make([]sdk.WebhookSubscription, 0, len(topics))
	for _, t := range topics {
		enum := topicEnum(t)
		if id, ok := have[enum]; ok {
			out = append(out, sdk.WebhookSubscription{Topic: t, ID: id})
			continue
		}
		var resp struct {
			WebhookSubscriptionCreate *struct {
				WebhookSubscription *struct {
					ID string `json:"id"`
				} `json:"webhookSubscription"`
				UserErrors []userError `json:"userErrors"`
			} `json:"webhookSubscriptionCreate"`
		}
		vars := map[string]any{"topic": enum, "sub": map[string]any{"uri": callbackURL, "format": "JSON"}}
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.WebhookCreate, Variables: vars, Cost: 11}, &resp); err != nil {
			return nil, err
		}
		p := resp.WebhookSubscriptionCreate
		if p == nil {
			return nil, sdk.Retryable(time.Second, "shopify: webhookSubscriptionCreate answered without a payload")
		}
		if err := payloadError("subscribe "+t, p.UserErrors); err != nil {
			return nil, err
		}
		if p.WebhookSubscription == nil {
			return nil, sdk.Retryable(time.Second, "shopify: webhookSubscriptionCreate created nothing for %s", t)
		}
		out = append(out, sdk.WebhookSubscription{Topic: t, ID: p.WebhookSubscription.ID, Created: true})
	}
	return out, nil
}

// VerifyWebhook checks X-Shopify-Hmac-Sha256: the base64 HMAC-SHA256 of the
// raw body keyed with the app's client secret, compared in constant time.
func VerifyWebhook(secret string, body []byte, signature string) bool {
	if secret == "" || signature == "" {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(signature))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

var topicEvents = map[string]string{
	"orders/create":           sdk.EventOrderCreated,
	"orders/paid":             sdk.EventOrderPaid,
	"orders/updated":          sdk.EventOrderUpdated,
	"orders/cancelled":        sdk.EventOrderCancelled,
	"orders/fulfilled":        sdk.EventOrderFulfilled,
	"products/create":         sdk.EventProductCreated,
	"products/update":         sdk.EventProductUpdated,
	"products/delete":         sdk.EventProductDeleted,
	"inventory_levels/update": sdk.EventStockUpdated,
}

// HandleWebhook verifies a delivery and turns it into events.
func (l *link) HandleWebhook(_ context.Context, w sdk.Webhook) (sdk.WebhookResult, error) {
	if l.settings.ClientSecret == "" {
		return sdk.WebhookResult{}, sdk.Unauthenticated("shopify: the link has no client_secret, so no webhook can be verified: set client_secret")
	}
	if !VerifyWebhook(l.settings.ClientSecret, w.Body, w.Header.Get("X-Shopify-Hmac-Sha256")) {
		return sdk.WebhookResult{}, sdk.Unauthenticated("shopify: webhook signature (X-Shopify-Hmac-Sha256) is missing or does not verify")
	}
	if d := strings.ToLower(w.Header.Get("X-Shopify-Shop-Domain")); d != "" && d != l.settings.Shop {
		return sdk.WebhookResult{}, sdk.Unauthenticated("shopify: webhook is from shop %q, not this link's %q", d, l.settings.Shop)
	}
	res := sdk.WebhookResult{DeliveryID: w.Header.Get("X-Shopify-Webhook-Id")}
	topic := w.Header.Get("X-Shopify-Topic")
	typ, ok := topicEvents[topic]
	if !ok {
		// A topic we did not subscribe: acknowledge it, do nothing.
		return res, nil
	}
	var body struct {
		ID              json.Number `json:"id"`
		AdminGraphqlAPI string      `json:"admin_graphql_api_id"`
		UpdatedAt       string      `json:"updated_at"`
		InventoryItemID json.Number `json:"inventory_item_id"`
		LocationID      json.Number `json:"location_id"`
	}
	dec := json.NewDecoder(strings.NewReader(string(w.Body)))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return res, sdk.Invalid("body", "shopify: the %s webhook body is not JSON: %v", topic, err)
	}
	ev := sdk.Event{Type: typ}
	if t, err := time.Parse(time.RFC3339, body.UpdatedAt); err == nil {
		ev.OccurredAt = t
	} else if t, err := time.Parse(time.RFC3339, w.Header.Get("X-Shopify-Triggered-At")); err == nil {
		ev.OccurredAt = t
	}
	switch {
	case typ == sdk.EventStockUpdated:
		if body.InventoryItemID == "" {
			return res, sdk.Invalid("inventory_item_id", "shopify: inventory_levels/update without inventory_item_id")
		}
		ev.ID = gidOf("InventoryItem", body.InventoryItemID)
	case body.AdminGraphqlAPI != "":
		ev.ID = body.AdminGraphqlAPI
	case body.ID != "":
		kind := "Order"
		if strings.HasPrefix(topic, "products/") {
			kind = "Product"
		}
		ev.ID = gidOf(kind, body.ID)
	default:
		return res, sdk.Invalid("id", "shopify: the %s webhook names no object", topic)
	}
	res.Events = append(res.Events, ev)
	return res, nil
}

func gidOf(kind string, n json.Number) string {
	if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
		return n.String()
	}
	return "gid://shopify/" + kind + "/" + n.String()
}
