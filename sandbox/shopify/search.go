package shopify

import (
	"strconv"
	"strings"
	"time"
)

// term is one condition of Shopify's search syntax: field:value, with an
// optional comparison (field:>value) and negation (-field:value). Terms are
// combined with AND; OR is not modelled.
type term struct {
	field, op, value string
	neg              bool
}

func parseSearch(q string) []term {
	var toks []string
	var cur strings.Builder
	var quote rune
	for _, r := range q {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote = r
		case r == ' ' || r == '\t' || r == '\n':
			if cur.Len() > 0 {
				toks = append(toks, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		toks = append(toks, cur.String())
	}
	var out []term
	for _, t := range toks {
		if t == "AND" || t == "OR" {
			continue
		}
		var tm term
		if strings.HasPrefix(t, "-") {
			tm.neg, t = true, t[1:]
		}
		field, value, ok := strings.Cut(t, ":")
		if !ok {
			tm.field, tm.op, tm.value = "", "=", t
			out = append(out, tm)
			continue
		}
		tm.field, tm.op = strings.ToLower(field), "="
		for _, op := range []string{">=", "<=", ">", "<"} {
			if strings.HasPrefix(value, op) {
				tm.op, value = op, value[len(op):]
				break
			}
		}
		tm.value = value
		out = append(out, tm)
	}
	return out
}

// fieldsOf answers, for one record, the searchable values it has. A term on a
// field the record does not know is ignored, as Shopify ignores unknown terms.
type searchable struct {
	times   map[string]time.Time
	ints    map[string][]int64
	strings map[string][]string
}

func (s searchable) match(terms []term) bool {
	for _, t := range terms {
		ok, known := s.matchOne(t)
		if !known {
			continue
		}
		if ok == t.neg {
			return false
		}
	}
	return true
}

func (s searchable) matchOne(t term) (ok, known bool) {
	if t.field == "" {
		for _, v := range s.strings["title"] {
			if strings.Contains(strings.ToLower(v), strings.ToLower(t.value)) {
				return true, true
			}
		}
		return false, s.strings["title"] != nil
	}
	if tv, has := s.times[t.field]; has {
		want, err := parseSearchTime(t.value)
		if err != nil {
			return false, true
		}
		return compare(tv.Compare(want), t.op), true
	}
	if ids, has := s.ints[t.field]; has {
		n, err := strconv.ParseInt(strings.TrimPrefix(t.value, "gid://"), 10, 64)
		if err != nil {
			if _, id, _, okGID := parseGID(t.value); okGID {
				n, err = id, nil
			}
		}
		if err != nil {
			return false, true
		}
		for _, id := range ids {
			c := 0
			if id < n {
				c = -1
			} else if id > n {
				c = 1
			}
			if compare(c, t.op) {
				return true, true
			}
		}
		return false, true
	}
	if vals, has := s.strings[t.field]; has {
		want := strings.ToLower(t.value)
		prefix := strings.HasSuffix(want, "*")
		want = strings.TrimSuffix(want, "*")
		for _, v := range vals {
			v = strings.ToLower(v)
			if v == want || prefix && strings.HasPrefix(v, want) {
				return true, true
			}
		}
		return false, true
	}
	return false, false
}

func compare(c int, op string) bool {
	switch op {
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	}
	return c == 0
}

func parseSearchTime(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
