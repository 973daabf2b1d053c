package state

import (
	"errors"
	"fmt"
	"time"
)

// Link is a configured pairing as the store remembers it.
type Link struct {
	ID        string
	Connector string
	// ConnectorVersion is the connector version the link runs on now.
	ConnectorVersion string
	Disabled         bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

const linkCols = "id, connector, connector_version, disabled, created_at, updated_at"

// UpsertLink records a link, or updates its connector, version and disabled
// flag; CreatedAt is kept from the first time.
func (tx *Tx) UpsertLink(l Link) error {
	if l.ID == "" {
		return errors.New("state: link needs an id")
	}
	t := now()
	_, err := tx.q.exec(tx.ctx, `INSERT INTO links (`+linkCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET connector = excluded.connector, connector_version = excluded.connector_version,
			disabled = excluded.disabled, updated_at = excluded.updated_at`,
		l.ID, l.Connector, l.ConnectorVersion, l.Disabled, t, t)
	if err != nil {
		return fmt.Errorf("state: save link %s: %w", l.ID, err)
	}
	return nil
}

// Link returns one link.
func (tx *Tx) Link(id string) (Link, bool, error) {
	var l Link
	err := queryRowScan(tx, "SELECT "+linkCols+" FROM links WHERE id = ?", []any{id}, func(r interface{ Scan(...any) error }) error {
		return r.Scan(&l.ID, &l.Connector, &l.ConnectorVersion, &l.Disabled, ts(&l.CreatedAt), ts(&l.UpdatedAt))
	})
	if errors.Is(err, errNoRows) {
		return Link{}, false, nil
	}
	if err != nil {
		return Link{}, false, fmt.Errorf("state: read link %s: %w", id, err)
	}
	return l, true, nil
}

// Links returns every link, by id.
func (tx *Tx) Links() ([]Link, error) {
	r, err := tx.q.query(tx.ctx, "SELECT "+linkCols+" FROM links ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("state: list links: %w", err)
	}
	defer r.Close()
	var out []Link
	for r.Next() {
		var l Link
		if err := r.Scan(&l.ID, &l.Connector, &l.ConnectorVersion, &l.Disabled, ts(&l.CreatedAt), ts(&l.UpdatedAt)); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, r.Err()
}
