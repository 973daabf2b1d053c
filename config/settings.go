package config

import (
	"encoding/json"
	"fmt"
)

// SettingsJSON returns the connector settings as JSON with secret references
// resolved to their values, for OpenLink. Never log the result.
func (l *Link) SettingsJSON() ([]byte, error) {
	return json.Marshal(mapSecrets(l.Settings, Secret.Value))
}

// RedactedSettings returns the connector settings with every secret shown as
// its reference (e.g. "${SHOPIFY_TOKEN}"), safe to display.
func (l *Link) RedactedSettings() map[string]any {
	m, _ := mapSecrets(l.Settings, Secret.Ref).(map[string]any)
	return m
}

// SecretSettings lists the settings paths that were written as references,
// e.g. "access_token" or "auth.password", so the host can check that the
// connector's secret-marked fields were not given in plain text.
func (l *Link) SecretSettings() []string {
	var out []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case Secret:
			out = append(out, prefix)
		case map[string]any:
			for _, k := range sortedKeys(x) {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, x[k])
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", prefix, i), e)
			}
		}
	}
	walk("", l.Settings)
	return out
}

// mapSecrets copies v, replacing each Secret by show(secret).
func mapSecrets(v any, show func(Secret) string) any {
	switch x := v.(type) {
	case Secret:
		return show(x)
	case map[string]any:
		if x == nil {
			return map[string]any{}
		}
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = mapSecrets(e, show)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = mapSecrets(e, show)
		}
		return out
	}
	return v
}
