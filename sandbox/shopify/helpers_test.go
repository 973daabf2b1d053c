package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
)

// clock is a fake clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const testToken = "shpat_test"

type fixture struct {
	s     *Server
	ts    *httptest.Server
	clock *clock
	cat   *catalog.Catalog
}

func newFixture(t *testing.T, mod func(*Options)) *fixture {
	t.Helper()
	c := newClock()
	cat := catalog.Generate(catalog.Config{Products: 12, MinVariants: 1, MaxVariants: 3, Locations: 2, Seed: 7})
	opts := Options{Catalog: cat, AccessTokens: []string{testToken}, ClientID: "app-id", ClientSecret: "app-secret", Seed: 7, Now: c.Now}
	if mod != nil {
		mod(&opts)
	}
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(func() { ts.Close(); s.Close() })
	return &fixture{s: s, ts: ts, clock: c, cat: cat}
}

// answer is a decoded GraphQL response.
type answer struct {
	Status int
	Data   map[string]any `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Extensions struct {
		Cost struct {
			Requested      float64  `json:"requestedQueryCost"`
			Actual         *float64 `json:"actualQueryCost"`
			ThrottleStatus struct {
				Maximum     float64 `json:"maximumAvailable"`
				Available   float64 `json:"currentlyAvailable"`
				RestoreRate float64 `json:"restoreRate"`
			} `json:"throttleStatus"`
		} `json:"cost"`
	} `json:"extensions"`
	raw []byte
}

func (f *fixture) gql(t *testing.T, doc string, vars map[string]any) *answer {
	t.Helper()
	return gqlAt(t, f.ts.URL, testToken, doc, vars)
}

func gqlAt(t testing.TB, base, token, doc string, vars map[string]any) *answer {
	t.Helper()
	a, err := tryGQL(base, token, doc, vars)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// tryGQL posts one document; it is safe to call from any goroutine.
func tryGQL(base, token, doc string, vars map[string]any) (*answer, error) {
	body, _ := json.Marshal(map[string]any{"query": doc, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, base+GraphQLPath(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Access-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("POST graphql: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := &answer{Status: resp.StatusCode, raw: raw}
	if err := json.Unmarshal(raw, a); err != nil && resp.StatusCode == http.StatusOK {
		return nil, fmt.Errorf("answer is not JSON (%d): %s", resp.StatusCode, raw)
	}
	return a, nil
}

func (a *answer) ok(t *testing.T) *answer {
	t.Helper()
	if a.Status != 200 || len(a.Errors) > 0 || a.Data == nil {
		t.Fatalf("unexpected answer %d: %s", a.Status, a.raw)
	}
	return a
}

// path walks decoded JSON: strings index objects, ints index arrays.
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func jsonLines(t *testing.T, resp *http.Response) []map[string]any {
	t.Helper()
	var out []map[string]any
	dec := json.NewDecoder(resp.Body)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("JSONL: %v", err)
		}
		out = append(out, m)
	}
	return out
}
