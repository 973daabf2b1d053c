// Package shopbox is a local stand-in for the Shopbox API v3 (the POS and
// webshop of the Shopbox seed), faithful to what API-NOTES §2 knows of it: the
// credentials login with expiring access tokens, `accessToken`/`client` or
// `api-token` query auth, `data`/`meta.pagination` lists, branches with cash
// registers, tags, products with variances (prices as integer øre including
// VAT), product inventories per branch, and sales (baskets) with cancellation.
// Tests run it in-process with httptest; the sandbox binary runs it on a port.
// It imports nothing of the product, so a connector bug cannot hide behind
// shared code.
//
// Everything under /api/v3/ is the API; everything under /_sandbox/ is the
// control API that tests and the demo drive (no auth, never faulted).
//
// # Control API
//
// Under /_sandbox/, without auth, never faulted or rate limited:
//
//	/_sandbox/faults                       the fault injector (GET, PUT, POST, DELETE; see package faults)
//	GET  /_sandbox/state                   counts, branches, tags, webhooks, logins, inventory writes, fault counts
//	POST /_sandbox/baskets                 place a sale: {"cash_register","staff","external_id",
//	                                       "items":[{"sku","quantity","discount","price"}],"shipping","shipping_name"}
//	POST /_sandbox/baskets/random          place a random sale (deterministic by Options.Seed)
//	POST /_sandbox/baskets/{uid}/cancel    cancel a sale (puts stock back once)
//	POST /_sandbox/expire-tokens           every access token issued so far expires now
//	GET  /_sandbox/stock?sku=&branch=      [{"sku","branch","quantity"}]
//	POST /_sandbox/stock                   {"sku","branch","quantity"}: a stock count at the till
//	POST /_sandbox/products/create-or-update   the API's create-or-update, without auth
//	DELETE /_sandbox/products/{uid}        delete a product (its sales keep naming it)
//	GET  /_sandbox/inventory-writes        every POST /product-inventories with its note
//	GET  /_sandbox/pushes                  every push delivery attempt
//	GET  /_sandbox/snapshot, POST /_sandbox/restore   the whole state as JSON
//
// The same operations are Go methods on Server for in-process tests.
//
// # Guesses
//
// Where the real API is unknown the sandbox guesses once, here, and the
// connector should depend on these guesses no more than it must:
//
//   - Single objects are wrapped as {"data":{…}} (the Fractal convention that
//     goes with meta.pagination); only the login answer is bare.
//   - Relations are expanded only when asked with expand= or with= (comma
//     separated): tag0 and product_variances on products, product0 on
//     inventory rows and basket items. POST /products/create-or-update always
//     answers with product_variances.
//   - Errors are {"error":{"name","message","code":0,"status"}}: 400 malformed,
//     401 missing/unknown/expired token or wrong login, 403 a client the
//     account does not own, 404 unknown uid, 422 validation, 429 rate limited
//     (with Retry-After in seconds).
//   - Access tokens expire after Options.TokenTTL (default 1 h); an accessToken
//     request without client= is a 400.
//   - Per page: default 20, at most 100; a larger per-page is clamped. Pages
//     past the end are empty. links.next/previous are absolute URLs or null.
//   - GET /products filters: updated_since= (unix seconds, updated_time >= it),
//     sku_code= (product or variance SKU), tag=. Products are ordered by uid.
//   - A product without variances keeps its stock on itself
//     (product_variance null); with variances, inventory_on_variants is 1 and
//     stock lives per variance. The catalogue's single-variant products (SKU
//     equal to the product number) become products without variances.
//   - stock_price is the cost price in øre excluding VAT; weight is in grams.
//   - create-or-update: absent fields are left unchanged on update; variants
//     match by uid (0 or null creates one); variants left out of the list are
//     kept. SKUs are not required to be unique, as in most POS systems.
//   - BOM products ("strukturvarer"): "is_bom":true with
//     "bom_lines":[{"sku_code","quantity"}]; every line must name an existing
//     SKU. A BOM product has no stock of its own: selling one draws its
//     components' stock at the branch.
//   - POST /variance-type/create-or-update {"uid","name","values":[{"uid","name"}]};
//     GET /variance-type lists them. variance_value on a variance holds value uids.
//   - POST /product-inventories sets (not adds) the quantity and records the
//     note; the answer is the inventory row.
//   - Baskets: creation_time and updated_time are unix seconds; GET /baskets
//     filters from= and to= (both inclusive, on creation_time), updated_since=
//     (catches later cancellations), branch=. selling_price is the unit price in
//     øre incl. VAT; discount is the line's discount in øre; total is the sum of
//     quantity × selling_price − discount. A shipping line has product,
//     product_variance and sku_code null and a name such as "Frakt". A sale
//     decreases stock at the cash register's branch (stock may go negative); a
//     cancellation puts it back, once.
//   - Push: POST /webhooks {"event":"basket.created"|"basket.canceled","url"}
//     registers a URL (GET /webhooks lists, DELETE /webhooks/{uid} removes).
//     Each delivery is a POST whose body is the basket JSON (unwrapped) with
//     headers X-Shopbox-Event (the event), X-Shopbox-Delivery (a random unique
//     id, "dlv_" and 32 hex digits, the same on every retry of one push),
//     X-Shopbox-Timestamp (unix seconds) and X-Shopbox-Signature:
//     sha256=<hex HMAC-SHA256 of the raw body keyed with Options.PushSecret>.
//     Failed deliveries are retried by the delivery package.
//   - Rate limit: a token bucket of Options.RateLimit requests per minute
//     (default 1200, burst the same) over the whole API, answering 429 with
//     Retry-After.
package shopbox
