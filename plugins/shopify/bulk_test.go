package shopify

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
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

// Shopify promises only that a variant comes after its product in a bulk
// result, not right after it: variants of interleaved products still end
// up with their own product, in the file's order, and the result's file is
// gone once it is closed.
func TestBulkResultGroupsInterleavedVariants(t *testing.T) {
	jsonl := strings.Join([]string{
		`{"id":"gid://shopify/Product/1","title":"Kopp"}`,
		`{"id":"gid://shopify/ProductVariant/11","sku":"K-1","__parentId":"gid://shopify/Product/1"}`,
		`{"id":"gid://shopify/Product/2","title":"Fat"}`,
		`{"id":"gid://shopify/ProductVariant/21","sku":"F-1","__parentId":"gid://shopify/Product/2"}`,
		`{"id":"gid://shopify/ProductVariant/12","sku":"K-2","__parentId":"gid://shopify/Product/1"}`,
	}, "\n") + "\n"
	res, err := indexBulk(t, jsonl)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range res.Len() {
		p, err := res.Product(i)
		if err != nil {
			t.Fatal(err)
		}
		line := p.Title + ":"
		for _, v := range p.Variants.Nodes {
			line += " " + *v.SKU
		}
		got = append(got, line)
	}
	if want := []string{"Kopp: K-1 K-2", "Fat: F-1"}; !slices.Equal(got, want) {
		t.Fatalf("grouped %q, want %q", got, want)
	}
	name := res.file.Name()
	res.Close()
	if _, err := os.Stat(name); !os.IsNotExist(err) {
		t.Fatalf("the bulk result's file is still there after Close: %v", err)
	}
}

// A malformed line in a bulk result is a retryable error naming the
// result, not a crash or a half-read catalogue.
func TestBulkResultMalformedLineIsRetryable(t *testing.T) {
	_, err := indexBulk(t, "{\"id\":\"gid://shopify/Product/1\"}\n{not json\n")
	if err == nil || !strings.Contains(err.Error(), "malformed line") {
		t.Fatalf("got %v, want the malformed line named", err)
	}
	if sdk.ClassOf(err) != sdk.ClassRetryable {
		t.Fatalf("a malformed bulk result should be retried: %v", err)
	}
}

// indexBulk indexes a bulk result given as text, its file in the test's
// temporary directory; the result is closed when the test ends.
func indexBulk(tb testing.TB, jsonl string) (*bulkResult, error) {
	tb.Helper()
	f, err := os.CreateTemp(tb.TempDir(), "bulk-*.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	res := &bulkResult{file: f}
	tb.Cleanup(res.Close)
	return res, res.index(strings.NewReader(jsonl))
}
