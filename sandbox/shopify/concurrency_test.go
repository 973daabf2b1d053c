package shopify

import (
	"fmt"
	"sync"
	"testing"
)

func TestTwoHundredConcurrentClients(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Plan = "enterprise" })
	sku := f.cat.Products[0].Variants[0].SKU
	item, loc := ids(t, f, sku)
	var wg sync.WaitGroup
	errs := make(chan string, 200)
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var a *answer
			var err error
			switch i % 4 {
			case 0:
				a, err = tryGQL(f.ts.URL, testToken, sampleQuery, nil)
			case 1:
				a, err = tryGQL(f.ts.URL, testToken, fmt.Sprintf(setQuantities, fmt.Sprint("c", i)), setInput("available", row(item, loc, i, nil)))
			case 2:
				a, err = tryGQL(f.ts.URL, testToken, `{ orders(first: 10, sortKey: UPDATED_AT) { nodes { id name lineItems(first: 5) { nodes { sku } } } } }`, nil)
				if _, err := f.s.PlaceRandomOrder(); err != nil {
					errs <- err.Error()
				}
			case 3:
				a, err = tryGQL(f.ts.URL, testToken, `{ locations(first: 5) { nodes { id name } } }`, nil)
				f.s.Level(sku, f.cat.Locations[0].Name)
			}
			if err != nil {
				errs <- err.Error()
				return
			}
			if a.Status != 200 || len(a.Errors) > 0 {
				errs <- string(a.raw)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(f.s.Orders()); n != 50 {
		t.Fatalf("%d orders placed, want 50", n)
	}
}
