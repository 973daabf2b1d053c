package shopify

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/shopbridge/shopbridge/plugins/shopify/graphql"
)

// window is the cursor of a read by updated_at, the lesson of connectors in
// the field: an id cursor misses updates, so each run reads
// since < updated_at <= upper with upper fixed when the run starts, pages
// through that with Shopify's own cursor, and the next run starts an overlap
// window before this one's upper bound, skipping what it has already seen.
type window struct {
	Since time.Time `json:"s,omitempty"` // exclusive lower bound of this run; zero reads from the start
	Upper time.Time `json:"u,omitempty"` // inclusive upper bound; zero until the run starts
	After string    `json:"a,omitempty"` // Shopify's cursor inside the run
	// Seen are the objects of the overlap window the previous run handed
	// out, as digests of id and updated_at: read again, they are skipped.
	Seen []string `json:"d,omitempty"`
	// Next collects, during a run, the digests of objects in this run's own
	// overlap window, to become the next run's Seen.
	Next []string `json:"n,omitempty"`
	// Bulk, when set, is the bulk operation this run reads, and Skip how
	// many of its objects were handed out already.
	Bulk string `json:"b,omitempty"`
	Skip int    `json:"k,omitempty"`
}

// maxSeen bounds the digests a cursor carries; past it, some objects of the
// overlap may be handed out twice, which the host tolerates (it compares
// hashes), whereas losing one it would not.
const maxSeen = 5000

func digest(id string, updated time.Time) string {
	h := sha256.Sum256([]byte(id + "|" + updated.UTC().Format(time.RFC3339)))
	return base64.RawURLEncoding.EncodeToString(h[:8])
}

// start fixes the run's upper bound. A second of lag keeps the current,
// still-changing second out of the run.
func (w *window) start(now time.Time) {
	if w.Upper.IsZero() {
		w.Upper = now.UTC().Truncate(time.Second).Add(-time.Second)
	}
}

// filter is the search query of the run.
func (w *window) filter() string {
	q := "updated_at:<='" + w.Upper.Format(time.RFC3339) + "'"
	if !w.Since.IsZero() {
		q = "updated_at:>'" + w.Since.Format(time.RFC3339) + "' " + q
	}
	return q
}

// admit reports whether an object read in this run is new, and remembers
// it for the next run when it falls in the overlap window.
func (w *window) admit(id string, updated time.Time, overlap time.Duration) bool {
	d := digest(id, updated)
	for _, s := range w.Seen {
		if s == d {
			return false
		}
	}
	if updated.After(w.Upper.Add(-overlap)) && len(w.Next) < maxSeen {
		w.Next = append(w.Next, d)
	}
	return true
}

// finish turns the cursor of a completed run into the start of the next.
func (w window) finish(overlap time.Duration) window {
	since := w.Upper.Add(-overlap)
	if since.Before(w.Since) {
		since = w.Since
	}
	return window{Since: since, Seen: w.Next}
}

// connection is one page of a GraphQL connection.
type connection[N any] struct {
	Nodes    []N      `json:"nodes"`
	PageInfo pageInfo `json:"pageInfo"`
}

// windowQuery is what differs between the windowed reads of orders and
// products: the document, its root connection, the cost of one node, and
// what to do with a node the window admits.
type windowQuery[N, T any] struct {
	doc      graphql.Document
	root     string         // the document's root connection, e.g. "orders"
	nodeCost int            // requested cost of one node, nested pages included
	vars     map[string]any // further variables, e.g. the nested page sizes
	// key is what the window tells objects apart by.
	key func(N) (id string, updated time.Time)
	// complete reads what the first answer left out (nested pages) and
	// converts the node.
	complete func(context.Context, N) (T, error)
}

// readWindow pages through one run of w (see window) and hands each page to
// emit with the cursor to resume from, which after the last page is the
// start of the next run. A page that would cost more than one query may is
// asked for again at half the size.
func readWindow[N, T any](ctx context.Context, gql *graphql.Client, q windowQuery[N, T], w window, overlap time.Duration, pageSize int,
	emit func(items []T, cursor string, last bool) error) error {
	first := (graphql.MaxQueryCost - 2) / q.nodeCost
	if pageSize > 0 && pageSize < first {
		first = pageSize
	}
	for {
		vars := map[string]any{"first": first, "query": w.filter()}
		for k, v := range q.vars {
			vars[k] = v
		}
		if w.After != "" {
			vars["after"] = w.After
		}
		var resp map[string]connection[N]
		_, err := gql.Do(ctx, graphql.Request{Doc: q.doc, Variables: vars, Cost: 2 + first*q.nodeCost}, &resp)
		var ce *graphql.CostExceededError
		if errors.As(err, &ce) && first > 1 {
			first /= 2
			continue
		}
		if err != nil {
			return err
		}
		conn := resp[q.root]
		var items []T
		for _, n := range conn.Nodes {
			if id, updated := q.key(n); !w.admit(id, updated, overlap) {
				continue
			}
			item, err := q.complete(ctx, n)
			if err != nil {
				return err
			}
			items = append(items, item)
		}
		if e := conn.PageInfo.EndCursor; e != nil {
			w.After = *e
		}
		last := !conn.PageInfo.HasNextPage
		cursor := encodeCursor(w)
		if last {
			cursor = encodeCursor(w.finish(overlap))
		}
		if err := emit(items, cursor, last); err != nil {
			return err
		}
		if last {
			return nil
		}
	}
}
