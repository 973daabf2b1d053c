package shopify

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// maxPageSize is Shopify's limit on first and last.
const maxPageSize = 250

// connection is a Relay connection over one page of items.
type connection struct {
	typ              string
	items            []any // objects, or strings for a StringConnection
	cursors          []string
	hasNext, hasPrev bool
}

func (c *connection) typeName() string { return c.typ }

func (c *connection) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "edges":
		edgeType := strings.TrimSuffix(c.typ, "Connection") + "Edge"
		out := make([]any, len(c.items))
		for i, it := range c.items {
			out[i] = &edge{typ: edgeType, node: it, cursor: c.cursors[i]}
		}
		return out, nil
	case "nodes":
		return c.items, nil
	case "pageInfo":
		p := &pageInfo{hasNext: c.hasNext, hasPrev: c.hasPrev}
		if len(c.cursors) > 0 {
			p.start, p.end = c.cursors[0], c.cursors[len(c.cursors)-1]
		}
		return p, nil
	}
	return nil, nil
}

type edge struct {
	typ    string
	node   any
	cursor string
}

func (e *edge) typeName() string { return e.typ }
func (e *edge) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "node":
		return e.node, nil
	case "cursor":
		return e.cursor, nil
	}
	return nil, nil
}

type pageInfo struct {
	hasNext, hasPrev bool
	start, end       string
}

func (p *pageInfo) typeName() string { return "PageInfo" }
func (p *pageInfo) field(_ *execCtx, name string, _ map[string]any) (any, error) {
	switch name {
	case "hasNextPage":
		return p.hasNext, nil
	case "hasPreviousPage":
		return p.hasPrev, nil
	case "startCursor":
		if p.start == "" {
			return nil, nil
		}
		return p.start, nil
	case "endCursor":
		if p.end == "" {
			return nil, nil
		}
		return p.end, nil
	}
	return nil, nil
}

// sortKey orders items in a list: a value that compares as a string, then the id.
type sortKey struct {
	Value string `json:"last_value"`
	ID    int64  `json:"last_id"`
}

func (a sortKey) less(b sortKey) bool {
	if a.Value != b.Value {
		return a.Value < b.Value
	}
	return a.ID < b.ID
}

type pageItem struct {
	obj any
	key sortKey
}

func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
func idKey(id int64) string      { return fmt.Sprintf("%020d", id) }

func encodeCursor(k sortKey) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (sortKey, error) {
	var k sortKey
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	if err != nil {
		return k, &fieldError{msg: "Invalid cursor for current pagination sort."}
	}
	return k, nil
}

// paginate sorts items, applies after/before/first/last/reverse and returns the
// page. Bulk operations read the whole list.
func (e *execCtx) paginate(args map[string]any, items []pageItem) (*connection, error) {
	first, hasFirst := argInt(args, "first")
	last, hasLast := argInt(args, "last")
	if !e.bulk {
		if !hasFirst && !hasLast {
			return nil, &fieldError{msg: "you must provide one of first or last"}
		}
		if hasFirst && hasLast {
			return nil, &fieldError{msg: "providing both first and last is not supported"}
		}
		if first > maxPageSize || last > maxPageSize {
			return nil, &fieldError{msg: fmt.Sprintf("The maximum number of items per page is %d", maxPageSize), code: "MAX_PAGE_SIZE_EXCEEDED"}
		}
		if first < 0 || last < 0 {
			return nil, &fieldError{msg: "first and last must be non-negative"}
		}
	}
	reverse := argBool(args, "reverse")
	sort.SliceStable(items, func(i, j int) bool {
		if reverse {
			return items[j].key.less(items[i].key)
		}
		return items[i].key.less(items[j].key)
	})
	before := func(a, b sortKey) bool { // a comes before b in this order
		if reverse {
			return b.less(a)
		}
		return a.less(b)
	}
	lo, hi := 0, len(items)
	if s, ok := argString(args, "after"); ok {
		k, err := decodeCursor(s)
		if err != nil {
			return nil, err
		}
		for lo < hi && !before(k, items[lo].key) {
			lo++
		}
	}
	if s, ok := argString(args, "before"); ok {
		k, err := decodeCursor(s)
		if err != nil {
			return nil, err
		}
		h := lo
		for h < hi && before(items[h].key, k) {
			h++
		}
		hi = h
	}
	c := &connection{hasPrev: lo > 0, hasNext: hi < len(items)}
	if !e.bulk {
		if hasFirst && hi-lo > first {
			hi = lo + first
			c.hasNext = true
		}
		if hasLast && hi-lo > last {
			lo = hi - last
			c.hasPrev = true
		}
	}
	for _, it := range items[lo:hi] {
		c.items = append(c.items, it.obj)
		c.cursors = append(c.cursors, encodeCursor(it.key))
	}
	return c, nil
}
