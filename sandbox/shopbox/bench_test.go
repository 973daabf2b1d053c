package shopbox

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
)

// BenchmarkSeed10000 measures building a sandbox from a 10,000-product catalogue.
func BenchmarkSeed10000(b *testing.B) {
	cat := catalog.Generate(catalog.Config{Products: 10000, MinVariants: 1, MaxVariants: 5, Locations: 3, Seed: 42})
	b.ResetTimer()
	for range b.N {
		s := New(Options{Catalog: cat})
		s.Close()
	}
}

// BenchmarkListProductsPage measures one 100-product page with variances of a
// 10,000-product catalogue, through the whole HTTP stack in-process.
func BenchmarkListProductsPage(b *testing.B) {
	cat := catalog.Generate(catalog.Config{Products: 10000, MinVariants: 1, MaxVariants: 5, Locations: 3, Seed: 42})
	s := New(Options{Catalog: cat, APITokens: []string{"t"}, RateLimit: -1})
	defer s.Close()
	req := httptest.NewRequest("GET", "/api/v3/products?api-token=t&per-page=100&page=50&with=product_variances", nil)
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkListInventoriesPage measures one 100-row page of one branch's stock
// in a 10,000-product catalogue; it must not grow with the catalogue.
func BenchmarkListInventoriesPage(b *testing.B) {
	cat := catalog.Generate(catalog.Config{Products: 10000, MinVariants: 1, MaxVariants: 5, Locations: 3, Seed: 42})
	s := New(Options{Catalog: cat, APITokens: []string{"t"}, RateLimit: -1})
	defer s.Close()
	branch := s.Branches()[1].UID
	req := httptest.NewRequest("GET", "/api/v3/product-inventories?api-token=t&per-page=100&page=200&branch="+strconv.Itoa(branch), nil)
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
