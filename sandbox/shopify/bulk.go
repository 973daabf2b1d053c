package shopify

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/shopbridge/shopbridge/sandbox/shopify/schema"
	"github.com/vektah/gqlparser/v2/ast"
)

// bulkRunQuery runs the query at once and keeps its JSONL. The mutation
// answers CREATED, as Shopify's does; the next read of the operation sees it
// COMPLETED with its url, and bulk_operations/finish is sent.
func (e *execCtx) bulkRunQuery(args map[string]any) (any, error) {
	const typ, errTyp = "BulkOperationRunQueryPayload", "BulkOperationUserError"
	st := e.s.st
	q, _ := argString(args, "query")
	doc, errs := schema.Parse(q)
	if len(errs) > 0 {
		return payload(typ, map[string]any{"bulkOperation": nil, "userErrors": []object{
			userError(errTyp, []string{"query"}, "Invalid bulk query: "+errs[0].Message, "INVALID")}}), nil
	}
	if len(doc.Operations) != 1 || doc.Operations[0].Operation != ast.Query {
		return payload(typ, map[string]any{"bulkOperation": nil, "userErrors": []object{
			userError(errTyp, []string{"query"}, "Bulk queries must contain exactly one query operation.", "INVALID")}}), nil
	}
	running := 0
	for _, b := range st.Bulk {
		if b.Status == "CREATED" || b.Status == "RUNNING" {
			running++
		}
	}
	if running >= 5 {
		return payload(typ, map[string]any{"bulkOperation": nil, "userErrors": []object{
			userError(errTyp, nil, "A shop can run at most 5 bulk query operations at a time.", "LIMIT_REACHED")}}), nil
	}
	sub := &execCtx{s: e.s, doc: doc, vars: map[string]any{}, bulk: true, base: e.base}
	data := sub.selectObject(&queryRoot{}, doc.Operations[0].SelectionSet, nil)
	now := e.s.now()
	b := &bulkOp{ID: st.newID("BulkOperation"), Query: q, Status: "COMPLETED", CreatedAt: now, CompletedAt: &now}
	if len(sub.errs) > 0 {
		b.Status, b.ErrorCode, b.CompletedAt = "FAILED", "INTERNAL_SERVER_ERROR", nil
	} else {
		var buf bytes.Buffer
		b.ObjectCount = flattenJSONL(&buf, data)
		b.Result = buf.Bytes()
		b.FileSize = buf.Len()
	}
	st.Bulk = append(st.Bulk, b)
	e.s.emit(TopicBulkOperationsFinish, map[string]any{
		"admin_graphql_api_id": gid("BulkOperation", b.ID), "completed_at": restTime(now), "created_at": restTime(now),
		"error_code": nilIfEmpty(strings.ToLower(b.ErrorCode)), "status": strings.ToLower(b.Status), "type": "query",
	})
	shown := *b
	shown.Status, shown.CompletedAt = "CREATED", nil
	return payload(typ, map[string]any{"bulkOperation": &bulkObj{&shown}}), nil
}

// flattenJSONL writes the nodes of the first connection in data one per line;
// nested connections become lines of their own after their parent, carrying
// __parentId, as Shopify's bulk results do.
func flattenJSONL(buf *bytes.Buffer, data *omap) int {
	for _, k := range data.keys {
		if nodes, ok := connectionNodes(data.get(k)); ok {
			n := 0
			for _, node := range nodes {
				n += emitLine(buf, node, "")
			}
			return n
		}
	}
	return 0
}

func connectionNodes(v any) ([]*omap, bool) {
	m, ok := v.(*omap)
	if !ok {
		return nil, false
	}
	var out []*omap
	if edges, ok := m.get("edges").([]any); ok {
		for _, e := range edges {
			if em, ok := e.(*omap); ok {
				if n, ok := em.get("node").(*omap); ok {
					out = append(out, n)
				}
			}
		}
		return out, true
	}
	if nodes, ok := m.get("nodes").([]any); ok {
		for _, n := range nodes {
			if nm, ok := n.(*omap); ok {
				out = append(out, nm)
			}
		}
		return out, true
	}
	return nil, false
}

func emitLine(buf *bytes.Buffer, node *omap, parent string) int {
	line := newOmap()
	type child struct{ nodes []*omap }
	var children []child
	for _, k := range node.keys {
		if nodes, ok := connectionNodes(node.get(k)); ok {
			children = append(children, child{nodes})
			continue
		}
		line.set(k, node.get(k))
	}
	if parent != "" {
		line.set("__parentId", parent)
	}
	b, _ := json.Marshal(line)
	buf.Write(b)
	buf.WriteByte('\n')
	n := 1
	id, _ := node.get("id").(string)
	for _, c := range children {
		for _, cn := range c.nodes {
			n += emitLine(buf, cn, id)
		}
	}
	return n
}
