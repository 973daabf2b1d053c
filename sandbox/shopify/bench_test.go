package shopify

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
)

// BenchmarkProductsPage reads 100-product pages (cost 602) from a 10,000-product store.
func BenchmarkProductsPage(b *testing.B) {
	s := New(Options{Catalog: catalog.Generate(catalog.Config{Products: 10000, MinVariants: 1, MaxVariants: 3, Locations: 3, Seed: 1}),
		AccessTokens: []string{testToken}, Plan: "enterprise"})
	ts := httptest.NewServer(s)
	defer ts.Close()
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := tryGQL(ts.URL, testToken, `{ products(first: 100, sortKey: UPDATED_AT) { nodes { id title variants(first: 3) { nodes { sku price } } } } }`, nil)
		if err != nil || len(a.Errors) > 0 {
			b.Fatal(err, fmt.Sprint(a.Errors))
		}
	}
}

// BenchmarkInventorySet250 writes 250 rows per call.
func BenchmarkInventorySet250(b *testing.B) {
	s := New(Options{Catalog: catalog.Generate(catalog.Config{Products: 300, Locations: 1, Seed: 1}), AccessTokens: []string{testToken}, Plan: "enterprise"})
	ts := httptest.NewServer(s)
	defer ts.Close()
	defer s.Close()
	var rows []map[string]any
	s.mu.Lock()
	for _, p := range s.st.Products[:250] {
		rows = append(rows, row(gid("InventoryItem", p.Variants[0].Item.ID), gid("Location", s.st.Locations[0].ID), 5, nil))
	}
	s.mu.Unlock()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := tryGQL(ts.URL, testToken, fmt.Sprintf(setQuantities, fmt.Sprint("b", i)), setInput("available", rows...))
		if err != nil || len(a.Errors) > 0 {
			b.Fatal(err)
		}
	}
}
