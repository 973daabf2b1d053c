package host

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/flow"
	"github.com/shopbridge/shopbridge/core/plugin"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sdk"
)

// Link is one open link: its settings, its connector, and its flows. A
// flow is nil when the link's settings turn it off or its connector lacks
// the capability.
type Link struct {
	cfg      *config.Link
	plugin   *plugin.Link
	orders   *flow.Orders
	products *flow.Products
	stock    *flow.Stock
	initial  *flow.InitialSync
}

// ID is the link's id.
func (l *Link) ID() string { return l.cfg.ID }

// Connector is the link's open connector handle.
func (l *Link) Connector() *plugin.Link { return l.plugin }

// Orders is the link's order flow, or nil.
func (l *Link) Orders() *flow.Orders { return l.orders }

func (h *Host) link(id string) *Link {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.links[id]
}

// linkConfig finds a link in the configuration.
func (h *Host) linkConfig(id string) (*config.Link, error) {
	for i := range h.cfg.Links {
		if h.cfg.Links[i].ID == id {
			return &h.cfg.Links[i], nil
		}
	}
	ids := make([]string, len(h.cfg.Links))
	for i, l := range h.cfg.Links {
		ids[i] = l.ID
	}
	return nil, sdk.NotFound("no link %q in the configuration (links: %s)", id, strings.Join(ids, ", "))
}

// credentialsSecret names the state secret holding a link's OAuth
// credentials (see `shopbridge connect`).
const credentialsSecret = "credentials"

// OpenLink opens a configured link on its connector and builds its flows,
// or returns it if it is open already.
func (h *Host) OpenLink(ctx context.Context, id string) (*Link, error) {
	if l := h.link(id); l != nil {
		return l, nil
	}
	lc, err := h.linkConfig(id)
	if err != nil {
		return nil, err
	}
	if lc.Disabled {
		return nil, fmt.Errorf("link %s is disabled in the configuration", id)
	}
	pl, err := h.plugins.Open(ctx, lc, plugin.WithCredentials(func() *sdk.Credentials { return h.credentials(lc.ID) }))
	if err != nil {
		return nil, err // the plugin manager's error names the link
	}
	name, version := pl.Connector()
	// The store keeps when a link first ran: that bounds what the periodic
	// order pull imports (see jobOrdersPull).
	if err := h.db.UpsertLink(ctx, state.Link{ID: id, Connector: name, ConnectorVersion: version}); err != nil {
		return nil, fmt.Errorf("link %s: record it in the store: %w", id, err)
	}
	l := &Link{cfg: lc, plugin: pl}
	if err := h.buildFlows(ctx, l); err != nil {
		_ = pl.Close(ctx)
		return nil, err
	}
	h.log.Info("link open", "link", id, "connector", name, "version", version, "account", pl.Account())

	h.mu.Lock()
	defer h.mu.Unlock()
	if existing := h.links[id]; existing != nil {
		return existing, nil
	}
	h.links[id] = l
	return l, nil
}

// buildFlows makes the flows the link's settings and connector allow.
func (h *Host) buildFlows(ctx context.Context, l *Link) error {
	lc, pl := l.cfg, l.plugin
	desc := pl.Description()
	channel := desc.DisplayName
	if channel == "" {
		channel = strings.ToUpper(desc.Name[:1]) + desc.Name[1:]
	}
	stock := h.stockSettings(ctx, l)
	if lc.Orders.Enabled && pl.Has(sdk.CapOrdersRead) {
		l.orders = &flow.Orders{
			Link: lc.ID, Channel: channel, Settings: lc.Orders, VATRate: lc.Products.VATRate,
			Locations: flow.NewLocationMap(stock), Source: pl, Inventory: h.rb, Store: flowStore{h.db},
			Log: h.log.Named("orders").With("link", lc.ID), Customers: &h.customers, Lease: h.orderLease,
		}
	}
	return h.buildProductFlows(l, stock)
}

// credentials reads a link's stored OAuth credentials, if any. Without a
// state key there are none to read; the link then uses its settings.
func (h *Host) credentials(link string) *sdk.Credentials {
	s, ok, err := h.db.GetSecret(context.Background(), link, credentialsSecret)
	if err != nil || !ok {
		return nil
	}
	var c sdk.Credentials
	if json.Unmarshal([]byte(s.Value), &c) != nil {
		return nil
	}
	return &c
}
