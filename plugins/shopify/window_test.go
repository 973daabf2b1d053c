package shopify

import (
	"context"
	"testing"
	"time"

	sandbox "github.com/shopbridge/shopbridge/sandbox/shopify"
	"github.com/shopbridge/shopbridge/sdk"
)

// TestWindowedReadResumesSkipsTheOverlapAndSeesChanges reads a catalogue
// in small pages the way the host does: a run stopped after its first page
// resumes from that page's cursor without repeats or gaps; the next run,
// which reads the overlap window again, hands out nothing it already
// handed out; after a product changes, the run after that hands out just
// that product.
func TestWindowedReadResumesSkipsTheOverlapAndSeesChanges(t *testing.T) {
	e := newEnv(t, 40, map[string]any{"plan": "plus"})
	ctx := context.Background()
	e.clock.Advance(10 * time.Second) // the catalogue was made before this run's upper bound
	type run struct {
		ids    []string
		cursor string
	}
	read := func(cursor string, stopAfter int) run {
		var r run
		pages := 0
		err := e.link.ReadProducts(ctx, sdk.ReadRequest{Cursor: cursor, PageSize: 7}, func(p sdk.ProductPage) error {
			for _, it := range p.Items {
				r.ids = append(r.ids, it.ID)
			}
			r.cursor = p.Cursor
			pages++
			if pages == stopAfter {
				return errEnough
			}
			return nil
		})
		if err != nil && err != errEnough {
			t.Fatalf("read products: %v", err)
		}
		return r
	}
	first := read("", 1)
	if len(first.ids) != 7 {
		t.Fatalf("first page has %d products, want 7", len(first.ids))
	}
	rest := read(first.cursor, 0)
	seen := map[string]bool{}
	for _, id := range append(first.ids, rest.ids...) {
		if seen[id] {
			t.Fatalf("product %s handed out twice in one run", id)
		}
		seen[id] = true
	}
	if len(seen) != 40 {
		t.Fatalf("one run handed out %d products, want the catalogue's 40", len(seen))
	}

	e.clock.Advance(5 * time.Second)
	again := read(rest.cursor, 0)
	if len(again.ids) != 0 {
		t.Fatalf("the next run handed out %d products again from its overlap window, want none", len(again.ids))
	}

	edited, err := e.sb.EditProduct(sandbox.ProductEdit{ID: first.ids[3], Title: "Renamed"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(5 * time.Second)
	changed := read(again.cursor, 0)
	if len(changed.ids) != 1 || changed.ids[0] != first.ids[3] {
		t.Fatalf("after editing %s (%s) the next run handed out %v, want just it", first.ids[3], edited, changed.ids)
	}
}
