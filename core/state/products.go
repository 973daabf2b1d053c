package state

import (
	"errors"
	"fmt"
	"time"
)

// ProductBinding ties a Rackbeat product (by SKU = Rackbeat number, at variant
// level) to its channel product and variant, with hashes of what shopbridge
// last wrote on each side so that `both` can recognise its own echoes.
type ProductBinding struct {
	Link             string
	SKU              string
	ChannelProductID string
	ChannelVariantID string
	RackbeatNumber   string
	// InventoryHash is the hash of what shopbridge last wrote to Rackbeat.
	InventoryHash string
	// ChannelHash is the hash of what shopbridge last wrote to the channel.
	ChannelHash string
	UpdatedAt   time.Time
}

const productCols = "link, sku, channel_product_id, channel_variant_id, rackbeat_number, inventory_hash, channel_hash, updated_at"

func scanProduct(r interface{ Scan(...any) error }, b *ProductBinding) error {
	return r.Scan(&b.Link, &b.SKU, &b.ChannelProductID, &b.ChannelVariantID, &b.RackbeatNumber, &b.InventoryHash, &b.ChannelHash, ts(&b.UpdatedAt))
}

// UpsertProductBinding writes every field of b (UpdatedAt is set to now).
func (tx *Tx) UpsertProductBinding(b ProductBinding) error {
	if b.Link == "" || b.SKU == "" {
		return errors.New("state: product binding needs a link and a SKU")
	}
	_, err := tx.q.exec(tx.ctx, `INSERT INTO product_bindings (`+productCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (link, sku) DO UPDATE SET channel_product_id = excluded.channel_product_id,
			channel_variant_id = excluded.channel_variant_id, rackbeat_number = excluded.rackbeat_number,
			inventory_hash = excluded.inventory_hash, channel_hash = excluded.channel_hash, updated_at = excluded.updated_at`,
		b.Link, b.SKU, b.ChannelProductID, b.ChannelVariantID, b.RackbeatNumber, b.InventoryHash, b.ChannelHash, now())
	if err != nil {
		return fmt.Errorf("state: save product binding %s/%s: %w", b.Link, b.SKU, err)
	}
	return nil
}

// ProductBinding returns the binding of one SKU.
func (tx *Tx) ProductBinding(link, sku string) (ProductBinding, bool, error) {
	return tx.productWhere("sku = ?", link, sku)
}

// ProductBindingByVariant finds a binding by the channel's variant id, for
// channel webhooks that name ids rather than SKUs.
func (tx *Tx) ProductBindingByVariant(link, channelVariantID string) (ProductBinding, bool, error) {
	return tx.productWhere("channel_variant_id = ?", link, channelVariantID)
}

func (tx *Tx) productWhere(cond, link, v string) (ProductBinding, bool, error) {
	var b ProductBinding
	err := queryRowScan(tx, "SELECT "+productCols+" FROM product_bindings WHERE link = ? AND "+cond+" ORDER BY sku LIMIT 1",
		[]any{link, v}, func(r interface{ Scan(...any) error }) error { return scanProduct(r, &b) })
	if errors.Is(err, errNoRows) {
		return ProductBinding{}, false, nil
	}
	if err != nil {
		return ProductBinding{}, false, fmt.Errorf("state: read product binding %s/%s: %w", link, v, err)
	}
	return b, true, nil
}

// ProductBindings returns up to limit bindings of the link with SKU greater
// than afterSKU, in SKU order: pass the last SKU of a page to get the next.
func (tx *Tx) ProductBindings(link, afterSKU string, limit int) ([]ProductBinding, error) {
	if limit <= 0 {
		limit = 1000
	}
	r, err := tx.q.query(tx.ctx, "SELECT "+productCols+" FROM product_bindings WHERE link = ? AND sku > ? ORDER BY sku LIMIT ?",
		link, afterSKU, limit)
	if err != nil {
		return nil, fmt.Errorf("state: list product bindings of %s: %w", link, err)
	}
	defer r.Close()
	out := make([]ProductBinding, 0, min(limit, 1000))
	for r.Next() {
		var b ProductBinding
		if err := scanProduct(r, &b); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, r.Err()
}

// DeleteProductBinding forgets a SKU (the product was deleted on a side).
func (tx *Tx) DeleteProductBinding(link, sku string) error {
	if _, err := tx.q.exec(tx.ctx, "DELETE FROM product_bindings WHERE link = ? AND sku = ?", link, sku); err != nil {
		return fmt.Errorf("state: delete product binding %s/%s: %w", link, sku, err)
	}
	return nil
}
