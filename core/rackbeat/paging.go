package rackbeat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultLimit is the page size the client asks for unless told otherwise.
// Rackbeat's own default is 20; 100 is the largest size known to work, and
// larger pages spend fewer of the account's requests per product.
const DefaultLimit = 100

// Page is one page of a list: its items and where it sits in the whole.
type Page[T any] struct {
	Items []T
	// Page is the 1-based number of this page; Pages the number of pages.
	Page, Pages int
	Limit       int
	// Total is the number of objects in the whole list.
	Total int
}

// Last reports whether no page follows this one.
func (p Page[T]) Last() bool {
	if p.Pages > 0 {
		return p.Page >= p.Pages
	}
	return len(p.Items) == 0 || (p.Limit > 0 && len(p.Items) < p.Limit)
}

// Filter narrows and orders a list. The zero value lists everything.
type Filter struct {
	// Limit is the page size for iterators (default DefaultLimit); the Page
	// calls take it as an argument instead.
	Limit int
	// Search is Rackbeat's free-text search (for orders it matches the
	// heading and other_reference).
	Search         string
	OrderBy        string
	OrderDirection string // "asc" or "desc"
	// Expand asks for related data inline, e.g. "field_values".
	Expand []string
	// Fields restricts the attributes returned.
	Fields []string
	// Simple holds simple_filter[key]=value, e.g. "number", "ean", "contact_email".
	Simple map[string]string
	// FieldEq holds field_eq[fieldID]=value: objects whose custom field equals value.
	FieldEq map[int]string
	// UpdatedAfter is sent as updated_after (not confirmed for the real API).
	UpdatedAfter time.Time
	// Extra is added to the query as is, for filters this type does not name.
	Extra url.Values
}

func (f Filter) values() url.Values {
	q := url.Values{}
	if f.Search != "" {
		q.Set("search", f.Search)
	}
	if f.OrderBy != "" {
		q.Set("order_by", f.OrderBy)
	}
	if f.OrderDirection != "" {
		q.Set("order_direction", f.OrderDirection)
	}
	if len(f.Expand) > 0 {
		q.Set("expand", strings.Join(f.Expand, ","))
	}
	if len(f.Fields) > 0 {
		q.Set("fields", strings.Join(f.Fields, ","))
	}
	for k, v := range f.Simple {
		q.Set("simple_filter["+k+"]", v)
	}
	for id, v := range f.FieldEq {
		q.Set("field_eq["+strconv.Itoa(id)+"]", v)
	}
	if !f.UpdatedAfter.IsZero() {
		q.Set("updated_after", f.UpdatedAfter.UTC().Format(time.RFC3339))
	}
	for k, vs := range f.Extra {
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	return q
}

// list names a paged collection: where it lives and the key of its items.
type list struct {
	path string // escaped, relative to the base
	key  string // the plural key of the items in the answer
	what string // for errors: "products"
}

// getPage reads one page of l.
func getPage[T any](ctx context.Context, c *Client, l list, page, limit int, f Filter) (Page[T], error) {
	if page < 1 {
		page = 1
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	q := f.values()
	q.Set("page", strconv.Itoa(page))
	q.Set("limit", strconv.Itoa(limit))
	op := fmt.Sprintf("list %s page %d", l.what, page)
	var raw map[string]json.RawMessage
	if _, err := c.do(ctx, request{method: http.MethodGet, path: l.path, query: q, op: op}, &raw); err != nil {
		return Page[T]{}, err
	}
	p, err := decodePage[T](raw, l.key)
	if err != nil {
		return Page[T]{}, &Error{Op: op, Status: http.StatusOK, Class: Retryable, Message: "malformed answer: " + err.Error(), Err: err}
	}
	if p.Page == 0 {
		p.Page = page
	}
	if p.Limit == 0 {
		p.Limit = limit
	}
	return p, nil
}

// decodePage reads Rackbeat's paged answer (206 or 200 alike):
// {"<key>":[…],"total":…,"pages":…,"limit":…,"page":…}.
func decodePage[T any](raw map[string]json.RawMessage, key string) (Page[T], error) {
	items, ok := raw[key]
	if !ok {
		// Tolerate a renamed key as long as exactly one list is present.
		var found []string
		for k, v := range raw {
			if t := bytes.TrimSpace(v); len(t) > 0 && t[0] == '[' {
				found = append(found, k)
			}
		}
		if len(found) != 1 {
			return Page[T]{}, fmt.Errorf("no %q list in the answer", key)
		}
		items = raw[found[0]]
	}
	var p Page[T]
	if err := json.Unmarshal(items, &p.Items); err != nil {
		return Page[T]{}, fmt.Errorf("%s: %w", key, err)
	}
	for name, dst := range map[string]*int{"page": &p.Page, "pages": &p.Pages, "limit": &p.Limit, "total": &p.Total} {
		if v, ok := raw[name]; ok {
			n, err := flexInt(v)
			if err != nil {
				return Page[T]{}, fmt.Errorf("%s: %w", name, err)
			}
			*dst = int(n)
		}
	}
	return p, nil
}

// all walks every page of l in order. Stopping the loop stops the reads.
func all[T any](ctx context.Context, c *Client, l list, f Filter) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		limit := f.Limit
		if limit <= 0 {
			limit = DefaultLimit
		}
		for page := 1; ; page++ {
			p, err := getPage[T](ctx, c, l, page, limit, f)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
			if p.Last() || len(p.Items) == 0 {
				return
			}
		}
	}
}

// Collect drains seq into a slice, stopping at the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}

// flexInt reads an integer sent as a JSON number or a numeric string.
func flexInt(v json.RawMessage) (int64, error) {
	s := strings.Trim(strings.TrimSpace(string(v)), `"`)
	if s == "" || s == "null" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		// Some PHP answers send 3.0 for 3.
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != float64(int64(f)) {
			return 0, fmt.Errorf("%s is not an integer", s)
		}
		return int64(f), nil
	}
	return n, nil
}
