// Package rackbeat is a local stand-in for the Rackbeat API (API-NOTES §1), the
// inventory system every shopbridge link talks to. It serves the same paths,
// shapes, paging, auth, errors and rate limit under /api/, sends webhooks with
// the real headers through sandbox/delivery, and is seeded from a generated
// catalogue (one Rackbeat product per variant SKU, since Rackbeat has no
// variants). Tests run it in-process with httptest; the sandbox binary runs it
// on a port. It imports nothing of the product, so a client bug cannot hide
// behind shared code.
//
// Everything under /_sandbox/ is the control API (no auth, never faulted, never
// rate-limited): faults, state, stock, products, snapshot, restore, requests.
//
// # Guesses
//
// Where the real API is unknown the sandbox guesses once, here:
//
//   - Lists answer 206 with {"<plural>":[…],"total","pages","limit","page"};
//     limit defaults to 20 and above 100 is a 422; pages is at least 1; pages
//     past the end are empty. Default order is creation order; order_by
//     (number, name, created_at, updated_at) and order_direction change it.
//   - updated_after= (RFC 3339) is inclusive (updated_at >= it) and
//     updated_before= exclusive, so a client can read a window with a fixed
//     upper bound and overlap without losing anything. Timestamps have second
//     resolution, as Rackbeat's do.
//   - field_values appear on products only with expand=field_values (and on
//     GET /products/{n}/fields); they are written with "field_values":
//     [{"field_id","value"}] in POST/PUT /products and PUT /orders/{n}/fields.
//   - Order and line quantities and stock are whole numbers; a fractional
//     quantity is a 422.
//   - Available stock per location = in stock − quantities on orders that are
//     booked and neither shipped nor cancelled (BOM lines count their
//     components). create-shipment and convert-to-invoice?book=true draw stock
//     from the line's location, else the order's, else the default location.
//   - POST /inventory-adjustments takes {"location":1,"note":"…","lines":
//     [{"item_id":"SKU","quantity":-2}]} (quantity is a delta; also accepted:
//     one line at top level as {"item_id"|"product_id"|"number","location","quantity"}).
//   - The order state can also be moved with PUT /orders/{n} {"is_ready_for_shipping":true}
//     or {"is_cancelled":true}, and POST /orders/{n}/cancel.
//   - The rate limit is a token bucket per API token holding RequestsPerMinute
//     requests and refilling at RequestsPerMinute/60 per second; a 429 carries
//     Retry-After in whole seconds (at least 1) and X-RateLimit-* headers.
//   - GET /self answers {"self":{"account_id","company_name"}}.
//   - Webhook deliveries: data is the resource as GET would show it (a product
//     with its stock for inventory.changed); product.updated also carries
//     old_key, new_key and changed (field names).
package rackbeat
