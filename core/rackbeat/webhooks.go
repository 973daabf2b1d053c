package rackbeat

import (
	"context"
	"net/http"
	"strconv"
)

// Webhook is a registration of a URL for one Rackbeat event.
type Webhook struct {
	ID       int64  `json:"id"`
	Event    string `json:"event"`
	URL      string `json:"url"`
	IsActive bool   `json:"is_active"`
	// Token is set only in the answer to CreateWebhook: Rackbeat shows it
	// once. Store it (as a secret) to check deliveries with ParseWebhook.
	Token string `json:"token,omitempty"`
}

// Webhooks reads every webhook registration of the account.
func (c *Client) Webhooks(ctx context.Context) ([]Webhook, error) {
	return Collect(all[Webhook](ctx, c, list{path: "webhooks", key: "webhooks", what: "webhooks"}, Filter{}))
}

// CreateWebhook registers url for event (e.g. "product.updated") and
// returns the registration with its token.
func (c *Client) CreateWebhook(ctx context.Context, event, url string) (Webhook, error) {
	body := map[string]any{"event": event, "url": url, "is_active": true}
	var w Webhook
	err := c.one(ctx, request{method: http.MethodPost, path: "webhooks", body: body, op: "register webhook for " + quote(event)}, "webhook", &w)
	return w, err
}

// DeleteWebhook removes a webhook registration.
func (c *Client) DeleteWebhook(ctx context.Context, id int64) error {
	n := strconv.FormatInt(id, 10)
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "webhooks/" + n, op: "delete webhook " + n}, nil)
	return err
}
