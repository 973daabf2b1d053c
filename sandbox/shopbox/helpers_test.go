package shopbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/sandbox/catalog"
)

// clock is a settable time source, so expiry and rate limits are tested
// without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)} }

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

type fixture struct {
	t     *testing.T
	srv   *Server
	http  *httptest.Server
	clock *clock
	token string
}

// start runs a sandbox seeded with a small catalogue on a loopback port.
func start(t *testing.T, opts Options) *fixture {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.Catalog == nil {
		opts.Catalog = catalog.Generate(catalog.Config{Products: 30, MinVariants: 1, MaxVariants: 3, Locations: 2, Seed: 7})
	}
	if opts.PushBackoff == 0 {
		opts.PushBackoff = time.Millisecond
	}
	s := New(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return &fixture{t: t, srv: s, http: hs, clock: c}
}

// do sends a request and decodes the JSON answer (nil for an empty body).
func (f *fixture) do(method, path string, query url.Values, body any) (int, map[string]any) {
	f.t.Helper()
	status, raw := f.raw(method, path, query, body)
	if len(raw) == 0 {
		return status, nil
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		f.t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, path, err, raw)
	}
	return status, out
}

func (f *fixture) raw(method, path string, query url.Values, body any) (int, []byte) {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	u := f.http.URL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, raw
}

func (f *fixture) login() string {
	f.t.Helper()
	status, ans := f.do("POST", "/api/v3/authenticate/credentials", nil, map[string]any{
		"username": f.srv.opts.Email, "password": f.srv.opts.Password, "remember_me": nil,
	})
	if status != 200 {
		f.t.Fatalf("login: status %d: %v", status, ans)
	}
	tok, _ := ans["accessToken"].(string)
	if tok == "" {
		f.t.Fatalf("login answer has no accessToken: %v", ans)
	}
	f.token = tok
	return tok
}

// q builds an authenticated query from key/value pairs.
func (f *fixture) q(kv ...string) url.Values {
	v := url.Values{"accessToken": {f.token}, "client": {strconv.Itoa(f.srv.opts.ClientID)}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

// api calls an authenticated endpoint and fails the test on an unexpected status.
func (f *fixture) api(method, path string, want int, body any, kv ...string) map[string]any {
	f.t.Helper()
	status, ans := f.do(method, path, f.q(kv...), body)
	if status != want {
		f.t.Fatalf("%s %s: status %d, want %d: %v", method, path, status, want, ans)
	}
	return ans
}

func data(ans map[string]any) map[string]any {
	d, _ := ans["data"].(map[string]any)
	return d
}

func list(ans map[string]any) []map[string]any {
	var out []map[string]any
	for _, it := range ans["data"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func num(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	}
	return -1 << 62
}

// errorShape checks the Shopbox error body and returns its message.
func errorShape(t *testing.T, status int, ans map[string]any) string {
	t.Helper()
	e, ok := ans["error"].(map[string]any)
	if !ok {
		t.Fatalf("error answer lacks the error object: %v", ans)
	}
	for _, k := range []string{"name", "message", "code", "status"} {
		if _, ok := e[k]; !ok {
			t.Errorf("error object lacks %q: %v", k, e)
		}
	}
	if num(e["status"]) != int64(status) {
		t.Errorf("error.status = %v, want %d", e["status"], status)
	}
	msg, _ := e["message"].(string)
	return msg
}

// get fetches u and closes the body; for tests that look at headers.
func get(t *testing.T, u string) *http.Response {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp
}
