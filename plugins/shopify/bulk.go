package shopify

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
	var products []gqlProduct
	if url != "" {
		if products, err = l.downloadBulk(ctx, url); err != nil {
			return err
		}
	}
	if w.Skip > len(products) {
		w.Skip = len(products)
	}
	for start := w.Skip; ; start += bulkPageSize {
		end := min(len(products), start+bulkPageSize)
		page := sdk.ProductPage{TotalEstimate: int64(len(products))}
		for _, p := range products[start:end] {
			if w.admit(p.ID, p.UpdatedAt, overlap) {
				page.Items = append(page.Items, l.canonical(p, currency))
			}
		}
		w.Skip = end
		if end >= len(products) {
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

// downloadBulk reads a bulk result: JSONL, each variant after its product
// with __parentId.
func (l *link) downloadBulk(ctx context.Context, url string) ([]gqlProduct, error) {
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
	var out []gqlProduct
	index := map[string]int{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var probe struct {
			ID       string `json:"id"`
			ParentID string `json:"__parentId"`
		}
		if err := json.Unmarshal(line, &probe); err != nil {
			return nil, sdk.Retryable(time.Second, "shopify: the bulk result has a malformed line: %v", err)
		}
		if probe.ParentID == "" {
			var p gqlProduct
			if err := json.Unmarshal(line, &p); err != nil {
				return nil, sdk.Retryable(time.Second, "shopify: the bulk result has a malformed product: %v", err)
			}
			index[p.ID] = len(out)
			out = append(out, p)
			continue
		}
		var v gqlVariant
		if err := json.Unmarshal(line, &v); err != nil {
			return nil, sdk.Retryable(time.Second, "shopify: the bulk result has a malformed variant: %v", err)
		}
		if i, ok := index[v.ParentID]; ok {
			out[i].Variants.Nodes = append(out[i].Variants.Nodes, v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, sdk.Retryable(time.Second, "shopify: read the bulk result: %v", err)
	}
	return out, nil
}
