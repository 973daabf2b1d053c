package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A product rule that does not type-check fails validate with its key and
// column, before any host runs it.
func TestValidateTypeChecksProductRules(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "shopbridge.yaml")
	if err := os.WriteFile(cfg, []byte(`rackbeat: {token: "${RB_TOKEN}"}
links:
  - id: shop
    connector: shopify
    settings: {shop: a}
    products: {direction: inventory, rules: {title: 'product.name + 1'}}
    orders: {enabled: false}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, []string{"RB_TOKEN=x"}, "validate", "-c", cfg)
	if r.code != 2 || !strings.Contains(r.stdout+r.stderr, "links[0].products.rules.title: 1:14:") {
		t.Fatalf("exit %d, output:\n%s%s", r.code, r.stdout, r.stderr)
	}
}
