package benchconnector_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopbridge/shopbridge/sdk/internal/benchconnector"
)

// A read resumed from a page's cursor continues after it: nothing lost,
// nothing repeated, the catalogue's size exactly.
func TestReadResumesFromCursor(t *testing.T) {
	l, err := benchconnector.New().OpenLink(context.Background(), sdk.OpenRequest{LinkID: "t", Settings: []byte(`{"products":25}`)})
	if err != nil {
		t.Fatal(err)
	}
	r := l.(sdk.ProductReader)
	seen := map[string]bool{}
	var cursor string
	stop := errors.New("stop")
	err = r.ReadProducts(context.Background(), sdk.ReadRequest{PageSize: 10}, func(p sdk.ProductPage) error {
		for _, pr := range p.Items {
			seen[pr.ID] = true
		}
		cursor = p.Cursor
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("the read did not stop when emit failed: %v", err)
	}
	last := false
	err = r.ReadProducts(context.Background(), sdk.ReadRequest{Cursor: cursor, PageSize: 10}, func(p sdk.ProductPage) error {
		for _, pr := range p.Items {
			if seen[pr.ID] {
				t.Errorf("product %s read again after resuming", pr.ID)
			}
			seen[pr.ID] = true
			if len(pr.Variants) != 3 || pr.Variants[0].SKU == "" || pr.Variants[0].Price.IsZero() || len(pr.Description) < 300 {
				t.Errorf("product %s is not of realistic size: %+v", pr.ID, pr)
			}
		}
		last = p.Last
		return nil
	})
	if err != nil || !last || len(seen) != 25 {
		t.Fatalf("after resuming: err %v, last page %v, %d products; want 25", err, last, len(seen))
	}
}

func TestWritesAnswerWithIDsAndBadSettingsAreNamed(t *testing.T) {
	c := benchconnector.New()
	if _, err := c.OpenLink(context.Background(), sdk.OpenRequest{LinkID: "t", Settings: []byte(`{"page_size":0}`)}); err == nil || sdk.AsError(err).Field != "page_size" {
		t.Fatalf("page_size 0 accepted or not named: %v", err)
	}
	l, err := c.OpenLink(context.Background(), sdk.OpenRequest{LinkID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	var p sdk.Product
	benchconnector.Fill(&p, make([]sdk.Variant, 3), 7)
	p.ID = ""
	res, err := l.(sdk.ProductWriter).WriteProducts(context.Background(), []sdk.ProductWrite{{Key: "k", Product: p}})
	if err != nil || len(res) != 1 || res[0].Key != "k" || res[0].Product.ID == "" || len(res[0].Product.Variants) != 3 {
		t.Fatalf("write result %+v, %v", res, err)
	}
	if c.Written() != 1 {
		t.Fatalf("connector counted %d writes, want 1", c.Written())
	}
}
