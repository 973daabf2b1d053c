package shopify

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/shopbridge/shopbridge/plugins/shopify/graphql"
	"github.com/shopbridge/shopbridge/sdk"
)

// productCount asks Shopify how many products match filter; an error or a
// shop that does not say means "unknown".
func (l *link) productCount(ctx context.Context, filter string) (int, error) {
	var resp struct {
		ProductsCount *struct {
			Count int `json:"count"`
		} `json:"productsCount"`
	}
	if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.ProductsCount, Variables: map[string]any{"query": filter}, Cost: 1}, &resp); err != nil {
		return 0, err
	}
	if resp.ProductsCount == nil {
		return 0, fmt.Errorf("shopify did not count the products")
	}
	return resp.ProductsCount.Count, nil
}

// bulkPoll is how often a running bulk operation is asked about.
const bulkPoll = time.Second

// bulkPageSize is how many products of a bulk result make one page.
const bulkPageSize = 250

// readProductsBulk runs (or, resuming, finds again) a bulk export of the
// run's window and hands its products out in pages. A page's cursor names
// the operation and how many products were handed out, so a resumed read
// downloads the same result and skips them.
func (l *link) readProductsBulk(ctx context.Context, w window, currency string, overlap time.Duration, emit func(sdk.ProductPage) error) error {
	if w.Bulk == "" {
		var resp struct {
			BulkOperationRunQuery *struct {
				BulkOperation *struct {
					ID string `json:"id"`
				} `json:"bulkOperation"`
				UserErrors []userError `json:"userErrors"`
			} `json:"bulkOperationRunQuery"`
		}
		q := graphql.BulkProductsQuery(w.filter())
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.BulkRun, Variables: map[string]any{"query": q.Text}, Cost: 10}, &resp); err != nil {
			return err
		}
		p := resp.BulkOperationRunQuery
		if p == nil {
			return sdk.Retryable(time.Second, "shopify: bulkOperationRunQuery answered without a payload")
		}
		if len(p.UserErrors) > 0 {
			if p.UserErrors[0].code() == "OPERATION_IN_PROGRESS" || strings.Contains(p.UserErrors[0].Message, "already in progress") {
				return sdk.Retryable(time.Minute, "shopify: another bulk operation is running on the shop: %s", p.UserErrors[0].Message)
			}
			return payloadError("bulk export", p.UserErrors)
		}
		if p.BulkOperation == nil {
			return sdk.Retryable(time.Second, "shopify: bulkOperationRunQuery started nothing")
		}
		w.Bulk = p.BulkOperation.ID
	}
	url, err := l.waitBulk(ctx, w.Bulk)
	if err != nil {
		return err
	}
	res := &bulkResult{}
	if url != "" {
		if res, err = l.downloadBulk(ctx, url); err != nil {
			return err
		}
	}
	defer res.Close()
	if w.Skip > res.Len() {
		w.Skip = res.Len()
	}
	for start := w.Skip; ; start += bulkPageSize {
		end := min(res.Len(), start+bulkPageSize)
		page := sdk.ProductPage{TotalEstimate: int64(res.Len())}
		for i := start; i < end; i++ {
			p, err := res.Product(i)
			if err != nil {
				return err
			}
			if w.admit(p.ID, p.UpdatedAt, overlap) {
				page.Items = append(page.Items, l.canonical(p, currency))
			}
		}
		w.Skip = end
		if end >= res.Len() {
			next := w.finish(overlap)
			page.Cursor, page.Last = encodeCursor(next), true
		} else {
			page.Cursor = encodeCursor(w)
		}
		if err := emit(page); err != nil {
			return err
		}
		if page.Last {
			return nil
		}
	}
}

// waitBulk polls a bulk operation until it ends and returns its result URL
// (empty when it matched nothing).
func (l *link) waitBulk(ctx context.Context, id string) (string, error) {
	for {
		var resp struct {
			Node *struct {
				Status    string  `json:"status"`
				ErrorCode *string `json:"errorCode"`
				URL       *string `json:"url"`
			} `json:"node"`
		}
		if _, err := l.gql.Do(ctx, graphql.Request{Doc: graphql.BulkPoll, Variables: map[string]any{"id": id}, Cost: 1}, &resp); err != nil {
			return "", err
		}
		if resp.Node == nil {
			return "", sdk.NotFound("shopify: bulk operation %s is gone; read again from the run's start", id)
		}
		switch resp.Node.Status {
		case "COMPLETED":
			return str(resp.Node.URL), nil
		case "FAILED", "CANCELED", "CANCELING", "EXPIRED":
			return "", sdk.Retryable(time.Minute, "shopify: bulk operation %s ended %s (%s)", id, resp.Node.Status, str(resp.Node.ErrorCode))
		}
		if err := l.clock.Sleep(ctx, bulkPoll); err != nil {
			return "", err
		}
	}
}

// downloadBulk saves a bulk result (JSONL, each variant after its product
// with __parentId, not necessarily right after it) to a temporary file and
// indexes where each product's lines are. A catalogue of 100,000 products
// is then ~100 bytes a product in the connector's memory instead of every
// product decoded at once; a page decodes only its own products.
func (l *link) downloadBulk(ctx context.Context, url string) (*bulkResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("shopify: bulk result URL: %w", err)
	}
	resp, err := l.http.Do(req)
	if err != nil {
		return nil, sdk.Retryable(time.Second, "shopify: download the bulk result: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, sdk.Retryable(time.Second, "shopify: download the bulk result: HTTP %d", resp.StatusCode)
	}
	f, err := os.CreateTemp("", "shopbridge-shopify-bulk-*.jsonl")
	if err != nil {
		return nil, fmt.Errorf("shopify: keep the bulk result on disk (set TMPDIR to a writable directory): %w", err)
	}
	res := &bulkResult{file: f}
	if err := res.index(resp.Body); err != nil {
		res.Close()
		return nil, err
	}
	return res, nil
}

// bulkResult is a downloaded bulk result: the JSONL on disk and, per
// product in the file's order, where its line and its variants' lines are.
type bulkResult struct {
	file     *os.File
	products []bulkProduct
}

// bulkProduct locates one product's lines in the result file.
type bulkProduct struct {
	line     span
	variants []span
}

type span struct {
	off int64
	n   int32
}

// index copies the result to the file while noting each line's span. The
// parent map holds product ids only while the file is read.
func (r *bulkResult) index(body io.Reader) error {
	parent := map[string]int{}
	bw := bufio.NewWriterSize(r.file, 1<<16)
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	var off int64
	for sc.Scan() {
		line := sc.Bytes()
		sp := span{off: off, n: int32(len(line))}
		if _, err := bw.Write(line); err != nil {
			return fmt.Errorf("shopify: keep the bulk result on disk: %w", err)
		}
		if err := bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("shopify: keep the bulk result on disk: %w", err)
		}
		off += int64(len(line)) + 1
		var probe struct {
			ID       string `json:"id"`
			ParentID string `json:"__parentId"`
		}
		if err := json.Unmarshal(line, &probe); err != nil {
			return sdk.Retryable(time.Second, "shopify: the bulk result has a malformed line: %v", err)
		}
		if probe.ParentID == "" {
			parent[probe.ID] = len(r.products)
			r.products = append(r.products, bulkProduct{line: sp})
			continue
		}
		if i, ok := parent[probe.ParentID]; ok {
			r.products[i].variants = append(r.products[i].variants, sp)
		}
	}
	if err := sc.Err(); err != nil {
		return sdk.Retryable(time.Second, "shopify: read the bulk result: %v", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("shopify: keep the bulk result on disk: %w", err)
	}
	return nil
}

// Len is the number of products in the result.
func (r *bulkResult) Len() int { return len(r.products) }

// Product decodes the i-th product with its variants.
func (r *bulkResult) Product(i int) (gqlProduct, error) {
	var p gqlProduct
	bp := r.products[i]
	if err := r.decode(bp.line, &p); err != nil {
		return p, sdk.Retryable(time.Second, "shopify: the bulk result has a malformed product: %v", err)
	}
	p.Variants.Nodes = make([]gqlVariant, len(bp.variants))
	for j, sp := range bp.variants {
		if err := r.decode(sp, &p.Variants.Nodes[j]); err != nil {
			return p, sdk.Retryable(time.Second, "shopify: the bulk result has a malformed variant: %v", err)
		}
	}
	return p, nil
}

func (r *bulkResult) decode(sp span, v any) error {
	buf := make([]byte, sp.n)
	if _, err := r.file.ReadAt(buf, sp.off); err != nil {
		return fmt.Errorf("read the saved result: %w", err)
	}
	return json.Unmarshal(buf, v)
}

// Close removes the result's file.
func (r *bulkResult) Close() {
	if r.file != nil {
		_ = r.file.Close()
		_ = os.Remove(r.file.Name())
	}
}
