package state

import (
	"errors"
	"fmt"
	"time"
)

// OrderState is where an order's import stands.
type OrderState string

// Order binding states.
const (
	// OrderPending: claimed, Rackbeat order not known to exist yet. A pending
	// binding found by a later attempt means an earlier one may have crashed
	// after creating the Rackbeat order: look it up before creating it.
	OrderPending OrderState = "pending"
	// OrderCreated: the Rackbeat order exists and its number is recorded.
	OrderCreated OrderState = "created"
	// OrderFailed: the import failed permanently without creating anything
	// (the order sits in quarantine); claiming it again is allowed.
	OrderFailed OrderState = "failed"
)

// OrderBinding ties a channel order to the Rackbeat order made from it.
type OrderBinding struct {
	Link           string
	ChannelOrderID string
	State          OrderState
	// RackbeatNumber is the Rackbeat order number; 0 until created.
	RackbeatNumber int64
	// Forced is set on the primary binding once an operator forced a
	// duplicate import of this order.
	Forced bool
	// ImportID is empty for the primary binding and names the forced import
	// for rows returned by ClaimForcedImport and ForcedImports.
	ImportID  string
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const orderCols = "link, channel_order_id, state, rackbeat_order_number, forced, last_error, created_at, updated_at"

func scanOrder(r interface{ Scan(...any) error }, b *OrderBinding) error {
	var state string
	err := r.Scan(&b.Link, &b.ChannelOrderID, &state, &b.RackbeatNumber, &b.Forced, &b.LastError, ts(&b.CreatedAt), ts(&b.UpdatedAt))
	b.State = OrderState(state)
	return err
}

// ClaimOrder records that this caller is importing the channel order. When no
// binding exists it inserts a pending one and returns claimed=true; exactly
// one of any number of concurrent callers wins. A failed binding is claimed
// again the same way. Otherwise it returns the existing binding with
// claimed=false: created means "already imported as Rackbeat order N";
// pending means another attempt is in flight or crashed half-way.
func (tx *Tx) ClaimOrder(link, channelOrderID string) (OrderBinding, bool, error) {
	if link == "" || channelOrderID == "" {
		return OrderBinding{}, false, errors.New("state: claim order: link and channel order id are required")
	}
	t := now()
	n, err := tx.q.exec(tx.ctx, `INSERT INTO order_bindings (link, channel_order_id, state, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (link, channel_order_id) DO NOTHING`,
		link, channelOrderID, string(OrderPending), t, t)
	if err != nil {
		return OrderBinding{}, false, fmt.Errorf("state: claim order %s/%s: %w", link, channelOrderID, err)
	}
	claimed := n == 1
	if !claimed {
		n, err = tx.q.exec(tx.ctx, `UPDATE order_bindings SET state = ?, last_error = '', updated_at = ?
			WHERE link = ? AND channel_order_id = ? AND state = ?`,
			string(OrderPending), t, link, channelOrderID, string(OrderFailed))
		if err != nil {
			return OrderBinding{}, false, fmt.Errorf("state: reclaim failed order %s/%s: %w", link, channelOrderID, err)
		}
		claimed = n == 1
	}
	b, ok, err := tx.OrderBinding(link, channelOrderID)
	if err == nil && !ok {
		err = fmt.Errorf("state: order binding %s/%s vanished after claim", link, channelOrderID)
	}
	return b, claimed, err
}

// CompleteOrder records the Rackbeat order created for a claimed order.
func (tx *Tx) CompleteOrder(link, channelOrderID string, rackbeatNumber int64) error {
	n, err := tx.q.exec(tx.ctx, `UPDATE order_bindings SET state = ?, rackbeat_order_number = ?, last_error = '', updated_at = ?
		WHERE link = ? AND channel_order_id = ?`,
		string(OrderCreated), rackbeatNumber, now(), link, channelOrderID)
	if err != nil {
		return fmt.Errorf("state: complete order %s/%s: %w", link, channelOrderID, err)
	}
	if n == 0 {
		return fmt.Errorf("state: complete order %s/%s: no binding (claim it first): %w", link, channelOrderID, ErrNotFound)
	}
	return nil
}

// FailOrder marks a claimed order as failed for good (reason says why), so
// that a later retry may claim it again. It never touches a created binding.
func (tx *Tx) FailOrder(link, channelOrderID, reason string) error {
	n, err := tx.q.exec(tx.ctx, `UPDATE order_bindings SET state = ?, last_error = ?, updated_at = ?
		WHERE link = ? AND channel_order_id = ? AND state <> ?`,
		string(OrderFailed), reason, now(), link, channelOrderID, string(OrderCreated))
	if err != nil {
		return fmt.Errorf("state: fail order %s/%s: %w", link, channelOrderID, err)
	}
	if n == 0 {
		b, ok, err := tx.OrderBinding(link, channelOrderID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("state: fail order %s/%s: no binding: %w", link, channelOrderID, ErrNotFound)
		}
		return fmt.Errorf("state: fail order %s/%s: already imported as Rackbeat order %d", link, channelOrderID, b.RackbeatNumber)
	}
	return nil
}

// OrderBinding returns the primary binding of a channel order.
func (tx *Tx) OrderBinding(link, channelOrderID string) (OrderBinding, bool, error) {
	var b OrderBinding
	err := queryRowScan(tx, "SELECT "+orderCols+" FROM order_bindings WHERE link = ? AND channel_order_id = ?",
		[]any{link, channelOrderID}, func(r interface{ Scan(...any) error }) error { return scanOrder(r, &b) })
	if errors.Is(err, errNoRows) {
		return OrderBinding{}, false, nil
	}
	if err != nil {
		return OrderBinding{}, false, fmt.Errorf("state: read order binding %s/%s: %w", link, channelOrderID, err)
	}
	return b, true, nil
}

// ListPendingOrders returns the link's pending bindings, oldest first: the
// imports to heal after a crash.
func (tx *Tx) ListPendingOrders(link string) ([]OrderBinding, error) {
	r, err := tx.q.query(tx.ctx, "SELECT "+orderCols+" FROM order_bindings WHERE link = ? AND state = ? ORDER BY created_at, channel_order_id",
		link, string(OrderPending))
	if err != nil {
		return nil, fmt.Errorf("state: list pending orders of %s: %w", link, err)
	}
	defer r.Close()
	var out []OrderBinding
	for r.Next() {
		var b OrderBinding
		if err := scanOrder(r, &b); err != nil {
			return nil, fmt.Errorf("state: list pending orders of %s: %w", link, err)
		}
		out = append(out, b)
	}
	return out, r.Err()
}

const forcedCols = "import_id, link, channel_order_id, state, rackbeat_order_number, last_error, created_at, updated_at"

func scanForced(r interface{ Scan(...any) error }, b *OrderBinding) error {
	var state string
	err := r.Scan(&b.ImportID, &b.Link, &b.ChannelOrderID, &state, &b.RackbeatNumber, &b.LastError, ts(&b.CreatedAt), ts(&b.UpdatedAt))
	b.State = OrderState(state)
	b.Forced = true
	return err
}

// ClaimForcedImport records an operator's forced duplicate import of a
// channel order under importID, leaving the primary binding unique and
// marking it forced. Claiming the same importID again returns the existing
// row with claimed=false, so a retried forced import creates one order, not
// two.
func (tx *Tx) ClaimForcedImport(link, channelOrderID, importID string) (OrderBinding, bool, error) {
	if link == "" || channelOrderID == "" || importID == "" {
		return OrderBinding{}, false, errors.New("state: claim forced import: link, channel order id and import id are required")
	}
	t := now()
	n, err := tx.q.exec(tx.ctx, `INSERT INTO forced_order_imports (import_id, link, channel_order_id, state, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (import_id) DO NOTHING`,
		importID, link, channelOrderID, string(OrderPending), t, t)
	if err != nil {
		return OrderBinding{}, false, fmt.Errorf("state: claim forced import %s of %s/%s: %w", importID, link, channelOrderID, err)
	}
	if _, err := tx.q.exec(tx.ctx, "UPDATE order_bindings SET forced = TRUE, updated_at = ? WHERE link = ? AND channel_order_id = ?",
		t, link, channelOrderID); err != nil {
		return OrderBinding{}, false, fmt.Errorf("state: mark order %s/%s forced: %w", link, channelOrderID, err)
	}
	var b OrderBinding
	err = queryRowScan(tx, "SELECT "+forcedCols+" FROM forced_order_imports WHERE import_id = ?", []any{importID},
		func(r interface{ Scan(...any) error }) error { return scanForced(r, &b) })
	if err != nil {
		return OrderBinding{}, false, fmt.Errorf("state: read forced import %s: %w", importID, err)
	}
	if b.Link != link || b.ChannelOrderID != channelOrderID {
		return OrderBinding{}, false, fmt.Errorf("state: import id %s already names order %s/%s", importID, b.Link, b.ChannelOrderID)
	}
	return b, n == 1, nil
}

// CompleteForcedImport records the Rackbeat order a forced import created.
func (tx *Tx) CompleteForcedImport(importID string, rackbeatNumber int64) error {
	return tx.setForced(importID, OrderCreated, rackbeatNumber, "")
}

// FailForcedImport marks a forced import as failed.
func (tx *Tx) FailForcedImport(importID, reason string) error {
	return tx.setForced(importID, OrderFailed, 0, reason)
}

func (tx *Tx) setForced(importID string, st OrderState, number int64, reason string) error {
	n, err := tx.q.exec(tx.ctx, `UPDATE forced_order_imports SET state = ?, rackbeat_order_number = ?, last_error = ?, updated_at = ?
		WHERE import_id = ?`, string(st), number, reason, now(), importID)
	if err != nil {
		return fmt.Errorf("state: update forced import %s: %w", importID, err)
	}
	if n == 0 {
		return fmt.Errorf("state: forced import %s: %w", importID, ErrNotFound)
	}
	return nil
}

// ForcedImports lists the forced imports of one channel order, oldest first.
func (tx *Tx) ForcedImports(link, channelOrderID string) ([]OrderBinding, error) {
	r, err := tx.q.query(tx.ctx, "SELECT "+forcedCols+" FROM forced_order_imports WHERE link = ? AND channel_order_id = ? ORDER BY created_at, import_id",
		link, channelOrderID)
	if err != nil {
		return nil, fmt.Errorf("state: list forced imports of %s/%s: %w", link, channelOrderID, err)
	}
	defer r.Close()
	var out []OrderBinding
	for r.Next() {
		var b OrderBinding
		if err := scanForced(r, &b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, r.Err()
}

// queryRowScan runs q and hands its first row to scan; errNoRows if none.
func queryRowScan(tx *Tx, q string, args []any, scan func(r interface{ Scan(...any) error }) error) error {
	r, err := tx.q.query(tx.ctx, q, args...)
	if err != nil {
		return err
	}
	defer r.Close()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return err
		}
		return errNoRows
	}
	if err := scan(r); err != nil {
		return err
	}
	return r.Err()
}
