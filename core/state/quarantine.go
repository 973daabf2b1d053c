package state

import (
	"errors"
	"fmt"
	"time"
)

// QuarantineItem is something a flow could not process and will not retry on
// its own: an order with an unknown SKU, a job that exhausted its attempts.
// Flow and Key name what to redo: for items made by core/schedule, Flow is the
// job kind and Payload the job's arguments, so a retry re-enqueues it.
type QuarantineItem struct {
	ID   int64
	Link string
	Flow string
	Key  string
	// Reason says what an operator must fix, in one line.
	Reason    string
	Payload   []byte
	Attempts  int
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const quarantineCols = "id, link, flow, item_key, reason, payload, attempts, last_error, created_at, updated_at"

func scanQuarantine(r interface{ Scan(...any) error }, q *QuarantineItem) error {
	return r.Scan(&q.ID, &q.Link, &q.Flow, &q.Key, &q.Reason, &q.Payload, &q.Attempts, &q.LastError, ts(&q.CreatedAt), ts(&q.UpdatedAt))
}

// AddQuarantine puts an item in quarantine and returns its id. An item with
// the same link, flow and key is updated instead (attempts counts how often
// it landed there), so quarantine never holds duplicates.
func (tx *Tx) AddQuarantine(item QuarantineItem) (int64, error) {
	if item.Link == "" || item.Flow == "" {
		return 0, errors.New("state: a quarantine item needs a link and a flow")
	}
	t := now()
	_, err := tx.q.exec(tx.ctx, `INSERT INTO quarantine (link, flow, item_key, reason, payload, attempts, last_error, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?) ON CONFLICT (link, flow, item_key) DO UPDATE SET reason = excluded.reason,
			payload = excluded.payload, attempts = quarantine.attempts + 1, last_error = excluded.last_error,
			updated_at = excluded.updated_at`,
		item.Link, item.Flow, item.Key, item.Reason, item.Payload, item.LastError, t, t)
	if err != nil {
		return 0, fmt.Errorf("state: quarantine %s/%s/%s: %w", item.Link, item.Flow, item.Key, err)
	}
	var id int64
	err = queryRowScan(tx, "SELECT id FROM quarantine WHERE link = ? AND flow = ? AND item_key = ?",
		[]any{item.Link, item.Flow, item.Key}, func(r interface{ Scan(...any) error }) error { return r.Scan(&id) })
	if err != nil {
		return 0, fmt.Errorf("state: read quarantine id of %s/%s/%s: %w", item.Link, item.Flow, item.Key, err)
	}
	return id, nil
}

// QuarantineFilter narrows ListQuarantine; zero fields match everything.
type QuarantineFilter struct {
	Link string
	Flow string
	// AfterID and Limit page through the list in id order.
	AfterID int64
	Limit   int
}

// ListQuarantine returns items in id order.
func (tx *Tx) ListQuarantine(f QuarantineFilter) ([]QuarantineItem, error) {
	q, args := "SELECT "+quarantineCols+" FROM quarantine WHERE id > ?", []any{f.AfterID}
	if f.Link != "" {
		q, args = q+" AND link = ?", append(args, f.Link)
	}
	if f.Flow != "" {
		q, args = q+" AND flow = ?", append(args, f.Flow)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	r, err := tx.q.query(tx.ctx, q+" ORDER BY id LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("state: list quarantine: %w", err)
	}
	defer r.Close()
	var out []QuarantineItem
	for r.Next() {
		var it QuarantineItem
		if err := scanQuarantine(r, &it); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, r.Err()
}

// QuarantineCounts counts the items waiting in quarantine per link (links
// with none are absent).
func (tx *Tx) QuarantineCounts() (map[string]int, error) {
	r, err := tx.q.query(tx.ctx, "SELECT link, COUNT(*) FROM quarantine GROUP BY link")
	if err != nil {
		return nil, fmt.Errorf("state: count quarantine: %w", err)
	}
	defer r.Close()
	out := map[string]int{}
	for r.Next() {
		var link string
		var n int
		if err := r.Scan(&link, &n); err != nil {
			return nil, fmt.Errorf("state: count quarantine: %w", err)
		}
		out[link] = n
	}
	return out, r.Err()
}

// QuarantineItem returns one item.
func (tx *Tx) QuarantineItem(id int64) (QuarantineItem, bool, error) {
	var it QuarantineItem
	err := queryRowScan(tx, "SELECT "+quarantineCols+" FROM quarantine WHERE id = ?", []any{id},
		func(r interface{ Scan(...any) error }) error { return scanQuarantine(r, &it) })
	if errors.Is(err, errNoRows) {
		return QuarantineItem{}, false, nil
	}
	if err != nil {
		return QuarantineItem{}, false, fmt.Errorf("state: read quarantine item %d: %w", id, err)
	}
	return it, true, nil
}

// DropQuarantine removes an item (the operator gave up on it, or it is being
// retried); ErrNotFound if there is no such item.
func (tx *Tx) DropQuarantine(id int64) error {
	n, err := tx.q.exec(tx.ctx, "DELETE FROM quarantine WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("state: drop quarantine item %d: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("state: quarantine item %d: %w", id, ErrNotFound)
	}
	return nil
}
