package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// object is anything the executor can select fields from. field returns a
// scalar, an object, a slice of objects or scalars, a *connection, or nil.
type object interface {
	typeName() string
	field(e *execCtx, name string, args map[string]any) (any, error)
}

// omap is a JSON object that keeps the order fields were asked for in, as
// GraphQL responses do.
type omap struct {
	keys []string
	vals map[string]any
}

func newOmap() *omap { return &omap{vals: map[string]any{}} }

func (m *omap) set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

func (m *omap) get(k string) any { return m.vals[k] }

func (m *omap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range m.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// gqlError is one entry of a response's "errors".
type gqlError struct {
	Message    string         `json:"message"`
	Locations  []errLocation  `json:"locations,omitempty"`
	Path       []any          `json:"path,omitempty"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

type errLocation struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// fieldError is what a resolver returns to put an error on its field.
type fieldError struct {
	msg  string
	code string
}

func (f *fieldError) Error() string { return f.msg }

type execCtx struct {
	s     *Server
	doc   *ast.QueryDocument
	vars  map[string]any
	errs  []gqlError
	bulk  bool       // bulk operations ignore first/last and read everything
	base  string     // scheme://host the request came to, for URLs the sandbox serves
	token string     // the access token of the request
	cur   *ast.Field // the field being resolved, for directives such as @idempotent
}

// fieldGroup is every field of a selection set answered under one response
// key; their sub-selections are merged.
type fieldGroup struct {
	alias  string
	fields []*ast.Field
}

func (e *execCtx) collect(typ string, ss ast.SelectionSet, groups *[]*fieldGroup, idx map[string]*fieldGroup) {
	for _, sel := range ss {
		switch s := sel.(type) {
		case *ast.Field:
			if !e.included(s.Directives) {
				continue
			}
			g := idx[s.Alias]
			if g == nil {
				g = &fieldGroup{alias: s.Alias}
				idx[s.Alias] = g
				*groups = append(*groups, g)
			}
			g.fields = append(g.fields, s)
		case *ast.InlineFragment:
			if e.included(s.Directives) && e.applies(s.TypeCondition, typ) {
				e.collect(typ, s.SelectionSet, groups, idx)
			}
		case *ast.FragmentSpread:
			def := s.Definition
			if def == nil {
				def = e.doc.Fragments.ForName(s.Name)
			}
			if def != nil && e.included(s.Directives) && e.applies(def.TypeCondition, typ) {
				e.collect(typ, def.SelectionSet, groups, idx)
			}
		}
	}
}

func (e *execCtx) included(dirs ast.DirectiveList) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		v, _ := d.ArgumentMap(e.vars)["if"].(bool)
		if d.Name == "skip" && v || d.Name == "include" && !v {
			return false
		}
	}
	return true
}

func (e *execCtx) applies(cond, typ string) bool {
	if cond == "" || cond == typ {
		return true
	}
	for _, pt := range e.s.schema.PossibleTypes[cond] {
		if pt.Name == typ {
			return true
		}
	}
	return false
}

func (e *execCtx) selectObject(obj object, ss ast.SelectionSet, path []any) *omap {
	typ := obj.typeName()
	var groups []*fieldGroup
	e.collect(typ, ss, &groups, map[string]*fieldGroup{})
	out := newOmap()
	for _, g := range groups {
		out.set(g.alias, e.resolveGroup(obj, typ, g, append(path, g.alias)))
	}
	return out
}

func (e *execCtx) resolveGroup(obj object, typ string, g *fieldGroup, path []any) any {
	f := g.fields[0]
	if f.Name == "__typename" {
		return typ
	}
	args := f.ArgumentMap(e.vars)
	e.cur = f
	v, err := obj.field(e, f.Name, args)
	if err != nil {
		e.fail(f, path, err)
		return nil
	}
	if v == nil && f.Definition != nil {
		v = zeroFor(f.Definition.Type)
	}
	var ss ast.SelectionSet
	for _, gf := range g.fields {
		ss = append(ss, gf.SelectionSet...)
	}
	return e.complete(v, f, ss, path)
}

func (e *execCtx) fail(f *ast.Field, path []any, err error) {
	ge := gqlError{Message: err.Error(), Path: append([]any(nil), path...)}
	if f != nil && f.Position != nil {
		ge.Locations = []errLocation{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	if fe, ok := err.(*fieldError); ok && fe.code != "" {
		ge.Extensions = map[string]any{"code": fe.code}
	}
	e.errs = append(e.errs, ge)
}

// zeroFor fills a non-null field the sandbox does not model with an empty
// value of its type, so clients that decode strictly keep working.
func zeroFor(t *ast.Type) any {
	if t == nil || !t.NonNull {
		return nil
	}
	if t.Elem != nil {
		return []any{}
	}
	switch t.NamedType {
	case "String", "ID", "HTML", "URL", "DateTime", "Money", "Decimal", "FormattedString":
		return ""
	case "Int", "UnsignedInt64":
		return 0
	case "Float":
		return 0.0
	case "Boolean":
		return false
	}
	return nil
}

func (e *execCtx) complete(v any, f *ast.Field, ss ast.SelectionSet, path []any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case *connection:
		if f.Definition != nil {
			x.typ = f.Definition.Type.Name()
		}
		return e.selectObject(x, ss, path)
	case object:
		return e.selectObject(x, ss, path)
	case []object:
		out := make([]any, len(x))
		for i, o := range x {
			out[i] = e.complete(o, f, ss, append(path, i))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, o := range x {
			out[i] = e.complete(o, f, ss, append(path, i))
		}
		return out
	default:
		return v
	}
}

// Argument helpers. Variables are decoded with json.Number so that money keeps
// every digit; literals arrive as int64, float64 or string.

func argInt(args map[string]any, name string) (int, bool) {
	v, ok := args[name]
	if !ok || v == nil {
		return 0, false
	}
	return toInt(v)
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case string:
		i, err := strconv.Atoi(n)
		return i, err == nil
	}
	return 0, false
}

func argString(args map[string]any, name string) (string, bool) {
	v, ok := args[name]
	if !ok || v == nil {
		return "", false
	}
	return toString(v), true
}

func toString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case json.Number:
		return s.String()
	case int64:
		return strconv.FormatInt(s, 10)
	case int:
		return strconv.Itoa(s)
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(s)
	}
	return fmt.Sprint(v)
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

func argBool(args map[string]any, name string) bool {
	b, _ := args[name].(bool)
	return b
}

func argMap(args map[string]any, name string) map[string]any {
	m, _ := args[name].(map[string]any)
	return m
}

func argList(args map[string]any, name string) []any {
	switch l := args[name].(type) {
	case []any:
		return l
	case nil:
		return nil
	default:
		return []any{l}
	}
}
