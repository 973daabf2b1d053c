package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sdk"
)

// ChannelWebhook takes a delivery for a link: the link's connector verifies
// and reads it, then its delivery id and the jobs it causes commit in one
// transaction, and only then is the sender answered. A repeated delivery
// id commits nothing and is answered as a success, so the sender stops.
func (h *Host) ChannelWebhook(ctx context.Context, linkID string, hdr http.Header, body []byte) error {
	l := h.link(linkID)
	if l == nil {
		return sdk.NotFound("no open link %q", linkID)
	}
	res, err := l.plugin.HandleWebhook(ctx, sdk.Webhook{Header: hdr, Body: body})
	if err != nil {
		return err
	}
	jobs := h.jobsForChannelEvents(l, res.Events)
	return h.commitDelivery(ctx, "link:"+linkID, res.DeliveryID, body, jobs, nil)
}

// jobsForChannelEvents turns a channel's events into the link's jobs.
func (h *Host) jobsForChannelEvents(l *Link, events []sdk.Event) []schedule.Args {
	var jobs []schedule.Args
	for _, e := range events {
		switch {
		case strings.HasPrefix(e.Type, "order.") && l.orders != nil && e.ID != "":
			jobs = append(jobs, schedule.OrdersImport{Link: l.cfg.ID, ChannelOrderID: e.ID, Source: "webhook"})
		case strings.HasPrefix(e.Type, "product.") && l.products != nil && pullsProducts(l.cfg.Products.Direction):
			// One pull per link, not one job per product: the pull reads
			// every change since the cursor. Pulls coalesce, so a burst of
			// changes is one pull and a change announced while a pull runs
			// gets one pull after it; the delay keeps it from starting
			// before the connector's cursor has caught up with the change.
			// It is a long job like the periodic pull: a reload's drain
			// cancels it rather than waiting, and it goes on from the saved
			// cursor after the swap.
			jobs = append(jobs, schedule.ProductsPull{Link: l.cfg.ID, Source: "webhook", Delay: channelPullLag})
		}
		// Channel stock events are not work: Rackbeat is the system of
		// record for stock, and pushing its number back on every channel
		// move would race the channel's own order reservations.
	}
	return jobs
}

// channelPullLag is how long a webhook-caused pull waits in the queue
// before it starts: a connector's cursor trails the clock (Shopify's by one
// to two seconds, so that a second still changing is read whole), and a
// pull started at once would not yet see the change it was called for.
const channelPullLag = 2500 * time.Millisecond

func pullsProducts(direction string) bool { return direction == "channel" || direction == "both" }
func pushesProducts(direction string) bool {
	return direction == "inventory" || direction == "both"
}

// commitDelivery records a delivery as seen and enqueues its jobs, all or
// nothing. Without a delivery id the body's hash stands in, which still
// drops a sender's retries of the same delivery.
func (h *Host) commitDelivery(ctx context.Context, source, deliveryID string, body []byte, jobs []schedule.Args, also func(*state.Tx) error) error {
	if deliveryID == "" {
		sum := sha256.Sum256(body)
		deliveryID = "sha256:" + hex.EncodeToString(sum[:])
	}
	err := h.db.InTx(ctx, func(tx *state.Tx) error {
		first, err := tx.MarkDeliverySeen(source, deliveryID)
		if err != nil || !first {
			return err
		}
		if also != nil {
			if err := also(tx); err != nil {
				return err
			}
		}
		for _, j := range jobs {
			if _, err := h.sched.EnqueueTx(ctx, tx, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return sdk.Retryable(0, "record delivery %s: %w", deliveryID, err)
	}
	return nil
}

// rackbeatEvents are the Rackbeat webhooks the host subscribes: product
// changes for links that push products, new BOMs for those that also
// create BOMs, stock moves for links that sync stock.
var rackbeatEvents = []string{"product.created", "product.updated", "product.deleted", "lot.created", "inventory.changed"}

// pushesBOMs says whether a link creates Rackbeat's BOMs in the channel
// (Shopbox seed: "Opprett strukturvarer fra Rackbeat i Shopbox", only with
// products from Rackbeat or both ways).
func pushesBOMs(lc *config.Link) bool {
	return lc.Products.CreateBOMs && pushesProducts(lc.Products.Direction)
}

// RackbeatWebhook takes a Rackbeat delivery: the token is checked against
// every token the host knows, then each link that follows the change gets
// its push job.
func (h *Host) RackbeatWebhook(ctx context.Context, hdr http.Header, body []byte) error {
	tokens := h.rackbeatTokens(ctx)
	if len(tokens) == 0 {
		return sdk.Unauthenticated("no Rackbeat webhook token is known: set rackbeat.webhook_token or let the host subscribe (server.public_url)")
	}
	var ev rackbeat.Event
	var err error
	for _, t := range tokens {
		if ev, err = rackbeat.ParseWebhook(hdr, body, t); err == nil {
			break
		}
	}
	if err != nil {
		if errors.Is(err, rackbeat.ErrTokenMissing) || errors.Is(err, rackbeat.ErrTokenMismatch) {
			return sdk.Unauthenticated("rackbeat webhook: %v", err)
		}
		return sdk.Invalid("body", "rackbeat webhook: %v", err)
	}
	sku := ev.Key
	if ev.NewKey != "" {
		sku = ev.NewKey
	}
	// A product or stock event that names no product is not Rackbeat's
	// (its deliveries always carry the key): refuse it with a reason
	// instead of acknowledging it and noting a stock change for SKU "".
	if sku == "" && (ev.Name == "inventory.changed" || ev.Name == "lot.created" || strings.HasPrefix(ev.Name, "product.")) {
		return sdk.Invalid("key", "rackbeat webhook: the %s event names no product (its \"key\" is missing or empty)", ev.Name)
	}
	// A stock move is noted per link and drained by one flush job per
	// link, so a burst becomes a few batched writes; product changes are
	// one job per SKU, which coalesce while they wait.
	var jobs []schedule.Args
	var stockLinks []string
	for _, l := range h.openLinks() {
		if l.stock != nil && (ev.Name == "inventory.changed" || ev.Name == "product.created") {
			stockLinks = append(stockLinks, l.cfg.ID)
			jobs = append(jobs, schedule.StockPush{Link: l.cfg.ID})
		}
		if strings.HasPrefix(ev.Name, "product.") && l.products != nil && pushesProducts(l.cfg.Products.Direction) {
			jobs = append(jobs, schedule.ProductsPush{Link: l.cfg.ID, SKU: sku})
		}
		if ev.Name == "lot.created" && l.products != nil && pushesBOMs(l.cfg) {
			jobs = append(jobs, schedule.ProductsPush{Link: l.cfg.ID, SKU: sku})
		}
	}
	return h.commitDelivery(ctx, "rackbeat", hdr.Get("Rackbeat-Webhook-Id"), body, jobs, func(tx *state.Tx) error {
		for _, link := range stockLinks {
			if err := tx.NoteStockChange(link, sku); err != nil {
				return err
			}
		}
		return nil
	})
}

// rackbeatTokenSecret names the state secret holding the token Rackbeat
// issued for one event's subscription to one URL: hosts sharing a database
// each subscribe their own URL and must not overwrite each other's tokens.
func rackbeatTokenSecret(event, url string) string {
	sum := sha256.Sum256([]byte(url))
	return "webhook-token:" + event + ":" + hex.EncodeToString(sum[:6])
}

// rackbeatHookURL is where this host asks Rackbeat to deliver.
func (h *Host) rackbeatHookURL() string {
	return strings.TrimRight(h.cfg.Server.PublicURL, "/") + "/hooks/rackbeat"
}

const rackbeatSecretLink = "rackbeat"

func (h *Host) rackbeatTokens(ctx context.Context) []string {
	var out []string
	if t := h.cfg.Rackbeat.WebhookToken.Value(); t != "" {
		out = append(out, t)
	}
	for _, ev := range rackbeatEvents {
		if s, ok, err := h.db.GetSecret(ctx, rackbeatSecretLink, rackbeatTokenSecret(ev, h.rackbeatHookURL())); err == nil && ok {
			out = append(out, s.Value)
		}
	}
	h.mu.Lock()
	out = append(out, h.memTokens...)
	h.mu.Unlock()
	return out
}

// subscribeWebhooks asks every channel and Rackbeat to call the host. It
// needs server.public_url, the address they can reach; without it the host
// relies on its periodic pulls and reconciliations.
func (h *Host) subscribeWebhooks(ctx context.Context) {
	base := strings.TrimRight(h.cfg.Server.PublicURL, "/")
	if base == "" {
		h.log.Info("server.public_url is not set: no webhooks; changes arrive by the periodic pulls")
		return
	}
	for _, l := range h.openLinks() {
		if !l.plugin.Has(sdk.CapWebhooks) {
			continue
		}
		subs, err := l.plugin.EnsureWebhooks(ctx, base+"/hooks/"+l.cfg.ID, nil)
		if err != nil {
			h.log.Warn("channel webhooks not subscribed; the periodic pulls still run", "link", l.cfg.ID, "error", err)
			continue
		}
		h.log.Info("channel webhooks subscribed", "link", l.cfg.ID, "topics", len(subs))
	}
	h.subscribeRackbeat(ctx, h.rackbeatHookURL())
}

func (h *Host) subscribeRackbeat(ctx context.Context, url string) {
	var want []string
	for _, l := range h.openLinks() {
		if l.cfg.Stock.Enabled {
			want = append(want, "inventory.changed")
		}
		if pushesProducts(l.cfg.Products.Direction) {
			want = append(want, "product.created", "product.updated", "product.deleted")
		}
		if pushesBOMs(l.cfg) {
			want = append(want, "lot.created")
		}
	}
	if len(want) == 0 {
		return
	}
	existing, err := h.rb.Webhooks(ctx)
	if err != nil {
		h.log.Warn("Rackbeat webhooks not subscribed; the periodic reconciliations still run", "error", err)
		return
	}
	seen := map[string]bool{}
	for _, ev := range want {
		if !seen[ev] {
			seen[ev] = true
			h.ensureRackbeatWebhook(ctx, existing, ev, url)
		}
	}
	h.log.Info("Rackbeat webhooks subscribed", "url", url)
}

// ensureRackbeatWebhook keeps a subscription whose token the host holds,
// and replaces one whose token it lost: Rackbeat shows a token only when it
// creates the subscription, and without it no delivery can be checked.
func (h *Host) ensureRackbeatWebhook(ctx context.Context, existing []rackbeat.Webhook, event, url string) {
	_, known, _ := h.db.GetSecret(ctx, rackbeatSecretLink, rackbeatTokenSecret(event, url))
	for _, w := range existing {
		if w.Event != event || w.URL != url {
			continue
		}
		if known {
			return
		}
		_ = h.rb.DeleteWebhook(ctx, w.ID)
	}
	w, err := h.rb.CreateWebhook(ctx, event, url)
	if err != nil {
		h.log.Warn("Rackbeat webhook not subscribed", "event", event, "error", err)
		return
	}
	if err := h.db.PutSecret(ctx, rackbeatSecretLink, rackbeatTokenSecret(event, url), w.Token, time.Time{}); err != nil {
		// Without SHOPBRIDGE_STATE_KEY the token lives until the host
		// stops; the next start subscribes again.
		h.mu.Lock()
		h.memTokens = append(h.memTokens, w.Token)
		h.mu.Unlock()
	}
}
