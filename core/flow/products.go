package flow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/shopbridge/shopbridge/core/mapping"
	"github.com/shopbridge/shopbridge/core/rackbeat"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/sdk"
)

// ProductChannel is the channel side of the products flow.
type ProductChannel interface {
	ReadProducts(ctx context.Context, req sdk.ReadRequest, emit func(sdk.ProductPage) error) error
	WriteProducts(ctx context.Context, writes []sdk.ProductWrite) ([]sdk.ProductWriteResult, error)
}

// ProductInventory is the Rackbeat side of the products flow.
type ProductInventory interface {
	FindProduct(ctx context.Context, number string) (rackbeat.Product, bool, error)
	ProductsPage(ctx context.Context, page, limit int, f rackbeat.Filter) (rackbeat.Page[rackbeat.Product], error)
	CreateProduct(ctx context.Context, in rackbeat.ProductInput) (rackbeat.Product, error)
	UpdateProduct(ctx context.Context, number string, in rackbeat.ProductInput) (rackbeat.Product, error)
	Lot(ctx context.Context, number string) (rackbeat.Lot, error)
	Lots(ctx context.Context, f rackbeat.Filter) iter.Seq2[rackbeat.Lot, error]
}

// ProductStore is what the products flow keeps in the host's store.
type ProductStore interface {
	ProductBinding(ctx context.Context, link, sku string) (state.ProductBinding, bool, error)
	UpsertProductBinding(ctx context.Context, b state.ProductBinding) error
	Cursor(ctx context.Context, link, flow string) (string, bool, error)
	SetCursor(ctx context.Context, link, flow, value string) error
	AddQuarantine(ctx context.Context, item state.QuarantineItem) (int64, error)
	Audit(ctx context.Context, e state.AuditEntry) error
}

// Product directions (config products.direction).
const (
	DirInventory = "inventory" // Rackbeat → channel
	DirChannel   = "channel"   // channel → Rackbeat
	DirBoth      = "both"
	DirOff       = "off"
)

// PullCursorFlow is the cursor name under which Pull saves its position.
const PullCursorFlow = "products.pull"

// Products keeps one link's catalogue in agreement in the link's direction
// (both seeds' "sync priority" / "løpende synkronisering"). Products match
// on SKU = Rackbeat product number, at variant level. With direction both
// a conflict goes to the later change, and the binding's hashes of each
// side's state at the last agreement stop the flow's own writes from
// coming back as changes.
type Products struct {
	Link      string
	Direction string
	Rules     mapping.LinkRules
	// CreateBOMs creates Rackbeat BOMs (lots) in the channel; only with
	// direction inventory or both (Shopbox seed: "Opprett strukturvarer").
	CreateBOMs bool
	Channel    ProductChannel
	Inventory  ProductInventory
	Store      ProductStore
	// Commit saves the pull cursor after each page, once every record of
	// the page is written and bound; nil saves it with Store.SetCursor.
	Commit func(ctx context.Context, cursor string) error
	Log    hclog.Logger
	// BatchSize is how many products go to the channel per WriteProducts
	// (default 50); PageSize is how many are read per page (default 100).
	BatchSize, PageSize int
	// Exclude names Rackbeat numbers the flow leaves alone on both sides,
	// with the reason: the orders' shipping product is a Rackbeat
	// bookkeeping line, not something the shop sells.
	Exclude map[string]string

	// mu makes runs of one link take turns, so a webhook push and a pull
	// never decide about the same SKU at once.
	mu sync.Mutex
}

// Report counts what a run of the products flow did (or, in a plan,
// would do).
type Report struct {
	ChannelCreated  int `json:"channel_created"`
	ChannelUpdated  int `json:"channel_updated"`
	RackbeatCreated int `json:"rackbeat_created"`
	RackbeatUpdated int `json:"rackbeat_updated"`
	Unchanged       int `json:"unchanged"`
	Conflicts       int `json:"conflicts"` // changed on both sides; the later change won
	Unmatched       int `json:"unmatched"`
	Quarantined     int `json:"quarantined"`
	// Writes counts calls that changed something: WriteProducts batches
	// and Rackbeat creates and updates.
	Writes int `json:"writes"`
}

func (r *Report) add(o Report) {
	r.ChannelCreated += o.ChannelCreated
	r.ChannelUpdated += o.ChannelUpdated
	r.RackbeatCreated += o.RackbeatCreated
	r.RackbeatUpdated += o.RackbeatUpdated
	r.Unchanged += o.Unchanged
	r.Conflicts += o.Conflicts
	r.Unmatched += o.Unmatched
	r.Quarantined += o.Quarantined
	r.Writes += o.Writes
}

func (f *Products) toChannel() bool {
	return f.Direction == DirInventory || f.Direction == DirBoth
}

func (f *Products) toRackbeat() bool {
	return f.Direction == DirChannel || f.Direction == DirBoth
}

func (f *Products) batchSize() int {
	if f.BatchSize > 0 {
		return f.BatchSize
	}
	return 50
}

func (f *Products) pageSize() int {
	if f.PageSize > 0 {
		return min(f.PageSize, 100)
	}
	return 100
}

// channelVariant is one variant of a channel product, as read.
type channelVariant struct {
	product sdk.Product
	index   int
}

func (c *channelVariant) variant() sdk.Variant { return c.product.Variants[c.index] }

// action is what the flow decided for one SKU.
type action struct {
	sku    string
	kind   PlanAction
	fields []string
	reason string
	// conflict is set when both sides changed; winner says which side won.
	conflict bool
	winner   string

	rb  *rackbeat.Product
	lot *rackbeat.Lot
	ch  *channelVariant
	b   *state.ProductBinding

	write   *sdk.ProductWrite      // to the channel
	rbInput *rackbeat.ProductInput // to Rackbeat
	// ids holds the channel ids to write to Rackbeat's id fields because
	// rb, read with its field values, holds other ones or none.
	ids []rackbeat.FieldValue
}

// PlanAction names what happens to one SKU.
type PlanAction string

// Plan actions.
const (
	ActCreateChannel  PlanAction = "create_in_channel"
	ActUpdateChannel  PlanAction = "update_in_channel"
	ActCreateRackbeat PlanAction = "create_in_rackbeat"
	ActUpdateRackbeat PlanAction = "update_in_rackbeat"
	ActNone           PlanAction = "unchanged"
	ActBind           PlanAction = "bind" // equal on both sides; only the binding is recorded
	ActUnmatched      PlanAction = "cannot_match"
	ActLeave          PlanAction = "left_alone" // exists on one side only and the direction does not carry it
)

// decide compares the two sides of one SKU with its binding and says what
// to do. It writes nothing. rbFields says rb was read with its custom
// field values, so that id fields it lacks are known to be missing
// rather than merely not read.
func (f *Products) decide(sku string, rb *rackbeat.Product, lot *rackbeat.Lot, ch *channelVariant, b *state.ProductBinding, rbFields bool) (action, error) {
	a := action{sku: sku, rb: rb, lot: lot, ch: ch, b: b}
	if why, ok := f.Exclude[sku]; ok {
		a.kind, a.reason = ActLeave, why
		return a, nil
	}
	if lot != nil {
		return f.decideLot(a)
	}
	var rbHash, chHash string
	if rb != nil {
		rbHash = mapping.HashRackbeat(*rb)
	}
	if ch != nil {
		chHash = mapping.HashChannel(ch.product, ch.variant())
	}
	rbChanged := rb != nil && (b == nil || b.InventoryHash != rbHash)
	chChanged := ch != nil && (b == nil || b.ChannelHash != chHash)

	switch {
	case rb == nil && ch == nil:
		a.kind = ActNone
		return a, nil
	case rb == nil:
		if !f.toRackbeat() {
			a.kind, a.reason = ActUnmatched, fmt.Sprintf("channel SKU %q is not a Rackbeat product number: create it in Rackbeat or correct the SKU in the channel", sku)
			return a, nil
		}
		if b != nil && b.RackbeatNumber != "" && f.Direction == DirBoth {
			a.kind, a.reason = ActUnmatched, fmt.Sprintf("Rackbeat product %q was deleted but the channel still sells it: delete it in the channel too, or recreate it in Rackbeat", sku)
			return a, nil
		}
		return f.createInRackbeat(a)
	case ch == nil:
		if !f.toChannel() {
			a.kind = ActLeave
			return a, nil
		}
		if b != nil && b.ChannelVariantID != "" && f.Direction == DirBoth {
			a.kind, a.reason = ActUnmatched, fmt.Sprintf("the channel's product %q was deleted but Rackbeat still has it: bar it in Rackbeat, or recreate it in the channel", sku)
			return a, nil
		}
		if rb.IsBarred {
			a.kind = ActLeave
			return a, nil
		}
		return f.createInChannel(a)
	}
	if rbFields && f.toRackbeat() {
		// Shopbox seed: the channel's ids belong in the link's id fields
		// of every matched product, not only of those the flow created.
		a.ids = f.idFields(ch.product.ID, ch.variant().ID, rb)
	}
	if !rbChanged && !chChanged && len(a.ids) == 0 {
		a.kind = ActNone
		return a, nil
	}
	toChannel := func() (action, error) { return f.updateChannel(a) }
	toRackbeat := func() (action, error) { return f.updateRackbeat(a) }
	switch f.Direction {
	case DirInventory:
		return toChannel()
	case DirChannel:
		return toRackbeat()
	}
	switch {
	case rbChanged && !chChanged:
		return toChannel()
	case chChanged && !rbChanged:
		return toRackbeat()
	}
	// Changed on both sides since the last agreement (or never agreed):
	// the later change wins.
	chAt := ch.product.UpdatedAt
	if v := ch.variant().UpdatedAt; v.After(chAt) {
		chAt = v
	}
	var out action
	var err error
	if chAt.After(rb.UpdatedAt.Time) {
		out, err = toRackbeat()
		out.winner = "channel"
	} else {
		out, err = toChannel()
		out.winner = "rackbeat"
	}
	if out.kind != ActBind {
		out.conflict = b != nil
	}
	return out, err
}

func (f *Products) createInChannel(a action) (action, error) {
	p, _, fields, err := mapping.ToChannel(*a.rb, f.Rules)
	if err != nil {
		return f.unmappable(a, err)
	}
	a.kind, a.fields = ActCreateChannel, fields
	a.write = &sdk.ProductWrite{Key: a.sku, Product: p}
	return a, nil
}

func (f *Products) updateChannel(a action) (action, error) {
	want, wantV, fields, err := mapping.ToChannel(*a.rb, f.Rules)
	if err != nil {
		return f.unmappable(a, err)
	}
	have := a.ch.product
	single := len(have.Variants) == 1
	diff := mapping.DiffChannel(want, wantV, have, a.ch.variant(), fields, single)
	if len(diff) == 0 {
		if len(a.ids) > 0 {
			return f.writeIDs(a), nil
		}
		a.kind = ActBind
		return a, nil
	}
	// Send the product as the channel has it with the differing fields
	// replaced, so a connector never mistakes a missing variant for a
	// deleted one.
	p := have
	p.Variants = slices.Clone(have.Variants)
	v := &p.Variants[a.ch.index]
	for _, fld := range diff {
		switch fld {
		case sdk.FieldTitle:
			p.Title = want.Title
		case sdk.FieldDescription:
			p.Description = want.Description
		case sdk.FieldCategory:
			p.Category = want.Category
		case sdk.FieldStatus:
			p.Status = want.Status
		case sdk.FieldSKU:
			v.SKU = wantV.SKU
		case sdk.FieldBarcode:
			v.Barcode = wantV.Barcode
		case sdk.FieldPrice:
			v.Price, v.PriceIncludesVAT = wantV.Price, wantV.PriceIncludesVAT
		case sdk.FieldCost:
			v.Cost = wantV.Cost
		}
	}
	a.kind, a.fields = ActUpdateChannel, diff
	a.write = &sdk.ProductWrite{Key: a.sku, Product: p, Fields: diff}
	return a, nil
}

func (f *Products) createInRackbeat(a action) (action, error) {
	p, v := a.ch.product, a.ch.variant()
	in, err := mapping.ToRackbeat(p, v, f.Rules)
	if err != nil {
		return f.unmappable(a, err)
	}
	in.Group = f.Rules.GroupFor(p.Category)
	if in.Group == 0 {
		a.kind, a.reason = ActUnmatched, fmt.Sprintf("SKU %q has no Rackbeat product group: set products.default_group (the seed's \"Standard varugrupp\")", a.sku)
		return a, nil
	}
	in.FieldValues = f.idFields(p.ID, v.ID, nil)
	a.kind, a.rbInput = ActCreateRackbeat, &in
	a.fields = []string{mapping.RackbeatNumber, mapping.RackbeatName, mapping.RackbeatDescription, mapping.RackbeatSalesPrice}
	return a, nil
}

func (f *Products) updateRackbeat(a action) (action, error) {
	in, err := mapping.ToRackbeat(a.ch.product, a.ch.variant(), f.Rules)
	if err != nil {
		return f.unmappable(a, err)
	}
	diff := mapping.DiffRackbeat(in, *a.rb)
	if len(diff) == 0 {
		if len(a.ids) > 0 {
			return f.writeIDs(a), nil
		}
		a.kind = ActBind
		return a, nil
	}
	only := mapping.OnlyFields(in, diff)
	only.Group = 0
	a.kind, a.fields, a.rbInput = ActUpdateRackbeat, diff, &only
	if len(a.ids) > 0 {
		a.fields = append(a.fields, fieldIDsName)
	}
	return a, nil
}

// fieldIDsName names the channel-id custom fields in a plan's or an
// audit entry's list of fields.
const fieldIDsName = "id_fields"

// writeIDs makes a an update of Rackbeat that writes nothing but the id
// fields: the product agrees everywhere else.
func (f *Products) writeIDs(a action) action {
	a.kind, a.fields, a.rbInput = ActUpdateRackbeat, []string{fieldIDsName}, &rackbeat.ProductInput{}
	return a
}

func (f *Products) decideLot(a action) (action, error) {
	l := a.lot
	hash := mapping.HashLot(*l)
	if a.b != nil && a.b.InventoryHash == hash && a.ch != nil {
		a.kind = ActNone
		return a, nil
	}
	p, fields, err := mapping.LotToChannel(*l, f.Rules)
	if err != nil {
		return f.unmappable(a, err)
	}
	if a.ch == nil {
		a.kind, a.fields = ActCreateChannel, fields
		a.write = &sdk.ProductWrite{Key: a.sku, Product: p}
		return a, nil
	}
	have := a.ch.product
	diff := mapping.DiffChannel(p, p.Variants[0], have, a.ch.variant(), fields, len(have.Variants) == 1)
	if len(diff) == 0 && slices.Equal(p.BOMLines, have.BOMLines) {
		a.kind = ActBind
		return a, nil
	}
	p.ID = have.ID
	p.Variants[0].ID = a.ch.variant().ID
	a.kind, a.fields = ActUpdateChannel, append(diff, "bom")
	a.write = &sdk.ProductWrite{Key: a.sku, Product: p}
	return a, nil
}

func (f *Products) unmappable(a action, err error) (action, error) {
	a.kind, a.reason = ActUnmatched, err.Error()+": fix the product or the link's products.rules"
	a.write, a.rbInput = nil, nil
	return a, nil
}

// idFields gives the Rackbeat custom field values that hold the channel's
// product and variant ids (Shopbox seed: "Shopbox UID felt ID" and
// "Shopbox variasjonsfelt ID"), leaving out what rb already holds.
func (f *Products) idFields(productID, variantID string, rb *rackbeat.Product) []rackbeat.FieldValue {
	var out []rackbeat.FieldValue
	add := func(field int64, value string) {
		if field == 0 || value == "" {
			return
		}
		if rb != nil {
			if have, ok := rb.Field(field); ok && have == value {
				return
			}
		}
		out = append(out, rackbeat.FieldValue{FieldID: field, Value: value})
	}
	add(f.Rules.UIDField, productID)
	add(f.Rules.VariationField, variantID)
	return out
}

// run carries out decisions, batching the channel writes.
type run struct {
	f       *Products
	rep     Report
	pending []*pendingWrite
}

// pendingWrite is one queued channel write; variants of one channel
// product that change together share it.
type pendingWrite struct {
	write sdk.ProductWrite
	acts  []action
}

// queue adds a channel write, merging it into a queued write of the same
// channel product so that neither undoes the other.
func (r *run) queue(a action) {
	if id := a.write.Product.ID; id != "" && a.ch != nil {
		for _, pw := range r.pending {
			if pw.write.Product.ID != id {
				continue
			}
			i := variantIndex(pw.write.Product, a.ch.variant().SKU)
			j := a.ch.index
			if i >= 0 && j < len(a.write.Product.Variants) {
				pw.write.Product.Variants[i] = a.write.Product.Variants[j]
			}
			for _, fl := range a.fields {
				if !slices.Contains(pw.write.Fields, fl) {
					pw.write.Fields = append(pw.write.Fields, fl)
				}
			}
			pw.acts = append(pw.acts, a)
			return
		}
	}
	w := *a.write
	w.Product.Variants = slices.Clone(w.Product.Variants)
	r.pending = append(r.pending, &pendingWrite{write: w, acts: []action{a}})
}

func (f *Products) newRun() *run { return &run{f: f} }

// do carries out one decision now (Rackbeat) or queues it (channel).
func (r *run) do(ctx context.Context, a action) error {
	f := r.f
	switch a.kind {
	case ActNone, ActLeave:
		r.rep.Unchanged++
		return nil
	case ActUnmatched:
		r.rep.Unmatched++
		if a.reason != "" && a.sku != "" {
			return r.quarantine(ctx, a.sku, a.reason, nil)
		}
		return nil
	case ActBind:
		r.rep.Unchanged++
		return f.bind(ctx, a, a.rb, a.lot, a.ch)
	case ActCreateChannel, ActUpdateChannel:
		r.queue(a)
		if len(r.pending) >= f.batchSize() {
			return r.flush(ctx)
		}
		return nil
	case ActCreateRackbeat, ActUpdateRackbeat:
		return r.writeRackbeat(ctx, a)
	}
	return fmt.Errorf("products: unknown action %q", a.kind)
}

func (r *run) writeRackbeat(ctx context.Context, a action) error {
	f := r.f
	var got rackbeat.Product
	var err error
	r.rep.Writes++
	if a.kind == ActCreateRackbeat {
		got, err = f.Inventory.CreateProduct(ctx, *a.rbInput)
		if rackbeat.ClassOf(err) == rackbeat.Conflict {
			// Created by an earlier attempt that died before binding it:
			// bring it up to date instead.
			got, err = f.healCreate(ctx, *a.rbInput)
		}
	} else {
		in := *a.rbInput
		in.FieldValues = a.ids
		if in.FieldValues == nil {
			// a.rb may have been read without its field values: write
			// the ids with the update rather than read them first.
			in.FieldValues = f.idFields(a.ch.product.ID, a.ch.variant().ID, a.rb)
		}
		got, err = f.Inventory.UpdateProduct(ctx, a.sku, in)
	}
	if err != nil {
		if c := rackbeat.ClassOf(err); c == rackbeat.Invalid || c == rackbeat.NotFound {
			return r.quarantine(ctx, a.sku, "Rackbeat refused product "+strconv.Quote(a.sku)+": "+err.Error()+": correct it in the channel; it is retried at the next pull or reconciliation", a.ch)
		}
		return fmt.Errorf("products: write %q to Rackbeat: %w", a.sku, err)
	}
	if a.kind == ActCreateRackbeat {
		r.rep.RackbeatCreated++
	} else {
		r.rep.RackbeatUpdated++
	}
	if a.conflict {
		r.rep.Conflicts++
	}
	f.audit(ctx, string(a.kind), a.sku, fmt.Sprintf("fields %v", a.fields))
	return f.bind(ctx, a, &got, nil, a.ch)
}

// healCreate updates a product that a create found already there.
func (f *Products) healCreate(ctx context.Context, in rackbeat.ProductInput) (rackbeat.Product, error) {
	have, ok, err := f.Inventory.FindProduct(ctx, in.Number)
	if err != nil || !ok {
		return have, err
	}
	diff := mapping.DiffRackbeat(in, have)
	if len(diff) == 0 && len(in.FieldValues) == 0 {
		return have, nil
	}
	return f.Inventory.UpdateProduct(ctx, in.Number, mapping.OnlyFields(in, diff))
}

// flush sends the queued channel writes as one WriteProducts.
func (r *run) flush(ctx context.Context) error {
	if len(r.pending) == 0 {
		return nil
	}
	f := r.f
	batch := r.pending
	r.pending = nil
	writes := make([]sdk.ProductWrite, len(batch))
	for i, pw := range batch {
		writes[i] = pw.write
		writes[i].IdempotencyKey = f.Link + ":" + pw.write.Key + ":" + productHash(pw.write.Product)
	}
	r.rep.Writes++
	results, err := f.Channel.WriteProducts(ctx, writes)
	if err != nil {
		return fmt.Errorf("products: write %d products to the channel: %w", len(writes), err)
	}
	byKey := make(map[string]sdk.ProductWriteResult, len(results))
	for _, res := range results {
		byKey[res.Key] = res
	}
	for _, pw := range batch {
		res, ok := byKey[pw.write.Key]
		if !ok {
			return fmt.Errorf("products: the channel answered no result for %q; it is retried at the next run", pw.write.Key)
		}
		if res.Err != nil {
			if res.Err.Temporary() {
				return fmt.Errorf("products: write %q to the channel: %w", pw.write.Key, res.Err)
			}
			for _, a := range pw.acts {
				if err := r.quarantine(ctx, a.sku, "the channel refused product "+strconv.Quote(a.sku)+": "+res.Err.Error()+": correct it in Rackbeat; it is retried at the next change or reconciliation", nil); err != nil {
					return err
				}
			}
			continue
		}
		for _, a := range pw.acts {
			if err := r.written(ctx, a, res.Product, pw.write.Product); err != nil {
				return err
			}
		}
	}
	return nil
}

// written records one SKU of a successful channel write: counts, audit,
// the channel ids in Rackbeat's custom fields, and the binding.
func (r *run) written(ctx context.Context, a action, got, sent sdk.Product) error {
	f := r.f
	written := got
	idx := variantIndex(written, a.sku)
	if idx < 0 {
		written = sent
		idx = max(variantIndex(written, a.sku), 0)
	}
	ch := &channelVariant{product: written, index: idx}
	if a.kind == ActCreateChannel {
		r.rep.ChannelCreated++
	} else {
		r.rep.ChannelUpdated++
	}
	if a.conflict {
		r.rep.Conflicts++
	}
	f.audit(ctx, string(a.kind), a.sku, fmt.Sprintf("fields %v", a.fields))
	rb := a.rb
	if rb != nil {
		if fv := f.idFields(written.ID, written.Variants[idx].ID, rb); len(fv) > 0 {
			upd, err := f.Inventory.UpdateProduct(ctx, a.sku, rackbeat.ProductInput{FieldValues: fv})
			if err != nil {
				return fmt.Errorf("products: write the channel ids of %q to Rackbeat's custom fields %d and %d: %w", a.sku, f.Rules.UIDField, f.Rules.VariationField, err)
			}
			r.rep.Writes++
			rb = &upd
		}
	}
	return f.bind(ctx, a, rb, a.lot, ch)
}

// productHash fingerprints a whole channel product, for idempotency keys.
func productHash(p sdk.Product) string {
	h := sha256.New()
	for _, v := range p.Variants {
		h.Write([]byte(mapping.HashChannel(p, v)))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func variantIndex(p sdk.Product, sku string) int {
	for i, v := range p.Variants {
		if v.SKU == sku {
			return i
		}
	}
	return -1
}

// bind records both sides' state as agreed.
func (f *Products) bind(ctx context.Context, a action, rb *rackbeat.Product, lot *rackbeat.Lot, ch *channelVariant) error {
	b := state.ProductBinding{Link: f.Link, SKU: a.sku}
	if a.b != nil {
		b = *a.b
	}
	switch {
	case rb != nil:
		b.RackbeatNumber, b.InventoryHash = rb.Number, mapping.HashRackbeat(*rb)
	case lot != nil:
		b.RackbeatNumber, b.InventoryHash = lot.Number, mapping.HashLot(*lot)
	}
	if ch != nil {
		v := ch.variant()
		b.ChannelProductID, b.ChannelVariantID = ch.product.ID, v.ID
		b.ChannelHash = mapping.HashChannel(ch.product, v)
	}
	if a.b != nil && *a.b == b {
		return nil
	}
	if err := f.Store.UpsertProductBinding(ctx, b); err != nil {
		return fmt.Errorf("products: bind %q: %w", a.sku, err)
	}
	return nil
}

func (r *run) quarantine(ctx context.Context, sku, reason string, ch *channelVariant) error {
	r.rep.Quarantined++
	var payload []byte
	if ch != nil {
		payload, _ = json.Marshal(ch.product)
	}
	if _, err := r.f.Store.AddQuarantine(ctx, state.QuarantineItem{Link: r.f.Link, Flow: "products", Key: sku, Reason: reason, Payload: payload}); err != nil {
		return err
	}
	if r.f.Log != nil {
		r.f.Log.Warn("product quarantined", "sku", sku, "reason", reason)
	}
	return nil
}

func (f *Products) audit(ctx context.Context, action, key, detail string) {
	if err := f.Store.Audit(ctx, state.AuditEntry{Link: f.Link, Flow: "products", Action: action, Key: key, Detail: detail}); err != nil && f.Log != nil {
		f.Log.Warn("audit entry not written", "error", err)
	}
}

// readChannel reads the channel's products holding the given SKUs, by SKU.
func (f *Products) readChannel(ctx context.Context, skus []string) (map[string]*channelVariant, error) {
	out := make(map[string]*channelVariant, len(skus))
	if len(skus) == 0 {
		return out, nil
	}
	want := make(map[string]bool, len(skus))
	for _, s := range skus {
		want[s] = true
	}
	err := f.Channel.ReadProducts(ctx, sdk.ReadRequest{SKUs: skus, PageSize: len(skus)}, func(p sdk.ProductPage) error {
		for _, prod := range p.Items {
			for i, v := range prod.Variants {
				if want[v.SKU] {
					out[v.SKU] = &channelVariant{product: prod, index: i}
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("products: read %d SKUs from the channel: %w", len(skus), err)
	}
	return out, nil
}

func (f *Products) binding(ctx context.Context, sku string) (*state.ProductBinding, error) {
	b, ok, err := f.Store.ProductBinding(ctx, f.Link, sku)
	if err != nil || !ok {
		return nil, err
	}
	return &b, nil
}

// PushSKU carries one Rackbeat product (or BOM) to the channel: the
// answer to Rackbeat's product.created/updated and lot.created webhooks.
// A change whose hash equals the binding's (our own write coming back) is
// dropped without reading the channel.
func (f *Products) PushSKU(ctx context.Context, sku string) (Report, error) {
	return f.PushSKUs(ctx, []string{sku})
}

// PushSKUs is PushSKU for several SKUs, with the channel writes batched.
func (f *Products) PushSKUs(ctx context.Context, skus []string) (Report, error) {
	if !f.toChannel() {
		return Report{}, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.newRun()
	acts, err := f.planPush(ctx, dedupe(skus))
	if err != nil {
		return r.rep, err
	}
	for _, a := range acts {
		if err := r.do(ctx, a); err != nil {
			return r.rep, err
		}
	}
	err = r.flush(ctx)
	return r.rep, err
}

// planPush decides what pushing skus would do; it writes nothing.
func (f *Products) planPush(ctx context.Context, skus []string) ([]action, error) {
	type side struct {
		rb  *rackbeat.Product
		lot *rackbeat.Lot
		b   *state.ProductBinding
	}
	sides := map[string]side{}
	var need []string
	var out []action
	for _, sku := range skus {
		rb, ok, err := f.Inventory.FindProduct(ctx, sku)
		if err != nil {
			return nil, fmt.Errorf("products: read Rackbeat product %q: %w", sku, err)
		}
		var s side
		if ok {
			s.rb = &rb
		} else if f.CreateBOMs {
			lot, err := f.Inventory.Lot(ctx, sku)
			if err != nil && !rackbeat.IsNotFound(err) {
				return nil, fmt.Errorf("products: read Rackbeat BOM %q: %w", sku, err)
			}
			if err == nil {
				s.lot = &lot
			}
		}
		if s.rb == nil && s.lot == nil {
			// Deleted in Rackbeat (or a BOM without create_boms): the
			// channel product stays until an operator removes it.
			out = append(out, action{sku: sku, kind: ActLeave})
			continue
		}
		if s.b, err = f.binding(ctx, sku); err != nil {
			return nil, err
		}
		if s.b != nil && s.b.ChannelVariantID != "" &&
			((s.rb != nil && s.b.InventoryHash == mapping.HashRackbeat(*s.rb)) || (s.lot != nil && s.b.InventoryHash == mapping.HashLot(*s.lot))) {
			out = append(out, action{sku: sku, kind: ActNone})
			continue
		}
		sides[sku] = s
		need = append(need, sku)
	}
	chs, err := f.readChannel(ctx, need)
	if err != nil {
		return nil, err
	}
	for _, sku := range need {
		s := sides[sku]
		a, err := f.decide(sku, s.rb, s.lot, chs[sku], s.b, false)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Pull reads the channel's changed products from the saved cursor and
// carries them to Rackbeat (direction channel or both; the Shopbox seed
// pulls every 2 hours), saving the cursor after each page.
func (f *Products) Pull(ctx context.Context) (Report, error) {
	var total Report
	if !f.toRackbeat() {
		return total, nil
	}
	cursor, _, err := f.Store.Cursor(ctx, f.Link, PullCursorFlow)
	if err != nil {
		return total, err
	}
	err = f.Channel.ReadProducts(ctx, sdk.ReadRequest{Cursor: cursor, PageSize: f.pageSize()}, func(p sdk.ProductPage) error {
		rep, err := f.PullPage(ctx, p)
		total.add(rep)
		return err
	})
	return total, err
}

// PullPage carries one page of channel products to Rackbeat and then
// commits the page's cursor.
func (f *Products) PullPage(ctx context.Context, p sdk.ProductPage) (Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.newRun()
	acts, err := f.planPage(ctx, p.Items, true)
	if err != nil {
		return r.rep, err
	}
	for _, a := range acts {
		if err := r.do(ctx, a); err != nil {
			return r.rep, err
		}
	}
	if err := r.flush(ctx); err != nil {
		return r.rep, err
	}
	if p.Cursor != "" {
		if err := f.commit(ctx, p.Cursor); err != nil {
			return r.rep, fmt.Errorf("products: save the pull cursor: %w", err)
		}
	}
	return r.rep, nil
}

func (f *Products) commit(ctx context.Context, cursor string) error {
	if f.Commit != nil {
		return f.Commit(ctx, cursor)
	}
	return f.Store.SetCursor(ctx, f.Link, PullCursorFlow, cursor)
}

// planPage decides for every variant of a page of channel products. When
// skipUnchanged is set a variant whose hash equals its binding's is left
// without reading Rackbeat.
func (f *Products) planPage(ctx context.Context, items []sdk.Product, skipUnchanged bool) ([]action, error) {
	var out []action
	type pending struct {
		ch *channelVariant
		b  *state.ProductBinding
	}
	var todo []pending
	var recheck []string
	for pi := range items {
		p := items[pi]
		for i, v := range p.Variants {
			if v.SKU == "" {
				out = append(out, action{kind: ActUnmatched, reason: fmt.Sprintf("channel product %q variant %q has no SKU: give it the Rackbeat product number as SKU", p.Title, v.Title)})
				continue
			}
			b, err := f.binding(ctx, v.SKU)
			if err != nil {
				return nil, err
			}
			ch := &channelVariant{product: p, index: i}
			if skipUnchanged && b != nil && b.RackbeatNumber != "" && b.ChannelHash == mapping.HashChannel(p, v) {
				out = append(out, action{sku: v.SKU, kind: ActNone})
				continue
			}
			if b != nil && b.ChannelHash != "" && !changedAt(ch).After(b.UpdatedAt) {
				// The page was read before this lock was taken, and the
				// binding is newer than the page's version: a push may have
				// written the product meanwhile. Deciding on the old version
				// would carry it to Rackbeat over the newer one, so read it
				// again.
				recheck = append(recheck, v.SKU)
			}
			todo = append(todo, pending{ch: ch, b: b})
		}
	}
	fresh, err := f.readChannel(ctx, recheck)
	if err != nil {
		return nil, err
	}
	for _, t := range todo {
		sku := t.ch.variant().SKU
		ch := t.ch
		if slices.Contains(recheck, sku) {
			ch = fresh[sku]
			if ch == nil {
				out = append(out, action{sku: sku, kind: ActNone}) // gone since; the next pull or reconciliation sees it
				continue
			}
			if skipUnchanged && t.b.RackbeatNumber != "" && t.b.ChannelHash == mapping.HashChannel(ch.product, ch.variant()) {
				out = append(out, action{sku: sku, kind: ActNone})
				continue
			}
		}
		rb, ok, withFields, err := f.findProduct(ctx, sku)
		if err != nil {
			return nil, fmt.Errorf("products: read Rackbeat product %q: %w", sku, err)
		}
		var rbp *rackbeat.Product
		if ok {
			rbp = &rb
		}
		a, err := f.decide(sku, rbp, nil, ch, t.b, withFields)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// hasIDFields says the link names Rackbeat custom fields for the channel's
// ids (Shopbox seed: "Shopbox UID felt ID", "Shopbox variasjonsfelt ID").
func (f *Products) hasIDFields() bool {
	return f.Rules.UIDField != 0 || f.Rules.VariationField != 0
}

// idsMissing says the Rackbeat product rbs[i], read with its field values,
// lacks the channel ids its binding agreed, so that reconciliation looks
// at it even though neither side moved since the binding.
func (f *Products) idsMissing(b *state.ProductBinding, rbs []*rackbeat.Product, i int) bool {
	if rbs == nil || !f.hasIDFields() || !f.toRackbeat() || b.ChannelVariantID == "" {
		return false
	}
	return len(f.idFields(b.ChannelProductID, b.ChannelVariantID, rbs[i])) > 0
}

// findProduct reads one Rackbeat product by number. When the link has id
// fields it reads it as a one-number list with its field values
// (expand=field_values; a single product's GET carries none), which costs
// the same one request and lets a product whose ids are right go without
// a write; withFields says the field values came with it.
func (f *Products) findProduct(ctx context.Context, sku string) (p rackbeat.Product, ok, withFields bool, err error) {
	if f.hasIDFields() {
		pg, err := f.Inventory.ProductsPage(ctx, 1, 20, rackbeat.Filter{Simple: map[string]string{"number": sku}, Expand: []string{"field_values"}})
		if err != nil {
			return p, false, false, err
		}
		for _, it := range pg.Items {
			if it.Number == sku {
				return it, true, true, nil
			}
		}
		if pg.Last() {
			return p, false, true, nil
		}
		// The filter matched more than a page without the number itself
		// (should it match by prefix): read the product on its own.
	}
	p, ok, err = f.Inventory.FindProduct(ctx, sku)
	return p, ok, false, err
}

// changedAt is when the channel last changed a variant or its product.
func changedAt(ch *channelVariant) time.Time {
	at := ch.product.UpdatedAt
	if v := ch.variant().UpdatedAt; v.After(at) {
		at = v
	}
	return at
}

// Reconcile compares both whole catalogues and fixes the drift that
// webhooks and pulls missed, in the link's direction. It holds one entry
// per channel SKU in memory, nothing more of the catalogues (see walk).
func (f *Products) Reconcile(ctx context.Context) (Report, error) {
	if f.Direction == DirOff || f.Direction == "" {
		return Report{}, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.newRun()
	err := f.walk(ctx, func(a action) error { return r.do(ctx, a) }, r.flush)
	if err == nil {
		err = r.flush(ctx)
	}
	return r.rep, err
}

// walk decides for every SKU on either side. It first reads the channel's
// whole catalogue once, in bulk where the channel offers it, noting per SKU
// only whether the channel still holds what the binding agreed; then it
// goes through Rackbeat's products and BOMs a page at a time and reads the
// channel by SKU just for those whose either side moved since the binding
// (reading by SKU costs a channel like Shopify far more per product than a
// bulk export, and after an initial sync almost nothing has moved); last
// come the channel's SKUs Rackbeat does not have. It holds one entry per
// channel SKU in memory, nothing more of the catalogues. pageDone is
// called after each page so that queued writes go out.
func (f *Products) walk(ctx context.Context, each func(action) error, pageDone func(context.Context) error) error {
	agreed, err := f.channelAgreement(ctx, each)
	if err != nil {
		return err
	}
	// Rackbeat's pages carry their field values when the link has id
	// fields, so decide knows which products lack them.
	withFields := f.hasIDFields()
	// decidePage decides for one page of Rackbeat products or BOMs: the
	// ones unchanged on both sides at once, the rest after one read of the
	// channel.
	decidePage := func(skus []string, rbs []*rackbeat.Product, lots []*rackbeat.Lot) error {
		var need []int
		bindings := make([]*state.ProductBinding, len(skus))
		for i, sku := range skus {
			chAgrees, inChannel := agreed[sku]
			delete(agreed, sku)
			b, err := f.binding(ctx, sku)
			if err != nil {
				return err
			}
			bindings[i] = b
			_, excluded := f.Exclude[sku]
			if !excluded && inChannel && chAgrees && b != nil && !f.idsMissing(b, rbs, i) &&
				((rbs != nil && b.InventoryHash == mapping.HashRackbeat(*rbs[i])) || (lots != nil && b.InventoryHash == mapping.HashLot(*lots[i]))) {
				if err := each(action{sku: sku, kind: ActNone, b: b}); err != nil {
					return err
				}
				continue
			}
			need = append(need, i)
		}
		want := make([]string, len(need))
		for j, i := range need {
			want[j] = skus[i]
		}
		chs, err := f.readChannel(ctx, want)
		if err != nil {
			return err
		}
		for _, i := range need {
			var rb *rackbeat.Product
			var lot *rackbeat.Lot
			if rbs != nil {
				rb = rbs[i]
			} else {
				lot = lots[i]
			}
			a, err := f.decide(skus[i], rb, lot, chs[skus[i]], bindings[i], withFields)
			if err != nil {
				return err
			}
			if err := each(a); err != nil {
				return err
			}
		}
		return pageDone(ctx)
	}

	filter := rackbeat.Filter{}
	if withFields {
		filter.Expand = []string{"field_values"}
	}
	for page := 1; ; page++ {
		pg, err := f.Inventory.ProductsPage(ctx, page, f.pageSize(), filter)
		if err != nil {
			return fmt.Errorf("products: read Rackbeat products page %d: %w", page, err)
		}
		skus := make([]string, len(pg.Items))
		rbs := make([]*rackbeat.Product, len(pg.Items))
		for i := range pg.Items {
			skus[i], rbs[i] = pg.Items[i].Number, &pg.Items[i]
		}
		if err := decidePage(skus, rbs, nil); err != nil {
			return err
		}
		if pg.Last() || len(pg.Items) == 0 {
			break
		}
	}
	if f.CreateBOMs && f.toChannel() {
		var lots []rackbeat.Lot
		flushLots := func() error {
			skus := make([]string, len(lots))
			ptrs := make([]*rackbeat.Lot, len(lots))
			for i := range lots {
				skus[i], ptrs[i] = lots[i].Number, &lots[i]
			}
			err := decidePage(skus, nil, ptrs)
			lots = nil
			return err
		}
		for l, err := range f.Inventory.Lots(ctx, rackbeat.Filter{}) {
			if err != nil {
				return fmt.Errorf("products: read Rackbeat BOMs: %w", err)
			}
			lots = append(lots, l)
			if len(lots) == f.pageSize() {
				if err := flushLots(); err != nil {
					return err
				}
			}
		}
		if err := flushLots(); err != nil {
			return err
		}
	}

	// What is left is in the channel only.
	rest := make([]string, 0, len(agreed))
	for sku := range agreed {
		rest = append(rest, sku)
	}
	slices.Sort(rest)
	for start := 0; start < len(rest); start += f.pageSize() {
		part := rest[start:min(len(rest), start+f.pageSize())]
		chs, err := f.readChannel(ctx, part)
		if err != nil {
			return err
		}
		for _, sku := range part {
			ch, ok := chs[sku]
			if !ok {
				continue // gone from the channel since the first read
			}
			b, err := f.binding(ctx, sku)
			if err != nil {
				return err
			}
			a, err := f.decide(sku, nil, nil, ch, b, false)
			if err != nil {
				return err
			}
			if err := each(a); err != nil {
				return err
			}
		}
		if err := pageDone(ctx); err != nil {
			return err
		}
	}
	return nil
}

// channelAgreement reads the channel's whole catalogue and says, per SKU,
// whether the channel's variant is what its binding last agreed. A variant
// without a SKU cannot be matched and is handed to each at once.
func (f *Products) channelAgreement(ctx context.Context, each func(action) error) (map[string]bool, error) {
	agreed := map[string]bool{}
	err := f.Channel.ReadProducts(ctx, sdk.ReadRequest{PageSize: f.pageSize(), AllowBulk: true}, func(p sdk.ProductPage) error {
		for _, prod := range p.Items {
			for _, v := range prod.Variants {
				if v.SKU == "" {
					if err := each(action{kind: ActUnmatched, reason: fmt.Sprintf("channel product %q variant %q has no SKU: give it the Rackbeat product number as SKU", prod.Title, v.Title)}); err != nil {
						return err
					}
					continue
				}
				b, err := f.binding(ctx, v.SKU)
				if err != nil {
					return err
				}
				agreed[v.SKU] = b != nil && b.ChannelVariantID != "" && b.ChannelHash == mapping.HashChannel(prod, v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("products: read the channel's catalogue: %w", err)
	}
	return agreed, nil
}

func dedupe(skus []string) []string {
	seen := make(map[string]bool, len(skus))
	out := make([]string, 0, len(skus))
	for _, s := range skus {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
