package flow

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/hashicorp/go-hclog"
	"github.com/shopspring/decimal"

	"github.com/shopbridge/shopbridge/core/mapping"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sdk"
)

// InitialChannel is the channel side of the initial sync.
type InitialChannel interface {
	ReadProducts(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error
	ReadStock(ctx context.Context, req sdk.StockReadRequest, emit func(sdk.StockPage) error) error
}

// InitialInventory is the Rackbeat side of the initial sync.
type InitialInventory interface {
	FindProduct(ctx context.Context, number string) (rackbeat.Product, bool, error)
	ProductsPage(ctx context.Context, page, limit int, f rackbeat.Filter) (rackbeat.Page[rackbeat.Product], error)
	CreateProduct(ctx context.Context, in rackbeat.ProductInput) (rackbeat.Product, error)
	UpdateProduct(ctx context.Context, number string, in rackbeat.ProductInput) (rackbeat.Product, error)
	ProductLocations(ctx context.Context, number string) ([]rackbeat.LocationStock, error)
	CreateInventoryAdjustment(ctx context.Context, in rackbeat.AdjustmentInput) (rackbeat.Adjustment, error)
}

// InitialStore is what the initial sync keeps in the host's store.
type InitialStore interface {
	InitialSync(ctx context.Context, link string) (state.InitialSyncRecord, bool, error)
	RecordInitialSync(ctx context.Context, link, result string) error
	ForceInitialSync(ctx context.Context, link, result string) error
	SetInitialSyncResult(ctx context.Context, link, result string) error
	Cursor(ctx context.Context, link, flow string) (string, bool, error)
	SetCursor(ctx context.Context, link, flow, value string) error
	UpsertProductBinding(ctx context.Context, b state.ProductBinding) error
}

// InitialCursorFlow is the cursor name of a running initial sync.
const InitialCursorFlow = "initial"

// Initial sync results as recorded in the store.
const (
	InitialStarted = "started"
	InitialNone    = "none"
)

// InitialSync brings the channel's products and stock into Rackbeat once
// per link, at installation (Shopbox seed: "Initial Sync … kan kun
// gjennomføres én gang"). Choosing "none" is recorded just the same, so
// the choice cannot be changed later. A sync that died half-way resumes
// from its cursor.
type InitialSync struct {
	Link string
	// Mode is "channel" (channel → Rackbeat) or "none".
	Mode string
	// Stock also carries the channel's stock levels to Rackbeat's
	// locations (through Locations; the default Rackbeat location when a
	// channel location is not mapped).
	Stock           bool
	Rules           mapping.LinkRules
	Locations       *LocationMap
	DefaultLocation int64 // Rackbeat location when nothing maps; 0: Rackbeat's default
	Channel         InitialChannel
	Inventory       InitialInventory
	Store           InitialStore
	// Progress is called after each page with the products done and the
	// channel's estimate of the total (0 when unknown), for a progress bar.
	Progress func(done, total int64)
	Log      hclog.Logger
	PageSize int

	index *catalogueIndex // Rackbeat's catalogue, read once per run
}

// InitialReport says what an initial sync did.
type InitialReport struct {
	Resumed   bool  `json:"resumed"`
	Created   int   `json:"created"`
	Updated   int   `json:"updated"` // mapped fields changed, or only the channel's ids written to the link's custom fields
	Unchanged int   `json:"unchanged"`
	Skipped   int   `json:"skipped"` // variants without SKU
	StockRows int   `json:"stock_rows"`
	Done      int64 `json:"done"`
}

// Run performs the link's initial sync. A second run is refused with
// state.ErrInitialSyncRan (saying when it ran) unless force is set by an
// operator who knows; a run that was interrupted resumes.
func (s *InitialSync) Run(ctx context.Context, force bool) (InitialReport, error) {
	var rep InitialReport
	rec, ok, err := s.Store.InitialSync(ctx, s.Link)
	if err != nil {
		return rep, err
	}
	cursor := ""
	switch {
	case ok && force:
		if err := s.Store.ForceInitialSync(ctx, s.Link, InitialStarted); err != nil {
			return rep, err
		}
		if err := s.Store.SetCursor(ctx, s.Link, InitialCursorFlow, ""); err != nil {
			return rep, err
		}
	case ok && rec.Result == InitialStarted:
		rep.Resumed = true
		if cursor, _, err = s.Store.Cursor(ctx, s.Link, InitialCursorFlow); err != nil {
			return rep, err
		}
	case ok:
		return rep, state.ErrInitialSyncRan{Link: s.Link, At: rec.RanAt}
	default:
		if err := s.Store.RecordInitialSync(ctx, s.Link, InitialStarted); err != nil {
			return rep, err
		}
	}
	if s.Mode != "channel" {
		return rep, s.Store.SetInitialSyncResult(ctx, s.Link, InitialNone)
	}
	pageSize := s.PageSize
	if pageSize <= 0 {
		pageSize = 100
	}
	if err := s.loadIndex(ctx); err != nil {
		return rep, err
	}
	// The index is the run's: a host keeps its links' InitialSync values
	// for as long as it runs.
	defer func() { s.index = nil }()
	// Progress counts products, the unit the channel estimates its total
	// in; the report counts variants.
	var products int64
	err = s.Channel.ReadProducts(ctx, sdk.ReadRequest{Cursor: cursor, PageSize: pageSize, AllowBulk: true}, func(p sdk.ProductPage) error {
		products += int64(len(p.Items))
		bindings, err := s.page(ctx, p, &rep)
		if err != nil {
			return err
		}
		if err := s.commit(ctx, bindings, p.Cursor); err != nil {
			return err
		}
		if s.Progress != nil {
			s.Progress(products, p.TotalEstimate)
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("initial sync of link %s stopped (run it again to resume where it stopped): %w", s.Link, err)
	}
	result := fmt.Sprintf("done: %d created, %d updated, %d unchanged, %d stock levels", rep.Created, rep.Updated, rep.Unchanged, rep.StockRows)
	return rep, s.Store.SetInitialSyncResult(ctx, s.Link, result)
}

// page creates or updates one page of channel variants in Rackbeat (the
// channel wins: it is the direction of the initial sync) and sets their
// stock. It returns the page's bindings for commit to write.
func (s *InitialSync) page(ctx context.Context, p sdk.ProductPage, rep *InitialReport) ([]state.ProductBinding, error) {
	bindings := make([]state.ProductBinding, 0, len(p.Items))
	createdNow := map[string]bool{}
	var skus []string
	for _, prod := range p.Items {
		for _, v := range prod.Variants {
			rep.Done++
			if v.SKU == "" {
				rep.Skipped++
				continue
			}
			in, err := mapping.ToRackbeat(prod, v, s.Rules)
			if err != nil {
				return nil, err
			}
			in.Group = s.Rules.GroupFor(prod.Category)
			if in.Group == 0 {
				return nil, errors.New("products.default_group is not set: new products need a Rackbeat product group")
			}
			ids := (&Products{Rules: s.Rules}).idFields(prod.ID, v.ID, nil)
			in.FieldValues = ids
			// A product Rackbeat has (known from the catalogue read at the
			// start) is compared here instead of asked for one by one:
			// Rackbeat allows 8 requests a second.
			e, exists := s.index.find(v.SKU)
			var got catalogueProduct
			var diff []string
			// fieldsDiffer: the product's id fields are missing or hold
			// other ids, so they are written even when nothing else is.
			var fieldsDiffer bool
			if exists {
				got, diff = s.index.product(e), s.index.diff(in, e)
				fieldsDiffer = s.index.fieldsDiffer(ids, e)
			} else {
				created, err := s.Inventory.CreateProduct(ctx, in)
				switch {
				case err == nil:
					rep.Created++
					createdNow[v.SKU] = true
					got = catalogueProductOf(created)
				case rackbeat.ClassOf(err) == rackbeat.Conflict:
					// Made since the catalogue was read.
					have, found, err := s.Inventory.FindProduct(ctx, v.SKU)
					if err != nil {
						return nil, fmt.Errorf("read Rackbeat product %q after a create conflict: %w", v.SKU, err)
					}
					if !found {
						return nil, fmt.Errorf("create Rackbeat product %q: Rackbeat says the number is taken but has no product by it (deleted since?); run the sync again to resume", v.SKU)
					}
					exists, got, diff = true, catalogueProductOf(have), mapping.DiffRackbeat(in, have)
					// FindProduct reads a product without its field values,
					// so the ids are written unless it happens to carry
					// them: a conflict here is rare.
					fieldsDiffer = len((&Products{Rules: s.Rules}).idFields(prod.ID, v.ID, &have)) > 0
				default:
					return nil, fmt.Errorf("create Rackbeat product %q: %w", v.SKU, err)
				}
			}
			if exists {
				if len(diff) == 0 && !fieldsDiffer {
					rep.Unchanged++
				} else {
					upd := mapping.OnlyFields(in, diff)
					upd.Group = 0
					if !fieldsDiffer {
						upd.FieldValues = nil
					}
					updated, err := s.Inventory.UpdateProduct(ctx, v.SKU, upd)
					if err != nil {
						return nil, fmt.Errorf("update Rackbeat product %q: %w", v.SKU, err)
					}
					got = catalogueProductOf(updated)
					rep.Updated++
				}
			}
			// A product in a group without stock (a service, shipping)
			// has no stock for the channel's number to go to.
			if got.Stock {
				skus = append(skus, v.SKU)
			}
			bindings = append(bindings, state.ProductBinding{Link: s.Link, SKU: v.SKU,
				ChannelProductID: prod.ID, ChannelVariantID: v.ID, RackbeatNumber: got.Number,
				InventoryHash: got.Hash, ChannelHash: mapping.HashChannel(prod, v)})
		}
	}
	if !s.Stock || len(skus) == 0 {
		return bindings, nil
	}
	return bindings, s.stock(ctx, skus, createdNow, rep)
}

// txStore is a store that commits several writes in one transaction, as
// state.DB does.
type txStore interface {
	InTx(ctx context.Context, fn func(tx *state.Tx) error) error
}

// commit writes a page's bindings and the cursor after it: in one
// transaction when the store can (a transaction per binding was half of
// the host's time in the sync), else one by one. A page whose Rackbeat
// writes were made but not committed is done again on resume, and finds
// its products made.
func (s *InitialSync) commit(ctx context.Context, bindings []state.ProductBinding, cursor string) error {
	if ts, ok := s.Store.(txStore); ok {
		return ts.InTx(ctx, func(tx *state.Tx) error {
			for _, b := range bindings {
				if err := tx.UpsertProductBinding(b); err != nil {
					return err
				}
			}
			if cursor == "" {
				return nil
			}
			return tx.SetCursor(s.Link, InitialCursorFlow, cursor)
		})
	}
	for _, b := range bindings {
		if err := s.Store.UpsertProductBinding(ctx, b); err != nil {
			return err
		}
	}
	if cursor == "" {
		return nil
	}
	return s.Store.SetCursor(ctx, s.Link, InitialCursorFlow, cursor)
}

// loadIndex reads Rackbeat's catalogue once, a hundred products a
// request, so that a channel product Rackbeat already has is compared
// without a request of its own: reading them one by one would take hours
// at Rackbeat's limit. It keeps only a compact index of each product (see
// catalogueIndex), not the products.
//
// When the link names custom fields for the channel's ids, the pages are
// read with their field values (expand=field_values) and the index keeps
// a fingerprint of those fields, so that a product Rackbeat has whose ids
// are missing or other gets them written, and one whose ids are right
// costs no request. Without such fields the pages are read without field
// values: nothing else the sync compares or hashes reads them, and they
// would only lengthen each page.
func (s *InitialSync) loadIndex(ctx context.Context) error {
	x := newCatalogueIndex(s.Rules.UIDField, s.Rules.VariationField)
	var f rackbeat.Filter
	if len(x.fieldIDs) > 0 {
		f.Expand = []string{"field_values"}
	}
	for page := 1; ; page++ {
		p, err := s.Inventory.ProductsPage(ctx, page, 100, f)
		if err != nil {
			return fmt.Errorf("read Rackbeat's catalogue: %w", err)
		}
		if page == 1 && p.Total > 0 && len(p.Items) > 0 {
			x.grow(p.Total, len(p.Items[0].Number)+2)
		}
		for _, prod := range p.Items {
			if err := x.add(prod); err != nil {
				return fmt.Errorf("read Rackbeat's catalogue: %w", err)
			}
		}
		if p.Last() || len(p.Items) == 0 {
			x.build()
			s.index = x
			return nil
		}
	}
}

// catalogueProductOf is what the sync keeps of a product Rackbeat answered with.
func catalogueProductOf(p rackbeat.Product) catalogueProduct {
	return catalogueProduct{Number: p.Number, Hash: mapping.HashRackbeat(p), Stock: p.InventoryEnabled || p.Group.HasInventory}
}

// stock sets Rackbeat's stock of skus to the channel's with one
// adjustment per page. The adjustment moves the difference from what
// Rackbeat holds now, so running a page again moves nothing.
func (s *InitialSync) stock(ctx context.Context, skus []string, createdNow map[string]bool, rep *InitialReport) error {
	type key struct {
		sku string
		loc int64
	}
	want := map[key]int64{}
	var locs []string
	if s.Locations != nil {
		locs = s.Locations.ChannelLocations()
	}
	err := s.Channel.ReadStock(ctx, sdk.StockReadRequest{ReadRequest: sdk.ReadRequest{SKUs: skus}, LocationIDs: locs, Quantity: sdk.QuantityAvailable},
		func(p sdk.StockPage) error {
			for _, l := range p.Items {
				loc := s.DefaultLocation
				if s.Locations != nil {
					loc = s.Locations.RackbeatFor(l.LocationID, s.DefaultLocation)
				}
				want[key{l.SKU, loc}] += l.Quantity
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("read the channel's stock: %w", err)
	}
	keys := make([]key, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].sku != keys[j].sku {
			return keys[i].sku < keys[j].sku
		}
		return keys[i].loc < keys[j].loc
	})
	have := map[string][]rackbeat.LocationStock{}
	adj := rackbeat.AdjustmentInput{Location: s.DefaultLocation, Note: "shopbridge initial sync of link " + s.Link}
	for _, k := range keys {
		cur := int64(0)
		if !createdNow[k.sku] {
			rows, ok := have[k.sku]
			if !ok {
				if rows, err = s.Inventory.ProductLocations(ctx, k.sku); err != nil {
					return fmt.Errorf("read Rackbeat stock of %q: %w", k.sku, err)
				}
				have[k.sku] = rows
			}
			for _, r := range rows {
				if r.Location.Number == k.loc || (k.loc == 0 && len(rows) == 1) {
					cur += r.InStock.IntPart()
				}
			}
		}
		if d := want[k] - cur; d != 0 {
			adj.Lines = append(adj.Lines, rackbeat.AdjustmentLine{ItemID: k.sku, Quantity: decimal.NewFromInt(d), Location: k.loc})
		}
	}
	if len(adj.Lines) == 0 {
		return nil
	}
	if _, err := s.Inventory.CreateInventoryAdjustment(ctx, adj); err != nil {
		return fmt.Errorf("set Rackbeat stock of %d SKUs: %w", len(adj.Lines), err)
	}
	rep.StockRows += len(adj.Lines)
	return nil
}
