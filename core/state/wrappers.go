package state

import (
	"context"
	"time"
)

// The methods below run one *Tx operation in a transaction of its own, for
// callers that change nothing else with it.

func inTx1[T any](db *DB, ctx context.Context, fn func(tx *Tx) (T, error)) (T, error) {
	var out T
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

func inTx2[T any](db *DB, ctx context.Context, fn func(tx *Tx) (T, bool, error)) (T, bool, error) {
	var out T
	var ok bool
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		out, ok, err = fn(tx)
		return err
	})
	return out, ok, err
}

// UpsertLink: see Tx.UpsertLink.
func (db *DB) UpsertLink(ctx context.Context, l Link) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.UpsertLink(l) })
}

// Link: see Tx.Link.
func (db *DB) Link(ctx context.Context, id string) (Link, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (Link, bool, error) { return tx.Link(id) })
}

// Links: see Tx.Links.
func (db *DB) Links(ctx context.Context) ([]Link, error) {
	return inTx1(db, ctx, func(tx *Tx) ([]Link, error) { return tx.Links() })
}

// ClaimOrder: see Tx.ClaimOrder.
func (db *DB) ClaimOrder(ctx context.Context, link, channelOrderID string) (OrderBinding, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (OrderBinding, bool, error) { return tx.ClaimOrder(link, channelOrderID) })
}

// CompleteOrder: see Tx.CompleteOrder.
func (db *DB) CompleteOrder(ctx context.Context, link, channelOrderID string, rackbeatNumber int64) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.CompleteOrder(link, channelOrderID, rackbeatNumber) })
}

// FailOrder: see Tx.FailOrder.
func (db *DB) FailOrder(ctx context.Context, link, channelOrderID, reason string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.FailOrder(link, channelOrderID, reason) })
}

// OrderBinding: see Tx.OrderBinding.
func (db *DB) OrderBinding(ctx context.Context, link, channelOrderID string) (OrderBinding, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (OrderBinding, bool, error) { return tx.OrderBinding(link, channelOrderID) })
}

// ListPendingOrders: see Tx.ListPendingOrders.
func (db *DB) ListPendingOrders(ctx context.Context, link string) ([]OrderBinding, error) {
	return inTx1(db, ctx, func(tx *Tx) ([]OrderBinding, error) { return tx.ListPendingOrders(link) })
}

// ClaimForcedImport: see Tx.ClaimForcedImport.
func (db *DB) ClaimForcedImport(ctx context.Context, link, channelOrderID, importID string) (OrderBinding, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (OrderBinding, bool, error) {
		return tx.ClaimForcedImport(link, channelOrderID, importID)
	})
}

// CompleteForcedImport: see Tx.CompleteForcedImport.
func (db *DB) CompleteForcedImport(ctx context.Context, importID string, rackbeatNumber int64) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.CompleteForcedImport(importID, rackbeatNumber) })
}

// FailForcedImport: see Tx.FailForcedImport.
func (db *DB) FailForcedImport(ctx context.Context, importID, reason string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.FailForcedImport(importID, reason) })
}

// ForcedImports: see Tx.ForcedImports.
func (db *DB) ForcedImports(ctx context.Context, link, channelOrderID string) ([]OrderBinding, error) {
	return inTx1(db, ctx, func(tx *Tx) ([]OrderBinding, error) { return tx.ForcedImports(link, channelOrderID) })
}

// UpsertProductBinding: see Tx.UpsertProductBinding.
func (db *DB) UpsertProductBinding(ctx context.Context, b ProductBinding) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.UpsertProductBinding(b) })
}

// ProductBinding: see Tx.ProductBinding.
func (db *DB) ProductBinding(ctx context.Context, link, sku string) (ProductBinding, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (ProductBinding, bool, error) { return tx.ProductBinding(link, sku) })
}

// ProductBindingByVariant: see Tx.ProductBindingByVariant.
func (db *DB) ProductBindingByVariant(ctx context.Context, link, channelVariantID string) (ProductBinding, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (ProductBinding, bool, error) {
		return tx.ProductBindingByVariant(link, channelVariantID)
	})
}

// ProductBindings: see Tx.ProductBindings.
func (db *DB) ProductBindings(ctx context.Context, link, afterSKU string, limit int) ([]ProductBinding, error) {
	return inTx1(db, ctx, func(tx *Tx) ([]ProductBinding, error) { return tx.ProductBindings(link, afterSKU, limit) })
}

// DeleteProductBinding: see Tx.DeleteProductBinding.
func (db *DB) DeleteProductBinding(ctx context.Context, link, sku string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.DeleteProductBinding(link, sku) })
}

// Cursor: see Tx.Cursor.
func (db *DB) Cursor(ctx context.Context, link, flow string) (string, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (string, bool, error) { return tx.Cursor(link, flow) })
}

// SetCursor: see Tx.SetCursor.
func (db *DB) SetCursor(ctx context.Context, link, flow, value string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.SetCursor(link, flow, value) })
}

// AddQuarantine: see Tx.AddQuarantine.
func (db *DB) AddQuarantine(ctx context.Context, item QuarantineItem) (int64, error) {
	return inTx1(db, ctx, func(tx *Tx) (int64, error) { return tx.AddQuarantine(item) })
}

// ListQuarantine: see Tx.ListQuarantine.
func (db *DB) ListQuarantine(ctx context.Context, f QuarantineFilter) ([]QuarantineItem, error) {
	return inTx1(db, ctx, func(tx *Tx) ([]QuarantineItem, error) { return tx.ListQuarantine(f) })
}

// QuarantineCounts: see Tx.QuarantineCounts.
func (db *DB) QuarantineCounts(ctx context.Context) (map[string]int, error) {
	return inTx1(db, ctx, func(tx *Tx) (map[string]int, error) { return tx.QuarantineCounts() })
}

// QuarantineItem: see Tx.QuarantineItem.
func (db *DB) QuarantineItem(ctx context.Context, id int64) (QuarantineItem, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (QuarantineItem, bool, error) { return tx.QuarantineItem(id) })
}

// DropQuarantine: see Tx.DropQuarantine.
func (db *DB) DropQuarantine(ctx context.Context, id int64) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.DropQuarantine(id) })
}

// MarkDeliverySeen: see Tx.MarkDeliverySeen.
func (db *DB) MarkDeliverySeen(ctx context.Context, source, deliveryID string) (bool, error) {
	return inTx1(db, ctx, func(tx *Tx) (bool, error) { return tx.MarkDeliverySeen(source, deliveryID) })
}

// PruneDeliveries: see Tx.PruneDeliveries.
func (db *DB) PruneDeliveries(ctx context.Context, olderThan time.Duration) (int64, error) {
	return inTx1(db, ctx, func(tx *Tx) (int64, error) { return tx.PruneDeliveries(olderThan) })
}

// RecordInitialSync: see Tx.RecordInitialSync.
func (db *DB) RecordInitialSync(ctx context.Context, link, result string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.RecordInitialSync(link, result) })
}

// ForceInitialSync: see Tx.ForceInitialSync.
func (db *DB) ForceInitialSync(ctx context.Context, link, result string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.ForceInitialSync(link, result) })
}

// SetInitialSyncResult: see Tx.SetInitialSyncResult.
func (db *DB) SetInitialSyncResult(ctx context.Context, link, result string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.SetInitialSyncResult(link, result) })
}

// InitialSync: see Tx.InitialSync.
func (db *DB) InitialSync(ctx context.Context, link string) (InitialSyncRecord, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (InitialSyncRecord, bool, error) { return tx.InitialSync(link) })
}

// Audit: see Tx.Audit.
func (db *DB) Audit(ctx context.Context, e AuditEntry) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.Audit(e) })
}

// ListAudit: see Tx.ListAudit.
func (db *DB) ListAudit(ctx context.Context, link string, limit int) ([]AuditEntry, error) {
	return inTx1(db, ctx, func(tx *Tx) ([]AuditEntry, error) { return tx.ListAudit(link, limit) })
}

// RecordStockWrite: see Tx.RecordStockWrite.
func (db *DB) RecordStockWrite(ctx context.Context, w StockWrite) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.RecordStockWrite(w) })
}

// LastStockWrite: see Tx.LastStockWrite.
func (db *DB) LastStockWrite(ctx context.Context, link, sku, location string) (StockWrite, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (StockWrite, bool, error) { return tx.LastStockWrite(link, sku, location) })
}

// PutSecret: see Tx.PutSecret.
func (db *DB) PutSecret(ctx context.Context, link, name, value string, expiresAt time.Time) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.PutSecret(link, name, value, expiresAt) })
}

// GetSecret: see Tx.GetSecret.
func (db *DB) GetSecret(ctx context.Context, link, name string) (Secret, bool, error) {
	return inTx2(db, ctx, func(tx *Tx) (Secret, bool, error) { return tx.GetSecret(link, name) })
}

// DeleteSecret: see Tx.DeleteSecret.
func (db *DB) DeleteSecret(ctx context.Context, link, name string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.DeleteSecret(link, name) })
}
