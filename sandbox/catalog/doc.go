// Package catalog generates the deterministic product catalogue that seeds all
// three sandboxes (Rackbeat, Shopify, Shopbox), so that the same SKUs, prices and
// stock exist on every side of a test and a run can be reproduced from its seed.
package catalog
