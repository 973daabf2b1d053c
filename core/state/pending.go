package state

import (
	"context"
	"fmt"
)

// PendingSKU is a SKU waiting for its stock to be written to a channel.
type PendingSKU struct {
	SKU     string
	Version int64
}

// NoteStockChange marks a SKU's stock as to be written to the link's
// channel; noting it again while it waits bumps its version.
func (tx *Tx) NoteStockChange(link, sku string) error {
	_, err := tx.q.exec(tx.ctx, `INSERT INTO stock_pending (link, sku, version, noted_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (link, sku) DO UPDATE SET version = stock_pending.version + 1, noted_at = excluded.noted_at`,
		link, sku, now())
	if err != nil {
		return fmt.Errorf("state: note stock change %s/%s: %w", link, sku, err)
	}
	return nil
}

// PendingStock lists up to limit SKUs waiting for a stock write.
func (tx *Tx) PendingStock(link string, limit int) ([]PendingSKU, error) {
	r, err := tx.q.query(tx.ctx, "SELECT sku, version FROM stock_pending WHERE link = ? ORDER BY sku LIMIT ?", link, limit)
	if err != nil {
		return nil, fmt.Errorf("state: list pending stock of %s: %w", link, err)
	}
	defer r.Close()
	var out []PendingSKU
	for r.Next() {
		var p PendingSKU
		if err := r.Scan(&p.SKU, &p.Version); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, r.Err()
}

// ClearPendingStock forgets SKUs once written, unless they were noted again
// since they were listed.
func (tx *Tx) ClearPendingStock(link string, done []PendingSKU) error {
	for _, p := range done {
		if _, err := tx.q.exec(tx.ctx, "DELETE FROM stock_pending WHERE link = ? AND sku = ? AND version = ?", link, p.SKU, p.Version); err != nil {
			return fmt.Errorf("state: clear pending stock %s/%s: %w", link, p.SKU, err)
		}
	}
	return nil
}

// PendingStock: see Tx.PendingStock.
func (db *DB) PendingStock(ctx context.Context, link string, limit int) ([]PendingSKU, error) {
	var out []PendingSKU
	err := db.InTx(ctx, func(tx *Tx) error {
		var err error
		out, err = tx.PendingStock(link, limit)
		return err
	})
	return out, err
}

// ClearPendingStock: see Tx.ClearPendingStock.
func (db *DB) ClearPendingStock(ctx context.Context, link string, done []PendingSKU) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.ClearPendingStock(link, done) })
}

// NoteStockChange: see Tx.NoteStockChange.
func (db *DB) NoteStockChange(ctx context.Context, link, sku string) error {
	return db.InTx(ctx, func(tx *Tx) error { return tx.NoteStockChange(link, sku) })
}
