package shopify

import (
	"math"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// maxQueryCost is the most one query may ask for.
const maxQueryCost = 1000

// Shopify's documented cost model: a scalar or enum costs 0, an object 1, a
// connection 2 plus first (or last) times the cost of one node, a mutation 10
// (productSet 10 + 0.2 per variant). The requested cost is counted from the
// document; the actual cost from what came back, and the difference is
// refunded to the bucket.

// bucket is a leaky bucket: it holds up to max points and regains rate points
// each second.
type bucket struct {
	max, rate, avail float64
	at               time.Time
}

func (b *bucket) fill(now time.Time) {
	if !b.at.IsZero() && now.After(b.at) {
		b.avail = math.Min(b.max, b.avail+now.Sub(b.at).Seconds()*b.rate)
	}
	if now.After(b.at) {
		b.at = now
	}
}

func (b *bucket) take(cost float64, now time.Time) bool {
	b.fill(now)
	if cost > b.avail {
		return false
	}
	b.avail -= cost
	return true
}

func (b *bucket) refund(n float64) {
	if n > 0 {
		b.avail = math.Min(b.max, b.avail+n)
	}
}

func (s *Server) costExtension(requested, actual int, failed bool) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.costExtensionLocked(requested, actual, failed)
}

func (s *Server) costExtensionLocked(requested, actual int, failed bool) map[string]any {
	s.bucket.fill(s.opts.Now())
	var act any = actual
	if failed {
		act = nil
	}
	return map[string]any{"cost": map[string]any{
		"requestedQueryCost": requested,
		"actualQueryCost":    act,
		"throttleStatus": map[string]any{
			"maximumAvailable":   s.bucket.max,
			"currentlyAvailable": int(math.Floor(s.bucket.avail)),
			"restoreRate":        s.bucket.rate,
		},
	}}
}

// ThrottleStatus reports the bucket now: what it holds, its size and rate.
func (s *Server) ThrottleStatus() (available, maximum, restoreRate float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bucket.fill(s.opts.Now())
	return s.bucket.avail, s.bucket.max, s.bucket.rate
}

// requestedCost counts the cost of op from the document alone.
func (e *execCtx) requestedCost(op *ast.OperationDefinition) int {
	if op.Operation == ast.Mutation {
		total := 0
		for _, sel := range op.SelectionSet {
			f, ok := sel.(*ast.Field)
			if !ok || strings.HasPrefix(f.Name, "__") {
				continue
			}
			total += mutationCost(f, f.ArgumentMap(e.vars))
		}
		return total
	}
	return e.selCost(op.SelectionSet, nil, false)
}

func mutationCost(f *ast.Field, args map[string]any) int {
	if f.Name == "productSet" {
		n := len(argList(argMap(args, "input"), "variants"))
		return 10 + int(math.Ceil(float64(n)*0.2))
	}
	return 10
}

// actualCost counts the cost of what was returned.
func (e *execCtx) actualCost(ss ast.SelectionSet, data *omap) int {
	return e.selCost(ss, data, true)
}

// selCost is the cost of a selection set; with actual it is counted against
// res, the result object, and connections count the nodes they returned.
func (e *execCtx) selCost(ss ast.SelectionSet, res *omap, actual bool) int {
	total := 0
	for _, sel := range ss {
		switch s := sel.(type) {
		case *ast.Field:
			total += e.fieldCost(s, res, actual)
		case *ast.InlineFragment:
			total += e.selCost(s.SelectionSet, res, actual)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				total += e.selCost(s.Definition.SelectionSet, res, actual)
			}
		}
	}
	return total
}

func (e *execCtx) fieldCost(f *ast.Field, res *omap, actual bool) int {
	if f.Definition == nil || strings.HasPrefix(f.Name, "__") {
		return 0
	}
	def := e.s.schema.Types[f.Definition.Type.Name()]
	if def == nil || def.Kind == ast.Scalar || def.Kind == ast.Enum {
		return 0
	}
	var val any
	if actual {
		if res == nil {
			return 0
		}
		val = res.get(f.Alias)
		if val == nil {
			return 0
		}
	}
	if def.Kind == ast.Object && strings.HasSuffix(def.Name, "Connection") && def.Fields.ForName("pageInfo") != nil {
		return e.connectionCost(f, val, actual)
	}
	if !actual {
		return 1 + e.selCost(f.SelectionSet, nil, false)
	}
	switch v := val.(type) {
	case *omap:
		return 1 + e.selCost(f.SelectionSet, v, true)
	case []any:
		best := 0
		for _, it := range v {
			if m, ok := it.(*omap); ok {
				best = max(best, 1+e.selCost(f.SelectionSet, m, true))
			}
		}
		return best
	}
	return 0
}

func (e *execCtx) connectionCost(f *ast.Field, val any, actual bool) int {
	args := f.ArgumentMap(e.vars)
	n, ok := argInt(args, "first")
	if !ok {
		n, _ = argInt(args, "last")
	}
	conn, _ := val.(*omap)
	var fromEdges, fromNodes, other int
	e.walkConnection(f.SelectionSet, func(g *ast.Field) {
		switch g.Name {
		case "edges":
			nodeCost := func(edge *omap) int {
				c := 0
				e.walkFields(g.SelectionSet, func(h *ast.Field) {
					if h.Name != "node" {
						return
					}
					if !actual {
						c += 1 + e.selCost(h.SelectionSet, nil, false)
					} else if node, ok := edge.get(h.Alias).(*omap); ok {
						c += 1 + e.selCost(h.SelectionSet, node, true)
					}
				})
				return c
			}
			if !actual {
				fromEdges += n * nodeCost(nil)
				return
			}
			if conn == nil {
				return
			}
			edges, _ := conn.get(g.Alias).([]any)
			for _, it := range edges {
				if m, ok := it.(*omap); ok {
					fromEdges += nodeCost(m)
				}
			}
		case "nodes":
			if !actual {
				fromNodes += n * (1 + e.selCost(g.SelectionSet, nil, false))
				return
			}
			if conn == nil {
				return
			}
			nodes, _ := conn.get(g.Alias).([]any)
			for _, it := range nodes {
				if m, ok := it.(*omap); ok {
					fromNodes += 1 + e.selCost(g.SelectionSet, m, true)
				}
			}
		case "pageInfo":
		default:
			other += e.fieldCost(g, conn, actual)
		}
	})
	return 2 + max(fromEdges, fromNodes) + other
}

// walkConnection calls fn for each field of a selection set, looking through
// fragments.
func (e *execCtx) walkConnection(ss ast.SelectionSet, fn func(*ast.Field)) { e.walkFields(ss, fn) }

func (e *execCtx) walkFields(ss ast.SelectionSet, fn func(*ast.Field)) {
	for _, sel := range ss {
		switch s := sel.(type) {
		case *ast.Field:
			fn(s)
		case *ast.InlineFragment:
			e.walkFields(s.SelectionSet, fn)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				e.walkFields(s.Definition.SelectionSet, fn)
			}
		}
	}
}
