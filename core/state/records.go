package state

import (
	"errors"
	"fmt"
	"time"
)

// Cursor returns the saved read position of a link's flow.
func (tx *Tx) Cursor(link, flow string) (string, bool, error) {
	var v string
	err := queryRowScan(tx, "SELECT value FROM cursors WHERE link = ? AND flow = ?", []any{link, flow},
		func(r interface{ Scan(...any) error }) error { return r.Scan(&v) })
	if errors.Is(err, errNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("state: read cursor %s/%s: %w", link, flow, err)
	}
	return v, true, nil
}

// SetCursor saves a read position; commit it in the same transaction as the
// records read up to it.
func (tx *Tx) SetCursor(link, flow, value string) error {
	_, err := tx.q.exec(tx.ctx, `INSERT INTO cursors (link, flow, value, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (link, flow) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		link, flow, value, now())
	if err != nil {
		return fmt.Errorf("state: save cursor %s/%s: %w", link, flow, err)
	}
	return nil
}

// MarkDeliverySeen records a webhook delivery id; first is false when it was
// seen before and the delivery should be dropped as a duplicate.
func (tx *Tx) MarkDeliverySeen(source, deliveryID string) (bool, error) {
	n, err := tx.q.exec(tx.ctx, `INSERT INTO webhook_deliveries (source, delivery_id, received_at) VALUES (?, ?, ?)
		ON CONFLICT (source, delivery_id) DO NOTHING`, source, deliveryID, now())
	if err != nil {
		return false, fmt.Errorf("state: record webhook delivery %s/%s: %w", source, deliveryID, err)
	}
	return n == 1, nil
}

// PruneDeliveries forgets delivery ids received more than olderThan ago and
// returns how many it removed. Keep olderThan longer than the longest retry
// window of any sender (Shopify: 4 hours).
func (tx *Tx) PruneDeliveries(olderThan time.Duration) (int64, error) {
	n, err := tx.q.exec(tx.ctx, "DELETE FROM webhook_deliveries WHERE received_at < ?", now().Add(-olderThan))
	if err != nil {
		return 0, fmt.Errorf("state: prune webhook deliveries: %w", err)
	}
	return n, nil
}

// ErrInitialSyncRan is returned by RecordInitialSync when the link's initial
// sync already ran.
type ErrInitialSyncRan struct {
	Link string
	At   time.Time
}

func (e ErrInitialSyncRan) Error() string {
	return fmt.Sprintf("the initial sync of link %s already ran at %s; it runs once per link (use --force if you know it must run again)",
		e.Link, e.At.Format(time.RFC3339))
}

// InitialSyncRecord is the once-only record of a link's initial sync.
type InitialSyncRecord struct {
	Link   string
	RanAt  time.Time
	Result string
	Forced bool
}

// RecordInitialSync claims the link's one initial sync. It fails with
// ErrInitialSyncRan if it was recorded before, so record it before running
// the sync (result "started") and update the result afterwards.
func (tx *Tx) RecordInitialSync(link, result string) error {
	n, err := tx.q.exec(tx.ctx, `INSERT INTO initial_sync (link, ran_at, result) VALUES (?, ?, ?) ON CONFLICT (link) DO NOTHING`,
		link, now(), result)
	if err != nil {
		return fmt.Errorf("state: record initial sync of %s: %w", link, err)
	}
	if n == 0 {
		rec, _, err := tx.InitialSync(link)
		if err != nil {
			return err
		}
		return ErrInitialSyncRan{Link: link, At: rec.RanAt}
	}
	return nil
}

// ForceInitialSync records an operator-forced initial sync, replacing any
// earlier record.
func (tx *Tx) ForceInitialSync(link, result string) error {
	_, err := tx.q.exec(tx.ctx, `INSERT INTO initial_sync (link, ran_at, result, forced) VALUES (?, ?, ?, TRUE)
		ON CONFLICT (link) DO UPDATE SET ran_at = excluded.ran_at, result = excluded.result, forced = TRUE`,
		link, now(), result)
	if err != nil {
		return fmt.Errorf("state: record forced initial sync of %s: %w", link, err)
	}
	return nil
}

// SetInitialSyncResult updates the result of a recorded initial sync.
func (tx *Tx) SetInitialSyncResult(link, result string) error {
	n, err := tx.q.exec(tx.ctx, "UPDATE initial_sync SET result = ? WHERE link = ?", result, link)
	if err != nil {
		return fmt.Errorf("state: update initial sync of %s: %w", link, err)
	}
	if n == 0 {
		return fmt.Errorf("state: initial sync of %s was never recorded: %w", link, ErrNotFound)
	}
	return nil
}

// InitialSync returns the link's initial-sync record, if any.
func (tx *Tx) InitialSync(link string) (InitialSyncRecord, bool, error) {
	var rec InitialSyncRecord
	err := queryRowScan(tx, "SELECT link, ran_at, result, forced FROM initial_sync WHERE link = ?", []any{link},
		func(r interface{ Scan(...any) error }) error {
			return r.Scan(&rec.Link, ts(&rec.RanAt), &rec.Result, &rec.Forced)
		})
	if errors.Is(err, errNoRows) {
		return InitialSyncRecord{}, false, nil
	}
	if err != nil {
		return InitialSyncRecord{}, false, fmt.Errorf("state: read initial sync of %s: %w", link, err)
	}
	return rec, true, nil
}

// AuditEntry is one thing a flow changed.
type AuditEntry struct {
	ID     int64
	Link   string
	Flow   string
	Action string
	Key    string
	Detail string
	At     time.Time
}

// Audit appends an entry (At is set to now). Detail must hold no secret.
func (tx *Tx) Audit(e AuditEntry) error {
	_, err := tx.q.exec(tx.ctx, "INSERT INTO audit (link, flow, action, item_key, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
		e.Link, e.Flow, e.Action, e.Key, e.Detail, now())
	if err != nil {
		return fmt.Errorf("state: write audit entry for %s/%s: %w", e.Link, e.Flow, err)
	}
	return nil
}

// ListAudit returns the link's newest entries first (all links when link is
// empty), at most limit.
func (tx *Tx) ListAudit(link string, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = 100
	}
	q, args := "SELECT id, link, flow, action, item_key, detail, at FROM audit", []any{}
	if link != "" {
		q, args = q+" WHERE link = ?", append(args, link)
	}
	r, err := tx.q.query(tx.ctx, q+" ORDER BY id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("state: list audit: %w", err)
	}
	defer r.Close()
	var out []AuditEntry
	for r.Next() {
		var e AuditEntry
		if err := r.Scan(&e.ID, &e.Link, &e.Flow, &e.Action, &e.Key, &e.Detail, ts(&e.At)); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, r.Err()
}

// StockWrite is the last stock level shopbridge wrote for a SKU at a channel
// location: the changeFromQuantity of the next write, and what coalescing
// compares against.
type StockWrite struct {
	Link           string
	SKU            string
	Location       string
	Quantity       int64
	IdempotencyKey string
	UpdatedAt      time.Time
}

// RecordStockWrite saves the level just written (UpdatedAt is set to now).
func (tx *Tx) RecordStockWrite(w StockWrite) error {
	_, err := tx.q.exec(tx.ctx, `INSERT INTO stock_levels_written (link, sku, location, quantity, idempotency_key, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (link, sku, location) DO UPDATE SET quantity = excluded.quantity,
			idempotency_key = excluded.idempotency_key, updated_at = excluded.updated_at`,
		w.Link, w.SKU, w.Location, w.Quantity, w.IdempotencyKey, now())
	if err != nil {
		return fmt.Errorf("state: record stock write %s/%s@%s: %w", w.Link, w.SKU, w.Location, err)
	}
	return nil
}

// LastStockWrite returns the level last written for a SKU at a location.
func (tx *Tx) LastStockWrite(link, sku, location string) (StockWrite, bool, error) {
	var w StockWrite
	err := queryRowScan(tx, `SELECT link, sku, location, quantity, idempotency_key, updated_at FROM stock_levels_written
		WHERE link = ? AND sku = ? AND location = ?`, []any{link, sku, location},
		func(r interface{ Scan(...any) error }) error {
			return r.Scan(&w.Link, &w.SKU, &w.Location, &w.Quantity, &w.IdempotencyKey, ts(&w.UpdatedAt))
		})
	if errors.Is(err, errNoRows) {
		return StockWrite{}, false, nil
	}
	if err != nil {
		return StockWrite{}, false, fmt.Errorf("state: read stock write %s/%s@%s: %w", link, sku, location, err)
	}
	return w, true, nil
}
