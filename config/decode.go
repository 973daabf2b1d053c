package config

import (
	"fmt"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/shopspring/decimal"
)

// decoder turns the raw YAML tree into a Config, collecting every error.
type decoder struct {
	opts *options
	errs Errors
	// envPaths maps key paths set by environment overrides to the variable
	// that set them, so errors can say where a bad value came from and a
	// secret set from the environment is accepted as a reference to it.
	envPaths map[string]string
	// linkID is the id of the link being decoded, for suggested secret names.
	linkID string
}

var (
	durationType       = reflect.TypeOf(time.Duration(0))
	decimalType        = reflect.TypeOf(decimal.Decimal{})
	secretType         = reflect.TypeOf(Secret{})
	stockLocationsType = reflect.TypeOf(StockLocations{})
	anyMapType         = reflect.TypeOf(map[string]any{})
)

func (d *decoder) errf(path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if name := d.envSource(path); name != "" {
		msg += " (set by " + name + ")"
	}
	d.errs = append(d.errs, &FieldError{Path: path, Msg: msg})
}

// envSource names the environment variable that set path or a key above it.
func (d *decoder) envSource(path string) string {
	for p, name := range d.envPaths {
		if path == p || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
			return name
		}
	}
	return ""
}

// joinKey appends a map key to a path, quoting keys that are not plain words
// so the path stays unambiguous (rules["variants.price"]).
func joinKey(path, key string) string {
	if !plainKeyRE.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// describe says what a value is, for "got …" in messages. Only call it on
// values that are not secrets.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nothing"
	case string:
		if len(x) > 60 {
			x = x[:60] + "…"
		}
		return strconv.Quote(x)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case int, int64, uint64:
		return fmt.Sprintf("number %d", x)
	case float64:
		return "number " + strconv.FormatFloat(x, 'g', -1, 64)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprintf("a %T", v)
}

// kindOf is describe without the value, for secret fields.
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64, float64:
		return "a number"
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return "nothing"
}

// object checks that raw is a mapping whose keys are all known (known == nil
// allows any key) and reports each unknown key.
func (d *decoder) object(path string, raw any, known []string) (map[string]any, bool) {
	if raw == nil {
		return map[string]any{}, true
	}
	m, ok := raw.(map[string]any)
	if !ok {
		d.errf(path, "must be a mapping of keys (got %s)", describe(raw))
		return nil, false
	}
	if known == nil {
		return m, true
	}
	var unknown []string
	for k := range m {
		if !contains(known, k) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		if s := closest(k, known); s != "" {
			d.errf(joinKey(path, k), "unknown key (did you mean %s?)", s)
		} else {
			d.errf(joinKey(path, k), "unknown key; the keys here are %s", strings.Join(known, ", "))
		}
	}
	return m, true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closest returns the known key within two edits of k, if there is one.
func closest(k string, known []string) string {
	best, bestDist := "", 3
	for _, c := range known {
		if dist := editDistance(strings.ToLower(k), c); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// fieldKeys lists the YAML keys of a struct type in declaration order.
func fieldKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if k := t.Field(i).Tag.Get("key"); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

// decodeStruct fills rv (a struct) from raw, applying defaults for absent keys.
func (d *decoder) decodeStruct(path string, raw any, rv reflect.Value) {
	t := rv.Type()
	m, ok := d.object(path, raw, fieldKeys(t))
	if !ok {
		m = map[string]any{}
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := f.Tag.Get("key")
		if key == "" || key == "-" {
			continue
		}
		p := joinKey(path, key)
		v, present := m[key]
		if s, isStr := v.(string); isStr && s == "" && f.Type == secretType {
			present = false // an empty secret is the same as no secret
		}
		if !present || v == nil {
			if f.Tag.Get("required") == "true" {
				d.errf(p, "is required")
			}
			if isPlainStruct(f.Type) {
				d.decodeStruct(p, nil, rv.Field(i)) // for the defaults inside
			} else {
				setDefault(rv.Field(i), f)
				if f.Tag.Get("check") == "path" {
					rv.Field(i).SetString(d.resolvePath(rv.Field(i).String()))
				}
			}
			continue
		}
		if t == reflect.TypeOf(Link{}) && key == "id" {
			if s, ok := v.(string); ok {
				d.linkID = s
			}
		}
		d.decodeValue(p, v, rv.Field(i), f.Tag)
	}
}

// setDefault applies a field's default tag. A malformed tag is a programming
// error that every test run would hit, so it panics.
func setDefault(fv reflect.Value, f reflect.StructField) {
	def, ok := f.Tag.Lookup("default")
	if !ok {
		return
	}
	switch {
	case f.Type == durationType:
		dur, err := time.ParseDuration(def)
		if err != nil {
			panic(err)
		}
		fv.SetInt(int64(dur))
	case f.Type == decimalType:
		fv.Set(reflect.ValueOf(decimal.RequireFromString(def)))
	case f.Type == stockLocationsType:
		fv.Set(reflect.ValueOf(StockLocations{All: def == "all"}))
	case fv.Kind() == reflect.String:
		fv.SetString(def)
	case fv.Kind() == reflect.Bool:
		fv.SetBool(def == "true")
	case fv.Kind() == reflect.Int || fv.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(def, 10, 64)
		if err != nil {
			panic(err)
		}
		fv.SetInt(n)
	default:
		panic("config: no default handling for " + f.Name)
	}
}

func (d *decoder) decodeValue(path string, raw any, fv reflect.Value, tag reflect.StructTag) {
	switch t := fv.Type(); {
	case t == secretType:
		if s, ok := d.secret(path, raw); ok {
			fv.Set(reflect.ValueOf(s))
		}
	case t == durationType:
		if dur, ok := d.duration(path, raw); ok {
			fv.SetInt(int64(dur))
		}
	case t == decimalType:
		s, ok := raw.(string)
		if !ok {
			d.errf(path, `must be a quoted decimal string such as "0.25" (got %s)`, describe(raw))
			return
		}
		dec, err := decimal.NewFromString(strings.TrimSpace(s))
		if err != nil {
			d.errf(path, `must be a decimal number such as "0.25" (got %s)`, describe(raw))
			return
		}
		fv.Set(reflect.ValueOf(dec))
	case t == stockLocationsType:
		var sl StockLocations
		sl.decode(d, path, raw)
		fv.Set(reflect.ValueOf(sl))
	case t == anyMapType:
		fv.Set(reflect.ValueOf(d.settings(path, raw)))
	case t.Kind() == reflect.String:
		s, ok := d.str(path, raw)
		if !ok {
			return
		}
		if enum := tag.Get("enum"); enum != "" {
			vals := strings.Split(enum, "|")
			if !contains(vals, s) {
				d.errf(path, "must be one of %s (got %s)", strings.Join(vals, ", "), describe(s))
				return
			}
		}
		if check := tag.Get("check"); check != "" {
			s = d.check(path, check, s)
		}
		fv.SetString(s)
	case t.Kind() == reflect.Bool:
		b, ok := raw.(bool)
		if !ok {
			d.errf(path, "must be true or false (got %s)", describe(raw))
			return
		}
		fv.SetBool(b)
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		if n, ok := d.integer(path, raw, tag); ok {
			fv.SetInt(n)
		}
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Int:
		m, ok := d.object(path, raw, nil)
		if !ok {
			return
		}
		out := make(map[string]int, len(m))
		for _, k := range sortedKeys(m) {
			if n, ok := d.integer(joinKey(path, k), m[k], tag); ok {
				out[k] = int(n)
			}
		}
		fv.Set(reflect.ValueOf(out))
	case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.String:
		m, ok := d.object(path, raw, nil)
		if !ok {
			return
		}
		out := make(map[string]string, len(m))
		for _, k := range sortedKeys(m) {
			p := joinKey(path, k)
			s, ok := m[k].(string)
			if !ok {
				d.errf(p, "must be a string (got %s)", describe(m[k]))
				continue
			}
			if strings.TrimSpace(s) == "" {
				d.errf(p, "must not be empty")
				continue
			}
			out[k] = s
		}
		fv.Set(reflect.ValueOf(out))
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		list, ok := raw.([]any)
		if !ok {
			d.errf(path, "must be a list (got %s)", describe(raw))
			return
		}
		out := reflect.MakeSlice(t, len(list), len(list))
		for i, item := range list {
			d.linkID = ""
			d.decodeStruct(fmt.Sprintf("%s[%d]", path, i), item, out.Index(i))
		}
		d.linkID = ""
		fv.Set(out)
	case isPlainStruct(t):
		d.decodeStruct(path, raw, fv)
	default:
		panic("config: no decoding for " + t.String())
	}
}

// isPlainStruct reports whether t is a section of keys (not a value type
// that happens to be a struct, like Secret or decimal.Decimal).
func isPlainStruct(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t != secretType && t != decimalType && t != stockLocationsType
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// str accepts a string, or an integer written without quotes (channel
// location ids and product numbers are often numeric).
func (d *decoder) str(path string, raw any) (string, bool) {
	switch v := raw.(type) {
	case string:
		return v, true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	}
	d.errf(path, "must be a string (got %s)", describe(raw))
	return "", false
}

func (d *decoder) integer(path string, raw any, tag reflect.StructTag) (int64, bool) {
	var n int64
	switch v := raw.(type) {
	case int:
		n = int64(v)
	case int64:
		n = v
	case uint64:
		d.errf(path, "is too large (got %d)", v)
		return 0, false
	case float64:
		d.errf(path, "must be a whole number (got %s)", describe(raw))
		return 0, false
	default:
		d.errf(path, "must be a whole number (got %s)", describe(raw))
		return 0, false
	}
	if m := tag.Get("min"); m != "" {
		lo, _ := strconv.ParseInt(m, 10, 64)
		if n < lo {
			d.errf(path, "must be at least %d (got %d)", lo, n)
			return 0, false
		}
	}
	if n > 1<<31-1 && tag.Get("key") != "max_body_bytes" {
		d.errf(path, "is too large (got %d)", n)
		return 0, false
	}
	return n, true
}

func (d *decoder) duration(path string, raw any) (time.Duration, bool) {
	s, ok := raw.(string)
	if !ok {
		d.errf(path, `must be a duration such as "15m", "2h" or "90s" (got %s)`, describe(raw))
		return 0, false
	}
	dur, err := time.ParseDuration(s)
	if err != nil {
		d.errf(path, `must be a duration such as "15m", "2h" or "90s" (got %s)`, describe(raw))
		return 0, false
	}
	if dur < time.Second {
		d.errf(path, "must be at least 1s (got %s)", describe(raw))
		return 0, false
	}
	return dur, true
}

// secret reads a secret field: a reference, or a value set by an
// environment override (which is itself a reference to that variable).
func (d *decoder) secret(path string, raw any) (Secret, bool) {
	s, ok := raw.(string)
	if !ok {
		d.errf(path, "must be a secret reference such as \"${%s}\" or \"file:/path/to/secret\" (got %s)", suggestEnvName(path, d.linkID), kindOf(raw))
		return Secret{}, false
	}
	if isRef(s) {
		sec, msg := d.resolveRef(s)
		if msg != "" {
			d.errf(path, "%s", msg)
			return Secret{}, false
		}
		return sec, true
	}
	if name, ok := d.envPaths[path]; ok {
		return Secret{ref: "${" + name + "}", value: s}, true
	}
	d.errLiteralSecret(path)
	return Secret{}, false
}

func (d *decoder) errLiteralSecret(path string) {
	name := suggestEnvName(path, d.linkID)
	d.errf(path, "a secret must be a reference, not a literal value: write \"${%s}\" and set %s in the environment, or \"file:/path/to/secret\" (then remove the value from the file)", name, name)
}

// settings copies a link's connector settings, resolving secret references
// into Secret values at any depth.
func (d *decoder) settings(path string, raw any) map[string]any {
	m, ok := d.object(path, raw, nil)
	if !ok {
		return nil
	}
	out := make(map[string]any, len(m))
	for _, k := range sortedKeys(m) {
		out[k] = d.settingValue(joinKey(path, k), m[k])
	}
	return out
}

func (d *decoder) settingValue(path string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		return d.settings(path, x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = d.settingValue(fmt.Sprintf("%s[%d]", path, i), e)
		}
		return out
	case string:
		if isRef(x) {
			sec, msg := d.resolveRef(x)
			if msg != "" {
				d.errf(path, "%s", msg)
				return nil
			}
			return sec
		}
		if strings.Contains(x, "${") {
			d.errf(path, "a reference must be the whole value: write \"${NAME}\" alone, not inside other text")
			return nil
		}
	}
	return v
}

var (
	linkIDRE        = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	connectorNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	currencyRE      = regexp.MustCompile(`^[A-Z]{3}$`)
)

// check validates (and for paths, resolves) a formatted string.
func (d *decoder) check(path, check, s string) string {
	switch check {
	case "path":
		if strings.TrimSpace(s) == "" {
			d.errf(path, "must not be empty")
			return s
		}
		return d.resolvePath(s)
	case "hostport":
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			d.errf(path, "must be host:port such as 127.0.0.1:8080 (got %s)", describe(s))
			return s
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			d.errf(path, "port must be a number from 0 to 65535 (got %s)", describe(port))
		}
		_ = host
	case "url":
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.errf(path, "must be an absolute http:// or https:// URL (got %s)", describe(s))
			return s
		}
		if u.User != nil {
			d.errf(path, "must not carry credentials in the URL; use the token settings")
		}
		return strings.TrimSuffix(s, "/")
	case "linkid":
		if !linkIDRE.MatchString(s) || len(s) > 64 {
			d.errf(path, "must be lower-case letters, digits, - and _, starting with a letter or digit, at most 64 characters (got %s)", describe(s))
		}
	case "connector":
		name, constraint, _ := strings.Cut(s, "@")
		if !connectorNameRE.MatchString(name) {
			d.errf(path, "must be name or name@constraint, e.g. shopify@^1.0, with a lower-case name (got %s)", describe(s))
		} else if strings.Contains(s, "@") {
			if _, err := semver.NewConstraint(constraint); err != nil {
				d.errf(path, "version constraint %q is not valid: %v (write e.g. shopify@^1.0 or shopify@>=1.2, <2)", constraint, err)
			}
		}
	case "language":
		if !contains(languages, s) {
			d.errf(path, "must be one of %s (got %s)", strings.Join(languages, ", "), describe(s))
		}
	case "currency":
		switch {
		case !currencyRE.MatchString(s):
			if up := strings.ToUpper(strings.TrimSpace(s)); currencyRE.MatchString(up) && isCurrency(up) {
				d.errf(path, "must be an ISO 4217 code in upper case (did you mean %s?)", up)
			} else {
				d.errf(path, "must be an ISO 4217 currency code of three upper-case letters such as DKK, SEK, NOK, EUR (got %s)", describe(s))
			}
		case !isCurrency(s):
			d.errf(path, "is not an ISO 4217 currency code (got %s)", describe(s))
		}
	default:
		panic("config: unknown check " + check)
	}
	return s
}

// languages are the order languages a link may ask for (ISO 639-1).
var languages = []string{"en", "da", "sv", "nb", "nn", "no", "de", "fi", "fr", "es", "nl", "it", "pl", "is"}
