package host_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// writeCounter counts the write requests each sandbox receives, by
// sandbox and kind: "METHOD path" for REST (Rackbeat, Shopbox) and the
// operation name of a GraphQL mutation for Shopify ("ProductUpdate"). A
// request carrying the header testEditHeader is the test's own edit, made
// as a merchant would, and is not counted.
type writeCounter struct {
	mu     sync.Mutex
	counts map[string]int // "sandbox kind" → writes
	paths  map[string]int // "sandbox METHOD path" → writes, unfolded
}

const testEditHeader = "X-Shopbridge-Test-Edit"

var mutationName = regexp.MustCompile(`^\s*mutation\s+(\w+)`)

// numberInPath folds ids and numbers into one route, so a write to any
// product counts under the same kind.
var numberInPath = regexp.MustCompile(`/[^/]*[0-9][^/]*`)

func (c *writeCounter) wrap(sandbox string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Header.Get(testEditHeader) == "" {
			kind := r.Method + " " + numberInPath.ReplaceAllString(r.URL.Path, "/{n}")
			if strings.HasSuffix(r.URL.Path, "/graphql.json") {
				kind = ""
				body, _ := io.ReadAll(r.Body)
				r.Body = io.NopCloser(bytes.NewReader(body))
				var q struct{ Query string }
				_ = json.Unmarshal(body, &q)
				if m := mutationName.FindStringSubmatch(q.Query); m != nil {
					kind = m[1]
				}
			}
			if kind != "" {
				c.mu.Lock()
				c.counts[sandbox+" "+kind]++
				if c.paths == nil {
					c.paths = map[string]int{}
				}
				c.paths[sandbox+" "+r.Method+" "+r.URL.Path]++
				c.mu.Unlock()
			}
		}
		next.ServeHTTP(w, r)
	})
}

// snapshot copies the counts.
func (c *writeCounter) snapshot() map[string]int {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.counts))
	for k, v := range c.counts {
		out[k] = v
	}
	return out
}

// productWrites sums the writes that change products (not stock, not
// webhook subscriptions, not logins) in one sandbox since the snapshot
// before (nil for since the start).
func (c *writeCounter) productWrites(sandbox string, before map[string]int) int {
	n := 0
	for k, v := range c.snapshot() {
		name, kind, _ := strings.Cut(k, " ")
		if name == sandbox && isProductWrite(kind) {
			n += v - before[k]
		}
	}
	return n
}

func isProductWrite(kind string) bool {
	switch kind {
	case "ProductUpdate", "ProductCreate", "VariantsUpdate", "VariantsCreate": // Shopify
		return true
	}
	return strings.Contains(kind, "/products") && !strings.Contains(kind, "inventor")
}

// String lists the counts, for logs.
func (c *writeCounter) String() string {
	m := c.snapshot()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(itoa(m[k]))
		b.WriteString("; ")
	}
	return b.String()
}

// repeated lists the REST paths written more than once, for logs: the same
// product written again and again is what ping-pong looks like.
func (c *writeCounter) repeated() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for p, n := range c.paths {
		if n > 1 && !strings.Contains(p, "graphql") {
			out = append(out, p+" ×"+itoa(n))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
