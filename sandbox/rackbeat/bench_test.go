package rackbeat

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
)

// BenchmarkListProductsPage measures one page of 100 from a 10,000-SKU
// account, the unit of a full catalogue read.
func BenchmarkListProductsPage(b *testing.B) {
	s := New(Options{Catalog: catalog.Generate(catalog.Config{Products: 10000, Seed: 1}), Tokens: []string{"t"}, RequestsPerMinute: -1})
	defer s.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest(http.MethodGet, "/api/products?limit=100&page="+strconv.Itoa(1+i%100), nil)
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusPartialContent {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkNew10k measures seeding a 10,000-product account.
func BenchmarkNew10k(b *testing.B) {
	cat := catalog.Generate(catalog.Config{Products: 10000, MinVariants: 1, MaxVariants: 3, Seed: 1})
	for b.Loop() {
		New(Options{Catalog: cat}).Close()
	}
}
