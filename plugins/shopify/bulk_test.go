package shopify

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"testing"

	"github.com/shopbridge/shopbridge/sdk"
)

// A catalogue above bulk_threshold is read with bulkOperationRunQuery and
// its JSONL result, and gives exactly what the paged read gives.
func TestBulkReadMatchesPagedRead(t *testing.T) {
	e := newEnv(t, 60, map[string]any{"bulk_threshold": 10})
	read := func(bulk bool) map[string]string {
		t.Helper()
		got := map[string]string{}
		err := e.link.ReadProducts(context.Background(), sdk.ReadRequest{AllowBulk: bulk, PageSize: 25}, func(p sdk.ProductPage) error {
			for _, prod := range p.Items {
				for _, v := range prod.Variants {
					if _, dup := got[v.SKU]; dup {
						t.Errorf("SKU %s read twice (bulk %v)", v.SKU, bulk)
					}
					got[v.SKU] = prod.Title + "|" + v.Price.String()
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read (bulk %v): %v", bulk, err)
		}
		return got
	}
	paged := read(false)
	if ops := e.bulkOperations(t); ops != 0 {
		t.Fatalf("a read without AllowBulk ran %d bulk operations", ops)
	}
	bulk := read(true)
	if ops := e.bulkOperations(t); ops != 1 {
		t.Fatalf("a read with AllowBulk over the threshold ran %d bulk operations, want 1", ops)
	}
	if len(paged) == 0 || len(bulk) != len(paged) {
		t.Fatalf("bulk read %d SKUs, paged read %d", len(bulk), len(paged))
	}
	var diff []string
	for sku, v := range paged {
		if bulk[sku] != v {
			diff = append(diff, sku+": "+v+" vs "+bulk[sku])
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Fatalf("bulk and paged reads differ: %v", diff[:min(5, len(diff))])
	}
}

// bulkOperations counts the bulk operations the sandbox has run, from its
// control API.
func (e *env) bulkOperations(t *testing.T) int {
	t.Helper()
	res, err := http.Get(e.srv.URL + "/_sandbox/state")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var st struct {
		Bulk []json.RawMessage `json:"bulk_operations"`
	}
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return len(st.Bulk)
}
