package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/knadh/koanf/providers/env/v2"
	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts every environment override; EnvSeparator separates levels.
const (
	EnvPrefix    = "SHOPBRIDGE_"
	EnvSeparator = "__"
)

// topLevelKeys are the first levels an override may name; other SHOPBRIDGE_
// variables (test switches, keys other parts of the host read) are ignored.
var topLevelKeys = fieldKeys(reflect.TypeOf(Config{}))

// envValue is one override as read from the environment, with the variable's
// name kept so errors can point at it.
type envValue struct {
	Name  string
	Value string
}

// EnvName returns the override variable for a key path, e.g.
// "links[0].orders.state" → "SHOPBRIDGE_LINKS__0__ORDERS__STATE".
func EnvName(path string) string {
	p := strings.NewReplacer("[", ".", "]", "").Replace(path)
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(p, ".", EnvSeparator))
}

// applyEnv merges SHOPBRIDGE_* overrides into the raw tree before decoding,
// converting each value to the type of the key it overrides.
func (d *decoder) applyEnv(tree map[string]any) {
	names := map[string]bool{}
	for _, n := range envCandidates(tree) {
		names[n] = true
	}
	if d.opts.environ != nil {
		for _, kv := range d.opts.environ() {
			if name, _, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(name, EnvPrefix) {
				names[name] = true
			}
		}
	}
	var environ []string
	for _, n := range sortedKeys(names) {
		if v, ok := d.opts.lookup(n); ok {
			environ = append(environ, n+"="+v)
		}
	}
	if len(environ) == 0 {
		return
	}
	p := env.Provider(keyDelim, env.Opt{
		Prefix:      EnvPrefix,
		EnvironFunc: func() []string { return environ },
		TransformFunc: func(k, v string) (string, any) {
			rest := strings.ToLower(strings.TrimPrefix(k, EnvPrefix))
			segs := strings.Split(rest, EnvSeparator)
			if !contains(topLevelKeys, segs[0]) {
				return "", nil
			}
			for _, s := range segs {
				if s == "" {
					return "", nil
				}
			}
			return strings.Join(segs, keyDelim), envValue{Name: k, Value: v}
		},
	})
	overrides, err := p.Read()
	if err != nil {
		d.errf("", "cannot read environment overrides: %v", err)
		return
	}
	d.overrideStruct("", tree, overrides, reflect.TypeOf(Config{}))
}

// overrideStruct applies overrides (a nested map of envValue leaves) to the
// raw mapping of a struct of type t.
func (d *decoder) overrideStruct(path string, raw map[string]any, overrides map[string]any, t reflect.Type) {
	for _, key := range sortedKeys(overrides) {
		ov := overrides[key]
		p := joinKey(path, key)
		f, ok := fieldByKey(t, key)
		if !ok {
			d.errf(p, "unknown key (from %s)", firstEnvName(ov))
			continue
		}
		if leaf, isLeaf := ov.(envValue); isLeaf {
			raw[key] = d.envLeaf(p, leaf, f.Type, raw[key])
			continue
		}
		sub := ov.(map[string]any)
		switch ft := f.Type; {
		case isPlainStruct(ft):
			m, ok := raw[key].(map[string]any)
			if !ok {
				m = map[string]any{}
				raw[key] = m
			}
			d.overrideStruct(p, m, sub, ft)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			list, _ := raw[key].([]any)
			for _, idx := range sortedKeys(sub) {
				i, err := strconv.Atoi(idx)
				if err != nil || i < 0 || i >= len(list) {
					d.errf(fmt.Sprintf("%s[%s]", p, idx), "the file declares %d %s, so %s names none of them; overrides can change declared entries but not add new ones", len(list), key, firstEnvName(sub[idx]))
					continue
				}
				ip := fmt.Sprintf("%s[%d]", p, i)
				if leaf, isLeaf := sub[idx].(envValue); isLeaf {
					list[i] = d.envLeaf(ip, leaf, ft.Elem(), list[i])
					continue
				}
				m, ok := list[i].(map[string]any)
				if !ok {
					m = map[string]any{}
					list[i] = m
				}
				d.overrideStruct(ip, m, sub[idx].(map[string]any), ft.Elem())
			}
		default:
			raw[key] = d.overrideUntyped(p, raw[key], sub, ft)
		}
	}
}

// overrideUntyped descends into maps and lists whose shape the schema does not
// fix (settings, categories, rules, stock locations). Keys match the file's
// keys case-insensitively, since variable names are upper case.
func (d *decoder) overrideUntyped(path string, raw any, overrides map[string]any, t reflect.Type) any {
	if list, ok := raw.([]any); ok {
		for _, idx := range sortedKeys(overrides) {
			i, err := strconv.Atoi(idx)
			if err != nil || i < 0 || i >= len(list) {
				d.errf(fmt.Sprintf("%s[%s]", path, idx), "the file's list has %d entries, so %s names none of them", len(list), firstEnvName(overrides[idx]))
				continue
			}
			ip := fmt.Sprintf("%s[%d]", path, i)
			list[i] = d.overrideUntypedOne(ip, list[i], overrides[idx], t)
		}
		return list
	}
	m, ok := raw.(map[string]any)
	if !ok {
		m = map[string]any{}
	}
	for _, key := range sortedKeys(overrides) {
		target := key
		for k := range m {
			if strings.EqualFold(k, key) {
				target = k
				break
			}
		}
		m[target] = d.overrideUntypedOne(joinKey(path, target), m[target], overrides[key], t)
	}
	return m
}

func (d *decoder) overrideUntypedOne(path string, raw, ov any, t reflect.Type) any {
	if leaf, ok := ov.(envValue); ok {
		d.envPaths[path] = leaf.Name
		switch {
		case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.Int:
			if n, err := strconv.Atoi(leaf.Value); err == nil {
				return n
			}
			return leaf.Value
		case t.Kind() == reflect.Map && t.Elem().Kind() == reflect.String:
			return leaf.Value
		}
		if _, wasString := raw.(string); wasString || raw == nil && t == anyMapType {
			return leaf.Value
		}
		return d.yamlValue(path, leaf)
	}
	return d.overrideUntyped(path, raw, ov.(map[string]any), t)
}

// envLeaf converts an override's text to the type of the key it sets.
func (d *decoder) envLeaf(path string, leaf envValue, t reflect.Type, _ any) any {
	d.envPaths[path] = leaf.Name
	v := leaf.Value
	switch {
	case t == secretType || t == durationType || t == decimalType || t.Kind() == reflect.String:
		return v
	case t.Kind() == reflect.Bool:
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
		return v
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return n
		}
		return v
	}
	return d.yamlValue(path, leaf)
}

// yamlValue reads a structured override written in YAML flow syntax.
func (d *decoder) yamlValue(path string, leaf envValue) any {
	var out any
	if err := yaml.Unmarshal([]byte(leaf.Value), &out); err != nil {
		d.errf(path, "the value of %s is not valid YAML: %v", leaf.Name, strings.TrimPrefix(err.Error(), "yaml: "))
		return nil
	}
	return normalize(out)
}

func fieldByKey(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Tag.Get("key") == key {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// firstEnvName finds a variable name inside an override subtree.
func firstEnvName(v any) string {
	switch x := v.(type) {
	case envValue:
		return x.Name
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if n := firstEnvName(x[k]); n != "" {
				return n
			}
		}
	}
	return ""
}

// envCandidates lists the override variables that could apply to this file:
// every key of the schema, with the file's link indices and map keys. They
// are what a custom lookup, which cannot list the environment, is asked for.
func envCandidates(tree map[string]any) []string {
	var out []string
	var walk func(path string, t reflect.Type, raw any)
	walk = func(path string, t reflect.Type, raw any) {
		if path != "" {
			out = append(out, EnvName(path))
		}
		switch {
		case isPlainStruct(t):
			m, _ := raw.(map[string]any)
			for i := 0; i < t.NumField(); i++ {
				key := t.Field(i).Tag.Get("key")
				if key == "" || key == "-" {
					continue
				}
				walk(joinKey(path, key), t.Field(i).Type, m[key])
			}
		case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
			list, _ := raw.([]any)
			for i := range list {
				walk(fmt.Sprintf("%s[%d]", path, i), t.Elem(), list[i])
			}
		case t.Kind() == reflect.Map:
			walkUntyped(path, raw, &out)
		}
	}
	walk("", reflect.TypeOf(Config{}), tree)
	sort.Strings(out)
	return out
}

func walkUntyped(path string, raw any, out *[]string) {
	m, ok := raw.(map[string]any)
	if !ok {
		return
	}
	for k, v := range m {
		if !plainKeyRE.MatchString(k) {
			continue // a variable name cannot spell this key
		}
		p := path + "." + k
		*out = append(*out, EnvName(p))
		walkUntyped(p, v, out)
	}
}
