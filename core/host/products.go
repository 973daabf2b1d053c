package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/shopbridge/shopbridge/config"
	"github.com/shopbridge/shopbridge/core/flow"
	"github.com/shopbridge/shopbridge/core/mapping"
	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sdk"
)

// buildProductFlows makes the link's products, stock and initial-sync
// flows, as far as its settings ask and its connector can.
func (h *Host) buildProductFlows(l *Link, stock config.StockSettings) error {
	lc, pl := l.cfg, l.plugin
	name, _ := pl.Connector()
	rules, err := mapping.NewLinkRules(name, lc.Products, lc.Orders.Currency, "links["+lc.ID+"].products.rules")
	if err != nil {
		return fmt.Errorf("link %s: %w", lc.ID, err)
	}
	log := h.log.With("link", lc.ID)
	locations := flow.NewLocationMap(stock)
	if def := lc.Stock.DefaultChannelLocation; def != "" {
		// Only a location the operator chose takes the unmapped Rackbeat
		// locations' stock, not the channel's default the host filled in.
		locations.SendUnmappedTo(def)
	}

	if d := lc.Products.Direction; d != "off" && d != "" {
		var missing []sdk.Capability
		if pullsProducts(d) && !pl.Has(sdk.CapProductsRead) {
			missing = append(missing, sdk.CapProductsRead)
		}
		if pushesProducts(d) && !pl.Has(sdk.CapProductsWrite) {
			missing = append(missing, sdk.CapProductsWrite)
		}
		if len(missing) > 0 {
			log.Warn("products flow off: the connector lacks a capability the direction needs", "direction", d, "missing", missing)
		} else {
			l.products = &flow.Products{
				Link: lc.ID, Direction: d, Rules: rules, CreateBOMs: lc.Products.CreateBOMs,
				Channel: pl, Inventory: h.rb, Store: flowStore{h.db}, Log: log.Named("products"),
			}
			if sp := lc.Orders.ShippingProduct; sp != "" {
				l.products.Exclude = map[string]string{sp: "the shipping product (orders.shipping_product) is never synced"}
			}
		}
	}
	if lc.Stock.Enabled {
		if pl.Has(sdk.CapStockWrite) {
			l.stock = &flow.Stock{
				Link: lc.ID, Quantity: lc.Stock.Quantity, Locations: locations,
				Channel: pl, Inventory: h.rb, Store: flowStore{h.db}, Log: log.Named("stock"),
			}
		} else {
			log.Warn("stock flow off: the connector cannot write stock")
		}
	}
	if pl.Has(sdk.CapProductsRead) {
		l.initial = &flow.InitialSync{
			Link: lc.ID, Mode: lc.InitialSync, Stock: pl.Has(sdk.CapStockRead), Rules: rules,
			Locations: locations, DefaultLocation: int64(lc.Stock.DefaultRackbeatLocation),
			Channel: pl, Inventory: h.rb, Store: flowStore{h.db}, Log: log.Named("initial_sync"),
		}
	}
	return nil
}

// stockSettings are the link's stock settings with the channel's default
// location filled in when the config leaves it out, so that "all Rackbeat
// locations feed the shop" names the shop's real primary location and a
// stock read from the channel matches what is written.
func (h *Host) stockSettings(ctx context.Context, l *Link) config.StockSettings {
	st := l.cfg.Stock
	if st.DefaultChannelLocation != "" || !l.plugin.Has(sdk.CapLocations) {
		return st
	}
	locs, err := l.plugin.ListLocations(ctx)
	if err != nil || len(locs) == 0 {
		h.log.Warn("channel locations not read; the connector's own default applies", "link", l.cfg.ID, "error", err)
		return st
	}
	def := locs[0].ID
	for _, loc := range locs {
		if loc.IsDefault && loc.Kind != "cash_register" {
			def = loc.ID
			break
		}
	}
	st.DefaultChannelLocation = def
	return st
}

// registerProductJobs registers the products, stock and initial-sync job
// handlers.
func (h *Host) registerProductJobs() {
	h.sched.Handle(schedule.KindProductsPush, h.observed(h.jobProductsPush))
	h.sched.Handle(schedule.KindProductsPull, h.observed(h.linkJob(func(ctx context.Context, l *Link) (flow.Report, error) { return l.products.Pull(ctx) })))
	h.sched.Handle(schedule.KindProductsReconcile, h.observed(h.linkJob(func(ctx context.Context, l *Link) (flow.Report, error) { return l.products.Reconcile(ctx) })))
	h.sched.Handle(schedule.KindStockPush, h.observed(h.jobStockPush))
	h.sched.Handle(schedule.KindStockReconcile, h.observed(h.jobStockReconcile))
	h.sched.Handle(schedule.KindInitialSync, h.observed(h.jobInitialSync))
}

func reportItems(r flow.Report) int {
	return r.ChannelCreated + r.ChannelUpdated + r.RackbeatCreated + r.RackbeatUpdated
}

// linkJob adapts a products run over a whole link to a job handler.
func (h *Host) linkJob(run func(context.Context, *Link) (flow.Report, error)) schedule.HandlerFunc {
	return func(ctx context.Context, job schedule.Job) error {
		l, err := h.OpenLink(ctx, job.Link)
		if err != nil {
			return err
		}
		if l.products == nil {
			return nil // the link's settings changed since the job was queued
		}
		rep, err := run(ctx, l)
		countItems(ctx, reportItems(rep))
		attrs := []any{"link", job.Link, "kind", job.Kind}
		// A pull a channel's webhook asked for says so; the periodic runs
		// carry no source.
		var src struct {
			Source string `json:"source"`
		}
		if json.Unmarshal(job.Args, &src) == nil && src.Source != "" {
			attrs = append(attrs, "source", src.Source)
		}
		h.log.Info("products run", append(attrs, "report", fmt.Sprintf("%+v", rep), "error", err)...)
		return jobError(err)
	}
}

func (h *Host) jobProductsPush(ctx context.Context, job schedule.Job) error {
	var a schedule.ProductsPush
	if err := decodeArgs(job, &a); err != nil {
		return err
	}
	l, err := h.OpenLink(ctx, a.Link)
	if err != nil {
		return err
	}
	if l.products == nil || !pushesProducts(l.cfg.Products.Direction) {
		return nil
	}
	rep, err := l.products.PushSKU(ctx, a.SKU)
	countItems(ctx, reportItems(rep))
	return jobError(err)
}

// defaultStockBatch is how many pending SKUs one stock flush job takes
// (Options.StockBatch); the flow writes them in the connector's batch size
// (250 for Shopify).
const defaultStockBatch = 1000

// jobStockPush writes stock to the channel. The link-wide push (no SKU)
// drains the SKUs Rackbeat's webhooks noted, in batches, and forgets each
// only after its write; a push for one SKU writes just that one.
func (h *Host) jobStockPush(ctx context.Context, job schedule.Job) error {
	var a schedule.StockPush
	if err := decodeArgs(job, &a); err != nil {
		return err
	}
	l, err := h.OpenLink(ctx, a.Link)
	if err != nil {
		return err
	}
	if l.stock == nil {
		return nil
	}
	if a.SKU != "" {
		rep, err := l.stock.PushSKUs(ctx, []string{a.SKU})
		countItems(ctx, rep.Rows)
		return jobError(err)
	}
	// One batch per job: stock keeps moving in a busy warehouse, and a job
	// that looped until nothing was pending would hold its link for as long
	// as the moves go on (a reload's drain waited for that). A full batch
	// queues a follow-up push for the rest, named after this job: a plain
	// StockPush{Link} could be taken for a duplicate of another push that is
	// already running past its own read of the pending set, and the rest
	// would wait for the next move or reconciliation.
	pending, err := h.db.PendingStock(ctx, a.Link, h.stockBatch)
	if err != nil || len(pending) == 0 {
		return err
	}
	skus := make([]string, len(pending))
	for i, p := range pending {
		skus[i] = p.SKU
	}
	rep, err := l.stock.PushSKUs(ctx, skus)
	countItems(ctx, rep.Rows)
	if err != nil {
		return jobError(err)
	}
	if err := h.db.ClearPendingStock(ctx, a.Link, pending); err != nil {
		return err
	}
	if len(pending) == h.stockBatch {
		if _, err := h.sched.Enqueue(ctx, schedule.StockPush{Link: a.Link, After: job.ID}); err != nil {
			return fmt.Errorf("queue the rest of link %s's pending stock: %w", a.Link, err)
		}
	}
	return nil
}

func (h *Host) jobStockReconcile(ctx context.Context, job schedule.Job) error {
	l, err := h.OpenLink(ctx, job.Link)
	if err != nil {
		return err
	}
	if l.stock == nil {
		return nil
	}
	rep, err := l.stock.Reconcile(ctx)
	countItems(ctx, rep.Rows)
	h.log.Info("stock reconciled", "link", job.Link, "report", fmt.Sprintf("%+v", rep), "error", err)
	return jobError(err)
}

func (h *Host) jobInitialSync(ctx context.Context, job schedule.Job) error {
	l, err := h.OpenLink(ctx, job.Link)
	if err != nil {
		return err
	}
	if l.initial == nil {
		return nil
	}
	rep, err := l.initial.Run(ctx, false)
	var ran state.ErrInitialSyncRan
	if errors.As(err, &ran) {
		return nil
	}
	countItems(ctx, rep.Created+rep.Updated)
	if l.cfg.InitialSync == "channel" {
		h.log.Info("initial sync", "link", job.Link, "report", fmt.Sprintf("%+v", rep), "error", err)
	}
	return jobError(err)
}

// schedulePeriodicProducts adds the link's product pulls, the
// reconciliations behind the webhooks, and its once-only initial sync.
func (h *Host) schedulePeriodicProducts(lc *config.Link, add func(kind string, every time.Duration) error) error {
	l := h.link(lc.ID)
	if l.products != nil {
		if pullsProducts(lc.Products.Direction) {
			if err := add(schedule.KindProductsPull, lc.Products.PullEvery); err != nil {
				return err
			}
		}
		if err := add(schedule.KindProductsReconcile, lc.Products.ReconcileEvery); err != nil {
			return err
		}
	}
	if l.stock != nil {
		if err := add(schedule.KindStockReconcile, lc.Stock.ReconcileEvery); err != nil {
			return err
		}
	}
	if l.initial != nil && lc.InitialSync != "" {
		if _, ran, err := h.db.InitialSync(context.Background(), lc.ID); err == nil && !ran {
			if _, err := h.sched.Enqueue(context.Background(), schedule.InitialSync{Link: lc.ID}); err != nil {
				return fmt.Errorf("queue the initial sync of link %s: %w", lc.ID, err)
			}
		}
	}
	return nil
}

// Flows returns a link's products and stock flows (for plan and sync).
func (h *Host) Flows(ctx context.Context, link string) (flow.LinkFlows, *flow.InitialSync, error) {
	l, err := h.OpenLink(ctx, link)
	if err != nil {
		return flow.LinkFlows{}, nil, err
	}
	return flow.LinkFlows{Link: link, Products: l.products, Stock: l.stock}, l.initial, nil
}
