package status

import (
	"cmp"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/shopbridge/shopbridge/config"
)

const redacted = "[redacted]"

// minSecretLen is the shortest secret the filter replaces: a shorter one
// would mangle ordinary words and is no secret anyway.
const minSecretLen = 4

var (
	// Credentials as connectors and HTTP clients tend to quote them in
	// errors: query parameters (Shopbox sends accessToken in the URL),
	// user:password in URLs and bearer tokens.
	queryCredRE = regexp.MustCompile(`(?i)\b(access_?token|token|password|passwd|pwd|secret|client_secret|api_?key|apikey|key|code|hmac|signature|sig)=([^&\s"'<>;,]+)`)
	userinfoRE  = regexp.MustCompile(`(?i)(://)[^/\s:@]+:[^/\s@]+@`)
	bearerRE    = regexp.MustCompile(`(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}`)
	emailRE     = regexp.MustCompile(`([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})`)
)

// filter is what every text on the page passes through.
type filter struct {
	secrets []string // longest first, so a secret containing another goes whole
}

func newFilter(secrets []string) filter {
	var s []string
	for _, v := range secrets {
		if len(v) >= minSecretLen && !slices.Contains(s, v) {
			s = append(s, v)
		}
	}
	slices.SortFunc(s, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return filter{secrets: s}
}

// clean removes secrets and credentials from s; for anyone but the operator
// it also masks e-mail addresses, which in this product belong to customers.
func (f filter) clean(s string, op bool) string {
	if s == "" {
		return s
	}
	for _, v := range f.secrets {
		s = strings.ReplaceAll(s, v, redacted)
	}
	s = queryCredRE.ReplaceAllString(s, "${1}="+redacted)
	s = userinfoRE.ReplaceAllString(s, "${1}"+redacted+"@")
	s = bearerRE.ReplaceAllString(s, "${1}"+redacted)
	if !op {
		s = emailRE.ReplaceAllString(s, "${1}***@${2}")
	}
	return s
}

// SecretValues returns the value of every secret in cfg (the operator token,
// the Rackbeat tokens, the database DSN, every secret link setting), for
// Options.Secrets. It finds them by type, so a secret added to the config
// later is covered without a change here.
func SecretValues(cfg *config.Config) []string {
	var out []string
	secretType := reflect.TypeFor[config.Secret]()
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if !v.IsValid() {
			return
		}
		if v.Type() == secretType {
			if s := v.Interface().(config.Secret); s.Value() != "" {
				out = append(out, s.Value())
			}
			return
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			it := v.MapRange()
			for it.Next() {
				walk(it.Value())
			}
		}
	}
	if cfg != nil {
		walk(reflect.ValueOf(cfg).Elem())
	}
	return out
}
