// Package shopbox is the Shopbox connector: it serves the shopbridge
// connector protocol (through sdk only) for Shopbox POS and webshop accounts,
// speaking the REST API v3 through package api.
//
// # Settings
//
// email and password (secret) log in as the seed's installation step asks;
// api_token (secret) is the dashboard token instead. client_id names the shop
// when the account has several (without it the first call fails naming
// client_id and listing the shops). vat_rate (decimal string, default "0.25")
// and currency (default "NOK") describe the shop's prices; push_secret
// (secret) verifies basket pushes; base_url and page_size tune the client.
//
// # Identifiers
//
// Product.ID is the Shopbox product uid. Variant.ID is the variance uid (the
// seed's "variation ID"); a product without variances has one variant whose
// ID is the product uid. InventoryItemID names the unit that holds stock:
// "product" or "product/variance". Stock LocationID is a branch uid; an
// order's LocationID is its cash register uid, with the branch in
// Attributes["branch"].
//
// # Money
//
// Shopbox stores selling prices as integer øre including VAT. Reads report
// Variant.Price as that VAT-inclusive price, exactly (12500 is 125.00), with
// PriceIncludesVAT set. Writes take a price with or without VAT, as its
// PriceIncludesVAT says, multiply by 1+vat_rate when it is without, and round
// half away from zero to whole øre: 100.00 without VAT at 0.25 is 12500 øre.
// No amount passes through a float.
//
// # Cursors
//
// Product reads page by updated_since and page number, with the run's start
// taken from the server's Date header; the next run starts a minute before
// it, and products handed out in that overlap are not handed out again unless
// they changed (the cursor carries their uid and updated_time, at most a few
// thousand, past which they are simply repeated). Order reads use a window of
// creation times [from, to] with to fixed at the run's start, then the older
// sales changed since from (cancellations), with the same overlap and
// de-duplication. Both rely on the sandbox's documented guess that lists are
// ordered by uid.
//
// # Stock writes and idempotency
//
// The API has no idempotency keys and POST /product-inventories sets (not
// adds) a quantity. WriteStock therefore reads the current quantity of each
// row first, and:
//
//   - a row whose key (request key + "/" + row key) this link applied before
//     is answered Replayed with the quantity it found then, and not written;
//     the link remembers the last 100,000 applied keys, in memory;
//   - a row with Expected is a compare-and-set: when Shopbox holds neither
//     the expected nor the target quantity, it fails with class conflict
//     (code EXPECTED_QUANTITY_STALE) instead of overwriting a sale;
//   - a row already at its target quantity is not written;
//   - otherwise the quantity is set, with the key in the inventory note so an
//     operator can trace the write in Shopbox.
//
// The guarantee: within one connector process a repeated key is never applied
// twice. Across a restart (the record is gone) a repeat is still harmless when
// the quantity did not move since, and is refused when the host sends Expected.
// The limits: without Expected, a repeat after a restart and after a sale
// overwrites that sale's decrement; and since Shopbox has no compare-and-set
// of its own, a sale rung up between the read and the write of a row is
// overwritten. Batches of one link run one at a time so a retry cannot
// interleave with the call it repeats.
//
// # Pushes
//
// basket.created and basket.canceled pushes are verified with the HMAC-SHA256
// in X-Shopbox-Signature (sha256=<hex>) keyed with push_secret, compared in
// constant time; the delivery id is X-Shopbox-Delivery. Polling ReadOrders
// works without pushes.
package shopbox
