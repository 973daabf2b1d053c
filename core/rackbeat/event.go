package rackbeat

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Headers Rackbeat sets on webhook deliveries.
const (
	HeaderWebhookToken = "Rackbeat-Webhook-Token"
	HeaderWebhookEvent = "Rackbeat-Webhook-Event"
	HeaderAccountID    = "Rackbeat-Account-Id"
)

// Errors of ParseWebhook that say the sender is not Rackbeat; answer 401 and
// count them. Neither error ever carries a token.
var (
	ErrTokenMissing  = errors.New("rackbeat webhook: token missing")
	ErrTokenMismatch = errors.New("rackbeat webhook: token mismatch")
)

// Event is one webhook delivery from Rackbeat.
type Event struct {
	// Name is the event, e.g. "product.updated", "inventory.changed", "order.created".
	Name string
	// Key identifies the object (a product number, an order number), named by KeyName.
	Key     string
	KeyName string
	// OldKey and NewKey are set when an update changed the key (a product renumbered).
	OldKey, NewKey string
	AccountID      string
	// Changed lists what an update changed, as Rackbeat sent it (may be empty).
	Changed json.RawMessage
	// Data is the object as Rackbeat sent it (may be empty).
	Data json.RawMessage
}

// ParseWebhook checks a delivery's Rackbeat-Webhook-Token against wantToken
// (the token CreateWebhook returned), in constant time, and decodes the body.
// A missing or wrong token gives ErrTokenMissing or ErrTokenMismatch; a body
// that is not a Rackbeat event gives an error naming what is wrong.
func ParseWebhook(h http.Header, body []byte, wantToken string) (Event, error) {
	if wantToken == "" {
		return Event{}, errors.New("rackbeat webhook: no token is configured to check deliveries against; register the webhook again")
	}
	got := h.Get(HeaderWebhookToken)
	if got == "" {
		return Event{}, ErrTokenMissing
	}
	// Hashing first makes the comparison constant-time in the length too.
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(wantToken))
	if subtle.ConstantTimeCompare(g[:], w[:]) != 1 {
		return Event{}, ErrTokenMismatch
	}

	var raw struct {
		Event   Text            `json:"event"`
		Key     Text            `json:"key"`
		KeyName Text            `json:"key_name"`
		OldKey  Text            `json:"old_key"`
		NewKey  Text            `json:"new_key"`
		Changed json.RawMessage `json:"changed"`
		Data    json.RawMessage `json:"data"`
	}
	trimmedBody := bytes.TrimSpace(body)
	if len(trimmedBody) == 0 || trimmedBody[0] != '{' {
		return Event{}, errors.New("rackbeat webhook: body is not a JSON object")
	}
	if err := json.Unmarshal(trimmedBody, &raw); err != nil {
		return Event{}, fmt.Errorf("rackbeat webhook: malformed body: %w", err)
	}
	ev := Event{
		Name: string(raw.Event), Key: string(raw.Key), KeyName: string(raw.KeyName),
		OldKey: string(raw.OldKey), NewKey: string(raw.NewKey),
		AccountID: h.Get(HeaderAccountID),
		Changed:   nullToEmpty(raw.Changed), Data: nullToEmpty(raw.Data),
	}
	hdr := strings.TrimSpace(h.Get(HeaderWebhookEvent))
	switch {
	case ev.Name == "":
		ev.Name = hdr
	case hdr != "" && hdr != ev.Name:
		return Event{}, fmt.Errorf("rackbeat webhook: header says event %q, body says %q", hdr, ev.Name)
	}
	if ev.Name == "" {
		return Event{}, errors.New("rackbeat webhook: no event name in the body or the Rackbeat-Webhook-Event header")
	}
	return ev, nil
}

func nullToEmpty(m json.RawMessage) json.RawMessage {
	if string(bytes.TrimSpace(m)) == "null" {
		return nil
	}
	return m
}
