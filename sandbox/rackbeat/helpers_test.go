package rackbeat

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
	"github.com/shopbridge/shopbridge/sandbox/delivery"
)

const testToken = "test-token"

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	t     *testing.T
	s     *Server
	srv   *httptest.Server
	clock *fakeClock
	token string
}

func newEnv(t *testing.T, mod func(*Options)) *env {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	opts := Options{
		Catalog:           catalog.Generate(catalog.Config{Products: 45, MinVariants: 1, MaxVariants: 1, Locations: 2, Seed: 1}),
		Tokens:            []string{testToken},
		RequestsPerMinute: -1,
		Seed:              1,
		Now:               clock.Now,
		Delivery:          delivery.Options{Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
	}
	if mod != nil {
		mod(&opts)
	}
	s := New(opts)
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); s.Close() })
	return &env{t: t, s: s, srv: srv, clock: clock, token: testToken}
}

type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (e *env) do(method, path string, body any) answer {
	e.t.Helper()
	return e.doToken(e.token, method, path, body)
}

func (e *env) doToken(token, method, path string, body any) answer {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func (e *env) must(status int, a answer) answer {
	e.t.Helper()
	if a.status != status {
		e.t.Fatalf("status %d, want %d: %s", a.status, status, a.raw)
	}
	return a
}

func obj(v any, key string) map[string]any {
	m, _ := v.(map[string]any)
	o, _ := m[key].(map[string]any)
	return o
}

func list(a answer, key string) []map[string]any {
	xs, _ := a.body[key].([]any)
	out := make([]map[string]any, 0, len(xs))
	for _, x := range xs {
		m, _ := x.(map[string]any)
		out = append(out, m)
	}
	return out
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// firstSKU is a stocked product of the test catalogue with its stock.
func (e *env) firstSKU() string {
	return e.s.Products()[0].Number
}

func (e *env) customer() int {
	e.t.Helper()
	a := e.must(201, e.do("POST", "/api/customers", map[string]any{"company_name": "Kari Nordmann", "contact_email": "kari@example.com", "customer_group_id": 1, "payment_terms_id": 3}))
	return num(obj(a.body, "customer")["number"])
}
