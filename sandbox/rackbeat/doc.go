// Package rackbeat is a local stand-in for the Rackbeat API (API-NOTES §1), the
// inventory system every shopbridge link talks to. It serves the same paths,
// shapes, paging, auth, errors and rate limit under /api/, sends webhooks with
// the real headers through sandbox/delivery, and is seeded from a generated
// catalogue (one Rackbeat product per variant SKU, since Rackbeat has no
// variants). Tests run it in-process with httptest; the sandbox binary runs it
// on a port. It imports nothing of the product, so a client bug cannot hide
// behind shared code.
//
// # Control API
//
// Everything under /_sandbox/ is the control API: no auth, never faulted, never
// rate-limited, never counted.
//
//	GET    /_sandbox/             service name, API path, accepted tokens, this list
//	GET    /_sandbox/faults       {"rules":[…],"seed":n,"counts":{kind:n}}
//	PUT    /_sandbox/faults       replace rules: {"rules":[…],"seed":n} | [rule…] | rule
//	POST   /_sandbox/faults       add rules (same bodies); DELETE clears (?counts=1 also the counts)
//	GET    /_sandbox/state        the whole State as JSON (also GET /_sandbox/snapshot)
//	POST   /_sandbox/stock        {"number","location"(default: default location),"delta"|"quantity"}
//	                              → {"number","stock":{loc:n},"available":{loc:n}}; fires inventory.changed
//	POST   /_sandbox/products     a POST /api/products body with "number"; creates or changes the
//	                              product (fires product.created / product.updated) → {"product":{…}}
//	POST   /_sandbox/snapshot     {"path":"/file"} writes the state there; no body: answers it
//	POST   /_sandbox/restore      {"path":"/file"} or a state JSON body; fires no webhooks
//	GET    /_sandbox/requests     {"total":n,"by_path":{"/api/products":n},"by_route":{"GET /api/products":n}}
//	DELETE /_sandbox/requests     zero the counts
//	GET    /_sandbox/deliveries   {"deliveries":[delivery.Attempt…]} every webhook attempt
//
// Errors from the control API are 422 {"message","errors":{…}}.
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
//   - Booking a draft, booking with POST /orders, changing a booked order's
//     lines and cancelling it also fire inventory.changed: available stock moves.
//   - GET /self answers {"self":{"account_id","company_name"}}.
//   - Webhook deliveries: data is the resource as GET would show it (a product
//     with its stock for inventory.changed); product.updated also carries
//     old_key, new_key and changed (field names).
package rackbeat
