package rackbeat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

const (
	defaultLimit = 20
	maxLimit     = 100
	timeLayout   = "2006-01-02T15:04:05-07:00"
)

func jsonMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := jsonMarshal(v)
	if err != nil {
		http.Error(w, `{"message":"sandbox could not encode its answer"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func notFound(w http.ResponseWriter, what string) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": what + " not found."})
}

// validation collects Laravel-style field errors.
type validation map[string][]string

func (v validation) add(field, msg string) { v[field] = append(v[field], msg) }

func (v validation) write(w http.ResponseWriter) bool {
	if len(v) == 0 {
		return false
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "The given data was invalid.", "errors": v})
	return true
}

func invalid(w http.ResponseWriter, field, msg string) {
	validation{field: {msg}}.write(w)
}

func fmtTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func itoa(i int) string { return strconv.Itoa(i) }

func slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == 'æ':
			b.WriteString("ae")
		case r == 'ø':
			b.WriteString("oe")
		case r == 'å':
			b.WriteString("aa")
		default:
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
				b.WriteByte('_')
			}
		}
	}
	return strings.Trim(b.String(), "_")
}

// page reads page and limit; it answers 422 itself and returns ok=false on bad values.
func page(w http.ResponseWriter, r *http.Request) (pg, limit int, ok bool) {
	q := r.URL.Query()
	v := validation{}
	pg, limit = 1, defaultLimit
	if s := q.Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			v.add("page", "The page must be an integer of at least 1.")
		}
		pg = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil || n < 1:
			v.add("limit", "The limit must be an integer of at least 1.")
		case n > maxLimit:
			v.add("limit", fmt.Sprintf("The limit may not be greater than %d.", maxLimit))
		}
		limit = n
	}
	return pg, limit, !v.write(w)
}

// writeList answers one page of views with 206, applying fields=.
func writeList(w http.ResponseWriter, r *http.Request, key string, views []any) {
	pg, limit, ok := page(w, r)
	if !ok {
		return
	}
	total := len(views)
	pages := max((total+limit-1)/limit, 1)
	from := min((pg-1)*limit, total)
	to := min(from+limit, total)
	out := make([]any, 0, to-from)
	for _, v := range views[from:to] {
		out = append(out, selectFields(r, v))
	}
	writeJSON(w, http.StatusPartialContent, map[string]any{key: out, "total": total, "pages": pages, "limit": limit, "page": pg})
}

// writePage answers one page of items with 206, rendering only that page, so
// a page costs the page and not the whole account.
func writePage[T any](w http.ResponseWriter, r *http.Request, key string, items []T, render func(T) any) {
	pg, limit, ok := page(w, r)
	if !ok {
		return
	}
	total := len(items)
	pages := max((total+limit-1)/limit, 1)
	from := min((pg-1)*limit, total)
	to := min(from+limit, total)
	out := make([]any, 0, to-from)
	for _, it := range items[from:to] {
		out = append(out, selectFields(r, render(it)))
	}
	writeJSON(w, http.StatusPartialContent, map[string]any{key: out, "total": total, "pages": pages, "limit": limit, "page": pg})
}

// sortItems applies order_by/order_direction using key, which gives an
// item's sortable value for a field name ("" when the field is unknown).
func sortItems[T any](r *http.Request, items []T, key func(T, string) string) {
	by := r.URL.Query().Get("order_by")
	if by == "" {
		return
	}
	desc := strings.EqualFold(r.URL.Query().Get("order_direction"), "desc")
	sort.SliceStable(items, func(i, j int) bool {
		a, b := key(items[i], by), key(items[j], by)
		if desc {
			return a > b
		}
		return a < b
	})
}

func padInt(n int) string { return fmt.Sprintf("%020d", n) }

// writeOne answers {key: view} with status, applying fields=.
func writeOne(w http.ResponseWriter, r *http.Request, status int, key string, view any) {
	writeJSON(w, status, map[string]any{key: selectFields(r, view)})
}

// selectFields keeps only the top-level keys named in fields=a,b.
func selectFields(r *http.Request, view any) any {
	f := r.URL.Query().Get("fields")
	if f == "" {
		return view
	}
	m, ok := view.(map[string]any)
	if !ok {
		b, _ := json.Marshal(view)
		_ = json.Unmarshal(b, &m)
	}
	out := map[string]any{}
	for _, k := range strings.Split(f, ",") {
		if v, ok := m[strings.TrimSpace(k)]; ok {
			out[strings.TrimSpace(k)] = v
		}
	}
	return out
}

// sortViews applies order_by/order_direction to maps rendered from objects.
func sortViews(r *http.Request, views []any) {
	by := r.URL.Query().Get("order_by")
	if by == "" {
		return
	}
	desc := strings.EqualFold(r.URL.Query().Get("order_direction"), "desc")
	key := func(v any) string {
		m, _ := v.(map[string]any)
		switch x := m[by].(type) {
		case string:
			return x
		case int:
			return fmt.Sprintf("%020d", x)
		default:
			return fmt.Sprint(x)
		}
	}
	sort.SliceStable(views, func(i, j int) bool {
		if desc {
			return key(views[i]) > key(views[j])
		}
		return key(views[i]) < key(views[j])
	})
}

// form reads a JSON object body field by field, so that each bad field gets
// its own Laravel-style error instead of one decode failure.
type form struct {
	raw  map[string]json.RawMessage
	errs validation
	pre  string // prefix for nested error keys, e.g. "lines.0."
}

func readForm(w http.ResponseWriter, r *http.Request) (*form, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<20))
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"message": "Request body too large or unreadable."})
		return nil, false
	}
	f := &form{raw: map[string]json.RawMessage{}, errs: validation{}}
	if len(bytes.TrimSpace(b)) == 0 {
		return f, true
	}
	if err := json.Unmarshal(b, &f.raw); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "The request body is not a JSON object: " + err.Error()})
		return nil, false
	}
	return f, true
}

func subForm(raw json.RawMessage, errs validation, pre string) (*form, bool) {
	f := &form{raw: map[string]json.RawMessage{}, errs: errs, pre: pre}
	if err := json.Unmarshal(raw, &f.raw); err != nil {
		errs.add(strings.TrimSuffix(pre, "."), "Must be an object.")
		return nil, false
	}
	return f, true
}

func (f *form) has(k string) bool {
	v, ok := f.raw[k]
	return ok && string(v) != "null"
}

func (f *form) err(k, msg string) { f.errs.add(f.pre+k, msg) }

func (f *form) required(k string) bool {
	if !f.has(k) {
		f.err(k, fmt.Sprintf("The %s field is required.", strings.ReplaceAll(k, "_", " ")))
		return false
	}
	return true
}

func (f *form) str(k string) string {
	if !f.has(k) {
		return ""
	}
	var s string
	if err := json.Unmarshal(f.raw[k], &s); err != nil {
		// Numbers are accepted where strings are expected, as Laravel does.
		var n json.Number
		if err2 := json.Unmarshal(f.raw[k], &n); err2 == nil {
			return n.String()
		}
		f.err(k, fmt.Sprintf("The %s must be a string.", k))
	}
	return s
}

func (f *form) integer(k string) int {
	if !f.has(k) {
		return 0
	}
	d, ok := f.decimalOf(k)
	if !ok {
		return 0
	}
	if !d.IsInteger() {
		f.err(k, fmt.Sprintf("The %s must be an integer.", k))
		return 0
	}
	return int(d.IntPart())
}

func (f *form) decimalOf(k string) (decimal.Decimal, bool) {
	var d Decimal
	if err := json.Unmarshal(f.raw[k], &d); err != nil {
		f.err(k, fmt.Sprintf("The %s must be a number.", k))
		return decimal.Decimal{}, false
	}
	return d.Decimal, true
}

func (f *form) money(k string) (Decimal, bool) {
	if !f.has(k) {
		return Decimal{}, false
	}
	d, ok := f.decimalOf(k)
	return Decimal{d}, ok
}

func (f *form) boolean(k string) bool {
	if !f.has(k) {
		return false
	}
	var b bool
	if err := json.Unmarshal(f.raw[k], &b); err != nil {
		var n int
		if err2 := json.Unmarshal(f.raw[k], &n); err2 == nil && (n == 0 || n == 1) {
			return n == 1
		}
		f.err(k, fmt.Sprintf("The %s field must be true or false.", k))
	}
	return b
}

// ref reads a reference given either as a number or as {"number": n} (or {"id": n}).
func (f *form) ref(k string) int {
	if !f.has(k) {
		return 0
	}
	raw := bytes.TrimSpace(f.raw[k])
	if len(raw) > 0 && raw[0] == '{' {
		sub, ok := subForm(raw, f.errs, f.pre+k+".")
		if !ok {
			return 0
		}
		if sub.has("number") {
			return sub.integer("number")
		}
		return sub.integer("id")
	}
	return f.integer(k)
}

func (f *form) array(k string) []json.RawMessage {
	if !f.has(k) {
		return nil
	}
	var out []json.RawMessage
	if err := json.Unmarshal(f.raw[k], &out); err != nil {
		f.err(k, fmt.Sprintf("The %s must be an array.", k))
	}
	return out
}

// customFields reads field_values [{"field_id":7,"value":"x"}] or, as
// Rackbeat's PHP client sends them, custom_fields [{"id":7,"value":"x"}].
func (f *form) customFields(known func(id int) bool) map[int]string {
	if !f.has("field_values") && f.has("custom_fields") {
		return f.fieldValues("custom_fields", known)
	}
	return f.fieldValues("field_values", known)
}

func (f *form) hasCustomFields() bool { return f.has("field_values") || f.has("custom_fields") }

// fieldValues reads [{"field_id":7,"value":"x"}] (or "id" for "field_id")
// into a map, checking ids against known.
func (f *form) fieldValues(k string, known func(id int) bool) map[int]string {
	items := f.array(k)
	if items == nil {
		return nil
	}
	out := map[int]string{}
	for i, raw := range items {
		sub, ok := subForm(raw, f.errs, fmt.Sprintf("%s%s.%d.", f.pre, k, i))
		if !ok {
			continue
		}
		idKey := "field_id"
		if !sub.has(idKey) && sub.has("id") {
			idKey = "id"
		}
		if !sub.required(idKey) {
			continue
		}
		id := sub.integer(idKey)
		if !known(id) {
			sub.err("field_id", "The selected field id is invalid.")
			continue
		}
		out[id] = sub.str("value")
	}
	return out
}
